"""Use cases that only read: one lead with its history, a page of leads, the database's pulse.

Reads take no routing lock and never wait for routing (WAL on SQLite, MVCC on PostgreSQL).
What a rep may see is decided here, not in the routes: a rep sees the leads it owns now, and
another rep's lead does not exist for it (404, not 403, so that ids cannot be probed).

Pages follow `leads.seq`, the order leads were stored in: a cursor is the last `seq` of the
page before, so leads stored while a client pages through appear at the end, and no lead is
listed twice or skipped.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, text
from sqlalchemy.exc import SQLAlchemyError

from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, Invalid, NotFound
from leadflow.service.routing import Actor
from leadflow.store.tables import DecisionRow, LeadEventRow, LeadRow

MAX_PAGE = 500


@dataclass(frozen=True)
class LeadFilter:
    """Which leads to list; every part is optional and they all hold together."""

    owner: str | None = None
    status: str | None = None
    pool: str | None = None
    received_since: datetime | None = None  # inclusive
    received_until: datetime | None = None  # exclusive
    sla_status: str | None = None  # pending, met, breached


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


def lead_history(svc: Services, lead_id: str, actor: Actor) -> LeadHistory:
    """The lead with everything that happened to it; NotFound for a rep's view of another's."""
    _may_read(actor)
    with svc.store.reading() as session:
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
    """A page of at most `limit` leads after `cursor`; a rep's list holds only its own leads."""
    _may_read(actor)
    if not 1 <= limit <= MAX_PAGE:
        raise Invalid(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    query = _filtered(select(LeadRow), where)
    if actor.role == "rep":
        query = query.where(LeadRow.owner == actor.rep_id)
    if cursor is not None:
        query = query.where(LeadRow.seq > decode_cursor(cursor))
    query = query.order_by(LeadRow.seq).limit(limit + 1)  # one more: is there a next page?
    with svc.store.reading() as session:
        leads = list(session.scalars(query))
    more = len(leads) > limit
    leads = leads[:limit]
    return LeadPageView(leads, encode_cursor(leads[-1].seq) if more else None)


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


def _filtered(query: Select[LeadRow], where: LeadFilter) -> Select[LeadRow]:
    if where.owner is not None:
        query = query.where(LeadRow.owner == where.owner)
    if where.status is not None:
        query = query.where(LeadRow.status == where.status)
    if where.pool is not None:
        query = query.where(LeadRow.pool == where.pool)
    if where.sla_status is not None:
        query = query.where(LeadRow.sla_status == where.sla_status)
    if where.received_since is not None:
        query = query.where(LeadRow.received_at >= where.received_since)
    if where.received_until is not None:
        query = query.where(LeadRow.received_at < where.received_until)
    return query


def _may_read(actor: Actor) -> None:
    if actor.role == "intake":
        raise Forbidden("an intake key may only post leads")
