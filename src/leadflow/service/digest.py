"""The weekly digest: each manager's team's week, queued once per manager and week.

Two steps, both run by the worker (the SLA loop):

1. `schedule`: for each manager of the active policy (a rep whom other reps name as `manager`),
   the row of their next digest exists, due at `reports.digest.at` in the manager's own time
   zone (`core.digest`). The row's `delivery_id` is made from the manager and the first day of
   the week it covers, and is unique: every worker may schedule, and one row is made.
2. `run_digests`: a claimed row's figures are counted by the report engine (grouped by rep,
   filtered to the team; this week and the one before), and its messages — the manager's email,
   one per channel of the digest — are queued as `deliver` rows in the transaction that marks
   the digest row done, fenced by the claim: a worker whose lease ran out while it counted (and
   whose row another worker took) commits nothing. So a digest is queued once, whatever number
   of workers run and whichever of them dies; its messages are sent as every delivery is (at
   least once, with the same delivery id: an email keeps its Message-ID).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leadflow.core.digest import covers, wall
from leadflow.core.policy import Policy
from leadflow.reports import digest as figures_of
from leadflow.reports.engine import Query, figures, figures_by_group, leads_of
from leadflow.reports.periods import Period
from leadflow.service.context import Services
from leadflow.service.reports import refresh_facts
from leadflow.store import jobs
from leadflow.store.jobs import DIGEST, DONE, PENDING, SKIPPED, Claimed, new_job
from leadflow.store.tables import JobRow, LeadRow

log = logging.getLogger("leadflow.digest")

EVENT = "report.digest"
BREACHES_LISTED = 25  # in a message; the count says how many there were in all
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NAMESPACE = uuid.UUID("6f1d3c52-3c1e-4a55-9d0e-2b7c8f4a9e10")


def key(manager: str, start: date) -> str:
    """The digest row's id for a manager and the first day of its week (a UUID made from
    them: 36 characters, whatever the length of a rep id)."""
    return str(uuid.uuid5(_NAMESPACE, f"{EVENT}:{manager}:{start.isoformat()}"))


def schedule(svc: Services) -> int:
    """Make each manager's next digest row (due at their next send instant); how many were
    made. A row not yet claimed follows a changed `at` or zone."""
    now = svc.clock()
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    if policy is None or policy.weekly_digest is None:
        return 0
    at = policy.weekly_digest.at
    wanted: dict[str, tuple[datetime, dict[str, Any]]] = {}
    for manager in policy.teams():
        zone = policy.reps[manager].timezone
        send = at.next_send(zone, now)
        start, end = covers(send, zone)
        data = {
            "manager": manager,
            "from": start.isoformat(),
            "to": end.isoformat(),
            "zone": zone,
            "at": at.text,
        }
        wanted[key(manager, start)] = (send, data)
    if not wanted:
        return 0
    made = 0
    with svc.store.writing() as session:
        found = {
            row.delivery_id: row
            for row in session.execute(
                select(JobRow.delivery_id, JobRow.state, JobRow.due_at, JobRow.lease_until).where(
                    JobRow.delivery_id.in_(list(wanted))
                )
            )
        }
        for job_key, (send, data) in wanted.items():
            row = found.get(job_key)
            if row is None:
                made += _insert_once(session, new_job(DIGEST, send, now, data, key=job_key))
            elif row.state == PENDING and row.lease_until is None and row.due_at != send:
                session.execute(
                    update(JobRow)
                    .where(JobRow.delivery_id == job_key, JobRow.lease_until.is_(None))
                    .values(due_at=send, data=data)
                )
    if made:
        log.info("digest.scheduled rows=%d", made)
    return made


def _insert_once(session: Session, values: dict[str, Any]) -> int:
    """Insert the row unless its `delivery_id` is there already (another worker made it)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement: Any = postgresql.insert(JobRow).on_conflict_do_nothing(
            index_elements=["delivery_id"]
        )
    elif dialect == "sqlite":
        statement = sqlite.insert(JobRow).on_conflict_do_nothing(index_elements=["delivery_id"])
    else:  # pragma: no cover - leadflow runs on these two
        statement = insert(JobRow)
    # RETURNING, not rowcount: psycopg reports -1 for an insert that returns the new id
    made = session.connection().execute(statement.returning(JobRow.id), values).all()
    return len(made)


