"""What a rep can do from the link in an email: see the lead, accept it, mark it contacted.

The link's token (`service.links`) names the lead and the rep; the actions are the rep's own
events (`service.routing.record_event`) as if the rep had called the API with its key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from leadflow.service.context import Services
from leadflow.service.errors import Invalid, NotFound
from leadflow.service.links import LINK_ACTIONS, Link, read_token
from leadflow.service.routing import MOVES, Actor, Routed, record_event
from leadflow.store.tables import LeadRow


@dataclass(frozen=True, slots=True)
class LinkedLead:
    """What the page behind a link shows."""

    id: str
    name: str | None
    company: str | None
    email: str | None
    status: str
    sla_due_at: datetime | None
    actions: tuple[str, ...]  # what the rep may still do from the link


def _still_theirs(svc: Services, link: Link) -> LeadRow:
    """The link's lead while the assignment it was sent for stands; else `NotFound`.

    A later assignment ends it, even one back to the same rep: that rep got a new link.
    """
    with svc.store.reading() as session:
        row = session.scalar(select(LeadRow).where(LeadRow.id == link.lead_id))
    if row is None or row.owner != link.rep_id or row.decision_id != link.decision_id:
        raise NotFound("this lead is no longer yours: it was reassigned or closed")
    return row


def open_link(svc: Services, token: str) -> LinkedLead:
    """The lead a link is about, as its rep may see it; `NotFound` when no longer theirs."""
    row = _still_theirs(svc, read_token(svc, token, svc.clock()))
    fields = row.fields
    name = " ".join(str(fields[k]) for k in ("first_name", "last_name") if fields.get(k)) or None
    actions = tuple(a for a in LINK_ACTIONS if row.status in MOVES[a])
    return LinkedLead(
        row.id,
        fields.get("name") or name,
        fields.get("company"),
        fields.get("email"),
        row.status,
        row.sla_due_at,
        actions,
    )


def act_by_link(svc: Services, token: str, action: str) -> Routed:
    """Do `action` (accepted, contacted) on the link's lead as its rep."""
    if action not in LINK_ACTIONS:
        raise Invalid(
            f"unknown action {action!r}: one of {', '.join(LINK_ACTIONS)}", field="action"
        )
    link = read_token(svc, token, svc.clock())
    _still_theirs(svc, link)
    actor = Actor(f"{link.rep_id} (email link)", "rep", link.rep_id)
    try:
        return record_event(svc, link.lead_id, action, actor)
    except NotFound:
        raise NotFound("this lead is no longer yours: it was reassigned or closed") from None
