"""Use cases that only read: one lead with its history, a page of leads, the database's pulse.

Reads take no routing lock and never wait for routing (WAL on SQLite, MVCC on PostgreSQL).
What a rep may see is decided here, not in the routes: a rep sees the leads it owns now, and
another rep's lead does not exist for it (404, not 403, so that ids cannot be probed).

Pages follow `leads.seq`, the order leads were stored in: a cursor is the last `seq` of the
page before, so leads stored while a client pages through appear at the end, and no lead is
listed twice or skipped. The API pages oldest first (`list_leads`); the console newest first,
both ways (`browse_leads`: a page older than one cursor, or newer than another). Neither uses
OFFSET: a page far down costs what the first costs. `export_leads` walks every match the same
way, a batch at a time, so an export of 100,000 leads never holds them all in memory.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, Invalid, NotFound
from leadflow.service.routing import STATUSES, Actor
from leadflow.store.search import like_pattern
from leadflow.store.tables import DecisionRow, LeadEventRow, LeadRow

MAX_PAGE = 500
EXPORT_BATCH = 1000
WINDOW = 2000  # the leads next to a cursor that a search looks through first (browse_leads)
SLA_STATUSES = ("pending", "met", "breached")


@dataclass(frozen=True)
class LeadFilter:
    """Which leads to list; every part is optional and they all hold together."""

    owner: str | None = None
    unowned: bool = False  # only leads nobody owns (held, nurture, junk, ...)
    status: str | None = None
    pool: str | None = None
    received_since: datetime | None = None  # inclusive
    received_until: datetime | None = None  # exclusive
    sla_status: str | None = None  # pending, met, breached
    rule: str | None = None
    source: str | None = None
    text: str | None = None  # found anywhere in the email, the name or the company


@dataclass(frozen=True)
class LeadHistory:
    """One lead, its timeline oldest first, and its decision records oldest first."""

    lead: LeadRow
    timeline: list[LeadEventRow]
    decisions: list[DecisionRow]


@dataclass(frozen=True)
class LeadPageView:
    leads: list[LeadRow]
    next_cursor: str | None


@dataclass(frozen=True)
class LeadBrowse:
    """A page of leads newest first, and the cursors of the pages either side (None: none)."""

    leads: list[LeadRow]
    older: str | None  # pass as `before` for the next page down
    newer: str | None  # pass as `after` for the page up


# The columns of an export, in order; `export_leads` yields one tuple of them per lead.
EXPORT_COLUMNS = (
    "id",
    "received_at",
    "status",
    "owner",
    "pool",
    "rule",
    "source",
    "email",
    "first_name",
    "last_name",
    "company",
    "score",
    "tier",
    "sla_status",
    "sla_due_at",
    "first_touch_at",
)
FROM_FIELDS = ("email", "first_name", "last_name", "company")


def lead_history(svc: Services, lead_id: str, actor: Actor) -> LeadHistory:
    """The lead with everything that happened to it; NotFound for a rep's view of another's."""
    _may_read(actor)
    with svc.store.reading() as session:
        return history_in(session, lead_id, actor)


def history_in(session: Session, lead_id: str, actor: Actor) -> LeadHistory:
    """`lead_history` inside an open read: three queries, whatever the timeline's length."""
    lead = session.scalars(select(LeadRow).where(LeadRow.id == lead_id)).first()
    if lead is None or (actor.role == "rep" and lead.owner != actor.rep_id):
        raise NotFound(f"no lead {lead_id!r}")
    events = select(LeadEventRow).where(LeadEventRow.lead_id == lead_id)
    decisions = select(DecisionRow).where(DecisionRow.lead_id == lead_id)
    return LeadHistory(
        lead,
        list(session.scalars(events.order_by(LeadEventRow.id))),
        list(session.scalars(decisions.order_by(DecisionRow.id))),
    )


def list_leads(
    svc: Services, actor: Actor, where: LeadFilter, cursor: str | None = None, limit: int = 50
) -> LeadPageView:
    """A page of at most `limit` leads after `cursor`, oldest first; a rep's list holds only its
    own leads."""
    query = _visible(select(LeadRow), actor, where, limit)
    if cursor is not None:
        query = query.where(LeadRow.seq > decode_cursor(cursor))
    query = query.order_by(LeadRow.seq).limit(limit + 1)  # one more: is there a next page?
    with svc.store.reading() as session:
        leads = list(session.scalars(query))
    more = len(leads) > limit
    leads = leads[:limit]
    return LeadPageView(leads, encode_cursor(leads[-1].seq) if more else None)


