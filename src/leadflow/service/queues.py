"""What waits for a person: account matches to review, junk, messages that failed for good,
and leads held for a pool. One read for the `/queues` page; managers and admins only.

Each queue is its count and its newest items, at most `limit` of them (50 by default): a
count is one indexed query, and the items one more, plus one for the leads or decisions they
name, whatever the size of the database. Acting on an item is the use case that already does
it (`accounts.settle_review`, `routing.restore`, `jobs.retry_job`); this module only reads.

A failed message is shown by its channel, its event, its lead, who it was for and its last
error, never its data: the data of an owner's email holds the links that act as the owner.
A held lead says why from its decision record: the pool it waits for and, for each member,
why they could not take it (`outside_hours`, `away`, `cap_per_day 12/12`, ...); the record and
the policy it was made under come with it, for `decision_words.describe` to say it in words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.core.policy import Policy
from leadflow.service import jobs
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden
from leadflow.service.routing import Actor
from leadflow.store.jobs import DEAD, DELIVER
from leadflow.store.tables import AccountReviewRow, AccountRow, DecisionRow, JobRow, LeadRow

LIMIT = 50
T = TypeVar("T")


@dataclass(frozen=True)
class LeadBrief:
    """What a row of a queue says about its lead: enough to recognize it, and its id to open it."""

    id: str
    name: str  # the name, else the email, else "(no name)"
    email: str | None
    company: str | None


@dataclass(frozen=True)
class Review:
    id: int
    lead: LeadBrief | None  # None: the lead is gone (never, as leads are kept)
    account_id: str
    account_name: str | None  # None: the account was deleted since
    score: float  # 0..1
    reasons: list[str]
    created_at: datetime


@dataclass(frozen=True)
class JunkLead:
    lead: LeadBrief
    reason: str
    received_at: datetime


@dataclass(frozen=True)
class FailedMessage:
    id: int  # the job's: what `jobs.retry_job` takes
    channel: str
    event: str
    to: str | None  # the rep it was for, or the recipient's role (channel, prospect)
    lead: LeadBrief | None
    last_error: str
    attempts: int
    failed_at: datetime | None


@dataclass(frozen=True)
class Held:
    lead: LeadBrief
    pool: str | None  # the pool it waits for
    since: datetime  # when it was held
    reason: str | None  # the decision's own words ("held for pool x: no member eligible")
    members: list[tuple[str, str]]  # (rep id, why not) for each member when it was held
    record: dict[str, Any]  # the part of its decision record that says why, for
    # `decision_words.describe`: when, the pool, the reason and the pools walked
    policy: Policy | None  # the policy version it was decided under


@dataclass(frozen=True)
class Queue(Generic[T]):
    """How many items wait, and the newest of them."""

    total: int
    items: list[T]


@dataclass(frozen=True)
class Queues:
    reviews: Queue[Review]
    junk: Queue[JunkLead]
    failed: Queue[FailedMessage]
    held: Queue[Held]


def queues(svc: Services, actor: Actor, limit: int = LIMIT) -> Queues:
    """Every queue's count and its newest `limit` items."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden("the queues are for managers and admins")
    dead = jobs.list_jobs(svc, state=DEAD, kind=DELIVER, limit=limit)
    with svc.store.reading() as session:
        return Queues(
            reviews=_reviews(session, limit),
            junk=_junk(session, limit),
            failed=_failed(session, dead),
            held=_held(svc, session, limit),
        )


def brief_of(row: LeadRow) -> LeadBrief:
    return _brief(row.id, row.fields or {})


def briefs(session: Session, lead_ids: Iterable[str]) -> dict[str, LeadBrief]:
    """The leads of these ids, briefly, in one query that reads only the fields it shows."""
    wanted = set(lead_ids)
    if not wanted:
        return {}
    rows = session.execute(select(*_BRIEF).where(LeadRow.id.in_(wanted)))
    return {row.id: _brief_of_columns(row) for row in rows}


# What a brief reads of a lead: its id and a few fields, each taken out of the JSON by the
# database (a lead's whole fields and payload, for 150 rows, would be parsed for nothing).
_SHOWN = ("email", "name", "first_name", "last_name", "company")
_BRIEF = (LeadRow.id, *(LeadRow.fields[f].as_string().label(f) for f in _SHOWN))


def _brief_of_columns(row: Any) -> LeadBrief:
    return _brief(row.id, {f: getattr(row, f) for f in _SHOWN})


def _brief(lead_id: str, fields: dict[str, Any]) -> LeadBrief:
    email = _text(fields.get("email"))
    name = _text(fields.get("name")) or " ".join(
        p for p in (_text(fields.get("first_name")), _text(fields.get("last_name"))) if p
    )
    return LeadBrief(lead_id, name or email or "(no name)", email, _text(fields.get("company")))