def prepare(svc: Services) -> bool:
    """When a digest is due, bring the report facts up to date before any is claimed; whether
    one is due. The first refresh of a large history takes longer than a lease (100,000 leads:
    48 s): done under a claim, another worker would take the row meanwhile and count too."""
    now = svc.clock()
    with svc.store.reading() as session:
        due = session.scalar(
            select(JobRow.id)
            .where(
                JobRow.kind == DIGEST,
                JobRow.state == PENDING,
                JobRow.due_at <= now,
                (JobRow.lease_until.is_(None)) | (JobRow.lease_until <= now),
            )
            .limit(1)
        )
    if due is None:
        return False
    try:
        refresh_facts(svc)
    except Exception:  # another refresh derived the same leads at once: the digest's own retries
        log.warning("digest.refresh_failed", exc_info=True)
    return True


def run_digests(svc: Services, due: list[Claimed]) -> int:
    """Count and queue each claimed digest; how many were queued. One that fails is tried
    again later (then dead, visible in the API), and costs the others nothing."""
    queued = 0
    for job in due:
        try:
            queued += _run(svc, job)
        except Exception:
            log.exception("digest.failed job=%d", job.id)
            with svc.store.writing() as session:
                jobs.fail(
                    session,
                    job,
                    svc.clock(),
                    "the digest failed; see the worker's log",
                    retryable=True,
                    most_attempts=svc.settings.delivery_attempts,
                    first_backoff=svc.settings.delivery_backoff_seconds,
                )
    return queued


def _run(svc: Services, job: Claimed) -> int:
    data = job.data
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    stale = _stale(policy, data)
    if stale is not None or policy is None:
        with svc.store.writing() as session:
            _finish(session, job, svc.clock(), SKIPPED, stale)
        log.info("digest.skipped job=%d manager=%s reason=%r", job.id, data["manager"], stale)
        return 0
    later = _moved_later(policy, data, svc.clock())
    if later is not None:  # the policy moved it later since the row was made: wait for then
        with svc.store.writing() as session:
            _postpone(session, job, later)
        log.info("digest.postponed job=%d manager=%s to=%s", job.id, data["manager"], later)
        return 0
    refresh_facts(svc)  # what moved since `prepare`: little
    with svc.store.reading() as session:
        context = digest_context(svc, session, policy, data)
    with svc.store.writing() as session:
        if not _finish(session, job, svc.clock(), DONE, None):
            log.info("digest.taken_over job=%d manager=%s", job.id, data["manager"])
            return 0  # the lease ran out and another claim has it: that one queues
        messages = _messages(policy, data, context, str(job.delivery_id), svc.clock())
        if messages:
            session.execute(insert(JobRow), messages)
    log.info(
        "digest.queued job=%d manager=%s from=%s messages=%d",
        job.id,
        data["manager"],
        data["from"],
        len(messages),
    )
    return 1


def _stale(policy: Policy | None, data: dict[str, Any]) -> str | None:
    """Why the digest row no longer stands for what the active policy asks, if it does not."""
    if policy is None or policy.weekly_digest is None:
        return "skipped: the active policy sends no digest"
    if data["manager"] not in policy.teams():
        return f"skipped: {data['manager']} manages nobody in the active policy"
    sent_on = date.fromisoformat(data["from"]) + timedelta(days=7)
    if sent_on.weekday() != policy.weekly_digest.at.weekday:
        return f"skipped: the digest is now sent {policy.weekly_digest.at.text}"
    return None


def _moved_later(policy: Policy, data: dict[str, Any], now: datetime) -> datetime | None:
    """The send instant the active policy gives this row's week, when that is still to come
    (its `at` or the manager's zone changed before a scheduler caught up)."""
    weekly = policy.weekly_digest
    assert weekly is not None
    zone = policy.reps[data["manager"]].timezone
    sent_on = date.fromisoformat(data["from"]) + timedelta(days=7)
    send = wall(sent_on, weekly.at.at, ZoneInfo(zone))
    return send if send > now else None


def _postpone(session: Session, job: Claimed, until: datetime) -> None:
    """Give the row back, due later, as if this claim had not been (if it still holds it)."""
    session.execute(
        update(JobRow)
        .where(JobRow.id == job.id, JobRow.worker == job.worker, JobRow.attempts == job.attempts)
        .values(due_at=until, lease_until=None, attempts=JobRow.attempts - 1)
        .execution_options(synchronize_session=False)
    )