def browse_leads(
    svc: Services,
    actor: Actor,
    where: LeadFilter,
    before: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> LeadBrowse:
    """A page of at most `limit` leads, newest first: the newest, those just older than
    `before`, or those just newer than `after`; with the cursors of the pages either side.

    One query as a rule (one row more than the page says whether there is a page beyond
    it); the page on the other side of a cursor exists, since the cursor came from it. A
    search or a date range first looks through the `WINDOW` leads next to the cursor, read
    in order: a filter that many leads match fills its page there at once, and only one that
    few match goes through the index to its (few) matches.
    """
    if before is not None and after is not None:
        raise Invalid("give `before` or `after`, not both", field="after")
    newest_first = after is None
    given = before if newest_first else after
    cursor = decode_cursor(given) if given is not None else None
    base = _visible(select(LeadRow), actor, where, limit)
    with svc.store.reading() as session:
        leads = None
        if where.text or where.received_since or where.received_until:
            near = _window(session, cursor, newest_first)
            direct = _visible(select(LeadRow), actor, where, limit, through_sets=False)
            leads = _page(session, direct.where(near), cursor, newest_first, limit)
            if len(leads) <= limit:
                leads = None  # not a whole page near the cursor: the rest may be far away
        if leads is None:
            leads = _page(session, base, cursor, newest_first, limit)
    beyond, leads = len(leads) > limit, leads[:limit]
    if not newest_first:
        leads.reverse()
    older, newer = (beyond, cursor is not None) if newest_first else (True, beyond)
    return LeadBrowse(
        leads,
        encode_cursor(leads[-1].seq) if older and leads else None,
        encode_cursor(leads[0].seq) if newer and leads else None,
    )


def _page(
    session: Session, query: Select[Any], cursor: int | None, newest_first: bool, limit: int
) -> list[LeadRow]:
    """`limit + 1` leads of `query` from the cursor on, in the direction asked."""
    if newest_first:
        if cursor is not None:
            query = query.where(LeadRow.seq < cursor)
        query = query.order_by(LeadRow.seq.desc())
    else:
        query = query.where(LeadRow.seq > (cursor or 0)).order_by(LeadRow.seq)
    return list(session.scalars(query.limit(limit + 1)))


def _window(session: Session, cursor: int | None, newest_first: bool) -> ColumnElement[bool]:
    """The `WINDOW` seqs next to the cursor, both ends given (with only one, SQLite may walk
    another index and sort)."""
    if newest_first:
        top = cursor if cursor is not None else (session.scalar(func.max(LeadRow.seq)) or 0) + 1
        return LeadRow.seq.between(top - WINDOW, top)
    start = cursor or 0
    return LeadRow.seq.between(start, start + WINDOW)


def export_leads(svc: Services, actor: Actor, where: LeadFilter) -> Iterator[tuple[Any, ...]]:
    """Every lead the filter holds, newest first, as tuples of `EXPORT_COLUMNS`.

    The actor and the filter are checked at once (an error before the first row, not in the
    middle of a download); the rows come a batch of `EXPORT_BATCH` at a time, each batch in its
    own short read, so memory stays flat however many leads match and no read holds the
    database for the whole download. Leads stored meanwhile are newer than the first batch and
    are not included.
    """
    columns = [getattr(LeadRow, c) for c in EXPORT_COLUMNS if c not in FROM_FIELDS]
    base = _visible(select(LeadRow.seq, LeadRow.fields, *columns), actor, where, 1)
    return _exported(svc, base)


def _exported(svc: Services, base: Select[Any]) -> Iterator[tuple[Any, ...]]:
    last: int | None = None
    while True:
        query = base if last is None else base.where(LeadRow.seq < last)
        with svc.store.reading() as session:
            rows = session.execute(query.order_by(LeadRow.seq.desc()).limit(EXPORT_BATCH)).all()
        for row in rows:
            values = row._mapping
            fields = values["fields"] or {}
            yield tuple(fields.get(c) if c in FROM_FIELDS else values[c] for c in EXPORT_COLUMNS)
        if len(rows) < EXPORT_BATCH:
            return
        last = rows[-1].seq


@dataclass(frozen=True)
class LeadChoices:
    """What a lead list's filters offer: the active policy's reps (none for a rep: it sees its
    own leads only), pools and rules, and the sources leads came from."""

    reps: list[tuple[str, str]]  # (id, name)
    pools: list[str]
    rules: list[str]
    sources: list[str]


def lead_choices(svc: Services, actor: Actor) -> LeadChoices:
    """The values a lead list can be filtered by, for its selects."""
    sources = _visible(select(LeadRow.source).distinct(), actor, LeadFilter(), 1)
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
        found = sorted(s for s in session.scalars(sources.where(LeadRow.source.is_not(None))) if s)
    if policy is None:
        return LeadChoices([], [], [], found)
    reps = [] if actor.role == "rep" else [(r.id, r.name or r.id) for r in policy.reps.values()]
    return LeadChoices(
        sorted(reps, key=lambda r: r[1].casefold()),
        sorted(policy.pools),
        [rule.name for rule in policy.rules],
        found,
    )


def policy_zone(svc: Services) -> str:
    """The active policy's time zone (UTC before the first): a day or a time without an offset
    in a lead filter is read there, as the policy's business days are."""
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    return policy.timezone if policy is not None else "UTC"


def database_reachable(svc: Services) -> str | None:
    """None when the database answers a `SELECT 1`; otherwise what went wrong."""
    try:
        with svc.store.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError) as error:
        return f"{type(error).__name__}: {error}".splitlines()[0]
    return None