def _reviews(session: Session, limit: int) -> Queue[Review]:
    is_open = AccountReviewRow.status == "open"
    total = session.scalar(select(func.count()).select_from(AccountReviewRow).where(is_open))
    rows = list(
        session.scalars(
            select(AccountReviewRow)
            .where(is_open)
            .order_by(AccountReviewRow.id.desc())
            .limit(limit)
        )
    )
    leads = briefs(session, (r.lead_id for r in rows))
    ids = {r.account_id for r in rows}
    names: dict[str, str] = {}
    if ids:
        query = select(AccountRow.id, AccountRow.name).where(AccountRow.id.in_(ids))
        names = {account_id: name for account_id, name in session.execute(query)}
    items = [
        Review(
            r.id,
            leads.get(r.lead_id),
            r.account_id,
            names.get(r.account_id),
            r.score,
            [str(reason) for reason in r.reasons],
            r.created_at,
        )
        for r in rows
    ]
    return Queue(int(total or 0), items)


def _junk(session: Session, limit: int) -> Queue[JunkLead]:
    rows = _newest_with_status(session, "junk", limit, LeadRow.junk_reason, LeadRow.received_at)
    items = [
        JunkLead(_brief_of_columns(r), r.junk_reason or "marked junk", r.received_at) for r in rows
    ]
    return Queue(count_with_status(session, "junk"), items)


def _failed(session: Session, dead: list[JobRow]) -> Queue[FailedMessage]:
    is_dead = (JobRow.kind == DELIVER) & (JobRow.state == DEAD)
    total = session.scalar(select(func.count()).select_from(JobRow).where(is_dead))
    leads = briefs(session, (j.lead_id for j in dead if j.lead_id))
    items = []
    for job in dead:
        data: dict[str, Any] = job.data or {}
        recipient = data.get("recipient") or {}
        items.append(
            FailedMessage(
                id=job.id,
                channel=str((data.get("channel") or {}).get("name") or "?"),
                event=str(data.get("event") or "?"),
                to=recipient.get("rep_id") or recipient.get("role"),
                lead=leads.get(job.lead_id or ""),
                last_error=job.last_error or "it failed every try",
                attempts=job.attempts,
                failed_at=job.finished_at,
            )
        )
    return Queue(int(total or 0), items)


def _held(svc: Services, session: Session, limit: int) -> Queue[Held]:
    rows = _newest_with_status(
        session, "queued", limit, LeadRow.decision_id, LeadRow.pool, LeadRow.updated_at
    )
    ids = [r.decision_id for r in rows if r.decision_id is not None]
    # Of each decision record, only what says why: its pools (not its rules, nor quality).
    query = select(
        DecisionRow.id,
        DecisionRow.at,
        DecisionRow.pool,
        DecisionRow.policy_version,
        DecisionRow.record["pools"].label("pools"),
        DecisionRow.record["reason"].as_string().label("reason"),
    ).where(DecisionRow.id.in_(ids))
    decisions = {d.id: d for d in session.execute(query)} if ids else {}
    versions = {d.policy_version for d in decisions.values() if d.policy_version is not None}
    policies = {v: svc.policies.version(session, v) for v in versions}  # compiled once
    items = []
    for row in rows:
        d = decisions.get(row.decision_id or 0)
        pool = (d.pool if d is not None else None) or row.pool
        since = d.at if d is not None else row.updated_at
        record = {
            "at": since.isoformat(),
            "outcome": "queued",
            "pool": pool,
            "reason": d.reason if d is not None else None,
            "pools": (d.pools if d is not None else None) or [],
        }
        items.append(
            Held(
                lead=_brief_of_columns(row),
                pool=pool,
                since=since,
                reason=record["reason"],
                members=_why_not(record, pool),
                record=record,
                policy=policies.get(d.policy_version) if d is not None else None,
            )
        )
    return Queue(count_with_status(session, "queued"), items)


def _why_not(record: dict[str, Any], pool: str | None) -> list[tuple[str, str]]:
    """Why each member of the pool the lead waits for could not take it, from the record."""
    for entry in record.get("pools") or []:
        if entry.get("pool") == pool:
            return [
                (str(c.get("rep")), str(c.get("reason") or "not eligible"))
                for c in entry.get("candidates") or []
                if not c.get("eligible")
            ]
    return []


def _newest_with_status(session: Session, status: str, limit: int, *columns: Any) -> list[Any]:
    """The newest leads of a status: a brief of each, and these columns."""
    query = select(*_BRIEF, *columns).where(LeadRow.status == status)
    return list(session.execute(query.order_by(LeadRow.seq.desc()).limit(limit)))


def count_with_status(session: Session, status: str) -> int:
    """How many leads have this status now (the index on `status` counts them)."""
    query = select(func.count()).select_from(LeadRow).where(LeadRow.status == status)
    return int(session.scalar(query) or 0)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
