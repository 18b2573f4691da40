"""A rep's inbox: the leads they own and must work, the nearest SLA deadline first.

One indexed read (`leads (owner, status)`) of the columns shown, at most `MOST` leads: the
nearest deadlines are the ones to work, and the rest are in the lead list. Its `signature` changes
whenever the list would show something else (a lead came, moved on or left), so a page that
polls can ask "anything new since X?" and get nothing back most of the time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import load_only

from leadflow.service.context import Services
from leadflow.service.errors import Forbidden
from leadflow.service.routing import MOVES, OWNED, Actor
from leadflow.store.tables import LeadRow

MOST = 50  # the nearest deadlines; a rep with more open leads than this sees all in /leads


SHOWN = (
    LeadRow.id,
    LeadRow.seq,
    LeadRow.fields,
    LeadRow.source,
    LeadRow.tier,
    LeadRow.score,
    LeadRow.status,
    LeadRow.received_at,
    LeadRow.sla_tier,
    LeadRow.sla_status,
    LeadRow.sla_due_at,
)


@dataclass(frozen=True)
class InboxLead:
    id: str
    name: str
    email: str | None
    phone: str | None
    company: str | None
    title: str | None
    source: str | None
    tier: str | None
    score: float | None
    status: str
    received_at: datetime
    sla_tier: str | None
    sla_status: str | None
    sla_due_at: datetime | None
    moves: tuple[str, ...]  # the events its status allows now, in `MOVES` order


@dataclass(frozen=True)
class Inbox:
    leads: list[InboxLead]
    signature: str  # changes whenever `leads` would be shown differently
    more: bool  # more than MOST open leads: those due last are not listed


def inbox(svc: Services, actor: Actor) -> Inbox:
    """The open leads of the actor's rep, nearest SLA deadline first, then oldest first."""
    if actor.role != "rep" or actor.rep_id is None:
        raise Forbidden("the inbox is a rep's: it lists the leads they own")
    running_first = case((LeadRow.sla_due_at.is_(None), 1), else_=0)
    query = (
        select(LeadRow)
        .options(load_only(*SHOWN))
        .where(LeadRow.owner == actor.rep_id, LeadRow.status.in_(OWNED))
        .order_by(running_first, LeadRow.sla_due_at, LeadRow.received_at, LeadRow.seq)
        .limit(MOST + 1)
    )
    with svc.store.reading() as session:
        rows = list(session.scalars(query))
    leads = [_lead(row) for row in rows[:MOST]]
    digest = hashlib.sha256(
        "|".join(f"{x.id}:{x.status}:{x.sla_status}:{x.sla_due_at}" for x in leads).encode()
    )
    return Inbox(leads, digest.hexdigest()[:16], len(rows) > MOST)


def _lead(row: LeadRow) -> InboxLead:
    f: dict[str, Any] = row.fields or {}
    name = " ".join(str(f[k]) for k in ("first_name", "last_name") if f.get(k)).strip()
    return InboxLead(
        id=row.id,
        name=name or str(f.get("email") or f.get("phone") or "A lead"),
        email=f.get("email"),
        phone=f.get("phone"),
        company=f.get("company"),
        title=f.get("title"),
        source=row.source,
        tier=row.tier,
        score=row.score,
        status=row.status,
        received_at=row.received_at,
        sla_tier=row.sla_tier,
        sla_status=row.sla_status,
        sla_due_at=row.sla_due_at if row.sla_status == "pending" else None,
        moves=tuple(event for event, since in MOVES.items() if row.status in since),
    )