def encode_cursor(seq: int) -> str:
    """An opaque cursor: clients pass it back and never build one."""
    return base64.urlsafe_b64encode(f"seq:{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, seq = raw.partition(":")
        if kind != "seq" or not 0 <= int(seq) < 2**31:
            raise ValueError(kind)
        return int(seq)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid("not a cursor this API gave out", field="cursor") from None


def _visible(
    query: Select[Any], actor: Actor, where: LeadFilter, limit: int, through_sets: bool = True
) -> Select[Any]:
    """The leads this actor may see that the filter holds; a rep's are only its own."""
    _may_read(actor)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if where.status is not None and where.status not in STATUSES:
        raise Invalid(f"status: expected one of {', '.join(STATUSES)}", field="status")
    if where.sla_status is not None and where.sla_status not in SLA_STATUSES:
        expected = ", ".join(SLA_STATUSES)
        raise Invalid(f"sla_status: expected one of {expected}", field="sla_status")
    query = _filtered(query, where, through_sets)
    if actor.role == "rep":
        query = query.where(LeadRow.owner == actor.rep_id)
    return query


def _filtered(query: Select[Any], where: LeadFilter, through_sets: bool = True) -> Select[Any]:
    """`query` narrowed to the leads `where` holds. `through_sets` False: the search and the
    date range as plain conditions, for a query bounded by seq (see `browse_leads`)."""
    if where.owner is not None:
        query = query.where(LeadRow.owner == where.owner)
    if where.unowned:
        query = query.where(LeadRow.owner.is_(None))
    if where.status is not None:
        query = query.where(LeadRow.status == where.status)
    if where.pool is not None:
        query = query.where(LeadRow.pool == where.pool)
    if where.sla_status is not None:
        query = query.where(LeadRow.sla_status == where.sla_status)
    received = []
    if where.received_since is not None:
        received.append(LeadRow.received_at >= where.received_since)
    if where.received_until is not None:
        received.append(LeadRow.received_at < where.received_until)
    if received and not through_sets:
        query = query.where(*received)
    elif received:
        # As a set of seqs from the index: a plain range lets SQLite walk the index and sort
        # every lead in the range (500 ms for a year of 100,000 leads); the set costs 20 ms.
        query = query.where(LeadRow.seq.in_(select(LeadRow.seq).where(*received)))
    if where.rule is not None:
        query = query.where(LeadRow.rule == where.rule)
    if where.source is not None:
        query = query.where(LeadRow.source == where.source)
    pattern = like_pattern(where.text) if where.text is not None else None
    if pattern is not None and not through_sets:
        query = query.where(LeadRow.search.like(pattern, escape="\\"))
    elif pattern is not None:
        # Through the narrow index, not the wide table: SQLite finds the matching seqs by
        # scanning `ix_leads_search` (a few ms for 100,000 leads) instead of every row.
        found = select(LeadRow.seq).where(LeadRow.search.like(pattern, escape="\\"))
        query = query.where(LeadRow.seq.in_(found))
    return query


def _may_read(actor: Actor) -> None:
    if actor.role == "intake":
        raise Forbidden("an intake key may only post leads")
