"""What a rep can do from the link in an email: see the lead, accept it, mark it contacted,
or reject it with a reason.

The link's token (`service.links`) names the lead and the rep; the actions are the rep's own
events (`service.routing.record_event`) as if the rep had called the API with its key. Times
are told in the rep's zone (the policy's rep), as the email that carried the link told them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from leadflow.notify.summary import local_time
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
    timezone: str | None  # the rep's, where the page tells times

    @property
    def respond_by(self) -> str | None:
        """The first-touch deadline as the email said it: "Sun 6 Dec 2026 22:17 (UTC-05:00)"."""
        return local_time(self.sla_due_at, self.timezone) if self.sla_due_at else None


def _still_theirs(svc: Services, link: Link) -> LeadRow:
    """The link's lead while the assignment it was sent for stands; else `NotFound`.

    A later assignment ends it, even one back to the same rep: that rep got a new link.
    """
    with svc.store.reading() as session:
        row = session.scalar(select(LeadRow).where(LeadRow.id == link.lead_id))
    if row is None or row.owner != link.rep_id or row.decision_id != link.decision_id:
        raise NotFound("this lead is no longer yours: it was reassigned or closed")
    return row


def _read(svc: Services, token: str) -> Link:
    """The token's link; an expired one says when in the rep's zone."""
    try:
        return read_token(svc, token, svc.clock())
    except Invalid as error:
        expired_at = error.detail.get("expired_at")
        if not isinstance(expired_at, datetime):
            raise
        when = local_time(expired_at, rep_zone(svc, str(error.detail.get("rep_id"))))
        raise Invalid(f"this link expired at {when}", field="token") from None


def rep_zone(svc: Services, rep_id: str) -> str | None:
    """The rep's time zone under the active policy (its calendar's, else the policy's)."""
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    rep = policy.reps.get(rep_id) if policy is not None else None
    return rep.timezone if rep is not None else None


def open_link(svc: Services, token: str) -> LinkedLead:
    """The lead a link is about, as its rep may see it; `NotFound` when no longer theirs."""
    link = _read(svc, token)
    row = _still_theirs(svc, link)
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
        rep_zone(svc, link.rep_id),
    )


def act_by_link(svc: Services, token: str, action: str, reason: str | None = None) -> Routed:
    """Do `action` (accepted, contacted, rejected) on the link's lead as its rep.

    A rejection needs a reason (the next rep and the manager read it); the lead is then
    routed again, never back to this rep, and the link acts on nothing more.
    """
    if action not in LINK_ACTIONS:
        raise Invalid(
            f"unknown action {action!r}: one of {', '.join(LINK_ACTIONS)}", field="action"
        )
    note = (reason or "").strip() or None
    if action == "rejected" and note is None:
        raise Invalid("say why you reject the lead, so the next rep knows", field="reason")
    link = _read(svc, token)
    _still_theirs(svc, link)
    actor = Actor(f"{link.rep_id} (email link)", "rep", link.rep_id)
    try:
        return record_event(svc, link.lead_id, action, actor, note=note)
    except NotFound:
        raise NotFound("this lead is no longer yours: it was reassigned or closed") from None