def _finish(session: Session, job: Claimed, now: datetime, state: str, note: str | None) -> bool:
    """Mark the row finished if this claim still holds it; whether it did."""
    result = session.execute(
        update(JobRow)
        .where(
            JobRow.id == job.id,
            JobRow.state == PENDING,
            JobRow.worker == job.worker,
            JobRow.attempts == job.attempts,
        )
        .values(state=state, finished_at=now, lease_until=None, last_error=note)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def digest_context(
    svc: Services, session: Session, policy: Policy, data: dict[str, Any]
) -> dict[str, Any]:
    """What the digest says (the messages' `digest`), fixed when it is counted."""
    manager = policy.reps[data["manager"]]
    team = policy.teams()[manager.id]
    start, end = date.fromisoformat(data["from"]), date.fromisoformat(data["to"])
    period = Period.of(start, end, data["zone"])
    before = period.previous()
    connection = session.connection()
    team_filter: dict[str, str | tuple[str, ...]] = {"rep": team}

    def by_rep(p: Period) -> dict[str, dict[str, Any]]:
        groups = figures_by_group(connection, Query(p, "rep", team_filter))
        return {str(g["group"]): g["figures"] for g in groups}

    now_team = figures(connection, Query(period, None, team_filter))
    before_team = figures(connection, Query(before, None, team_filter))
    breached_query = Query(period, None, {**team_filter, "sla_status": "breached"})
    breached = leads_of(connection, breached_query, BREACHES_LISTED)
    rows = {
        row.id: row
        for row in session.scalars(select(LeadRow).where(LeadRow.id.in_([i for i, _ in breached])))
    }
    base = svc.settings.public_url.rstrip("/")
    names = {rep_id: policy.reps[rep_id].name for rep_id in team}
    leads = []
    for lead_id, rep in breached:
        fields = rows[lead_id].fields if lead_id in rows else {}
        leads.append(
            {
                "id": lead_id,
                "name": _lead_name(fields) or f"lead {lead_id}",
                "company": _text(fields.get("company")),
                "rep": rep,
                "rep_name": names.get(rep or "", rep),
                "tier": rows[lead_id].sla_tier if lead_id in rows else None,
                "link": f"{base}/leads/{lead_id}",
            }
        )
    breaches = sum(tier["breached"] for tier in now_team["sla"].values())
    return {
        "occurred_at": svc.clock().isoformat(),
        "digest": {
            "manager": {"id": manager.id, "name": manager.name, "email": manager.email},
            "period": {
                "from": period.start.isoformat(),
                "to": period.end.isoformat(),
                "zone": period.zone,
                "label": week_label(period.start, period.end),
            },
            "previous": {"from": before.start.isoformat(), "to": before.end.isoformat()},
            "team": figures_of.cells(now_team, before_team),
            "reps": figures_of.team_rows(list(names.items()), by_rep(period), by_rep(before)),
            "breaches": breaches,
            "breached_leads": leads,
            "links": {"leads": f"{base}/leads"},
        },
    }


def _messages(
    policy: Policy, data: dict[str, Any], context: dict[str, Any], digest_key: str, now: datetime
) -> list[dict[str, Any]]:
    """The digest's deliveries: the manager's email (through `via`), then each channel's. Each
    has an id made from the digest's, so that it too can be inserted only once."""
    weekly = policy.weekly_digest
    assert weekly is not None
    manager = policy.reps[data["manager"]]
    out = []
    targets: list[tuple[str, dict[str, Any]]] = []
    if weekly.via is not None:
        recipient = {
            "role": "manager",
            "rep_id": manager.id,
            "name": manager.name,
            "email": manager.email,
            "slack_id": manager.slack_id,
        }
        targets.append((weekly.via, recipient))
    targets += [(name, {"role": "channel"}) for name in weekly.channels if name != weekly.via]
    for name, recipient in targets:
        channel = policy.channels[name]
        message = {
            "event": EVENT,
            "channel": {"name": channel.name, "type": channel.type},
            "recipient": recipient,
            "context": context,
            "template": None,
        }
        job_id = str(uuid.uuid5(_NAMESPACE, f"{digest_key}:{name}:{recipient['role']}"))
        out.append(new_job(jobs.DELIVER, now, now, message, key=job_id))
    return out


def week_label(start: date, end: date) -> str:
    """`16 - 22 Nov 2026`, `30 Nov - 6 Dec 2026`, `28 Dec 2026 - 3 Jan 2027` (English names,
    whatever the machine's locale)."""

    def day(d: date, year: bool) -> str:
        return f"{d.day} {_MONTHS[d.month - 1]}" + (f" {d.year}" if year else "")

    if start.year != end.year:
        return f"{day(start, True)} - {day(end, True)}"
    if start.month != end.month:
        return f"{day(start, False)} - {day(end, True)}"
    return f"{start.day} - {day(end, True)}"


def _lead_name(fields: dict[str, Any]) -> str | None:
    name = _text(fields.get("name"))
    if name:
        return name
    parts = [_text(fields.get("first_name")), _text(fields.get("last_name"))]
    return " ".join(p for p in parts if p) or _text(fields.get("email"))


def _text(value: Any) -> str | None:
    text = str(value).strip() if value is not None else ""
    return text or None
