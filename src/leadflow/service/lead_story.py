"""A lead's whole story for its page: the lead, its timeline, its decisions, and what the
decisions' words need besides (`leadflow.decision_words`).

One read, a bounded number of queries whatever the length of the timeline: the lead, its
events, its decisions, the policy versions they were made under (compiled once per process),
the active policy, and — only when a decision needs them — when the reps it found away were set
away, the runtime time off of those it found on time off, and the other leads it names (the one
it was merged into, the duplicates merged into it). A rep sees only a lead it owns now (404
otherwise, as `queries.lead_history`, whose reads these are), and of the other leads only those
it owns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.core.policy import Policy
from leadflow.decision_words import Known
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden
from leadflow.service.queries import history_in
from leadflow.service.routing import Actor
from leadflow.store.tables import AuditRow, DecisionRow, LeadEventRow, LeadRow, RepTimeOffRow

AUDIT_LOOKBACK = 500  # rep changes read back from a decision's time to find a presence change


@dataclass(frozen=True)
class OtherLead:
    """Another lead this one names, as far as the reader may see it."""

    id: str
    email: str | None
    name: str
    status: str


@dataclass(frozen=True)
class LeadStory:
    lead: LeadRow
    timeline: list[LeadEventRow]  # oldest first
    decisions: list[DecisionRow]  # oldest first
    policies: dict[int, Policy]  # the versions the decisions were made under
    active: Policy | None  # the policy now: its reps are whom the lead can be moved to
    known: Known  # for the decisions' words (times in UTC: the page sets its zone)
    others: dict[str, OtherLead] = field(default_factory=dict)  # by id, those visible


def lead_story(svc: Services, lead_id: str, actor: Actor) -> LeadStory:
    """Everything the lead's page shows; NotFound for a lead the actor may not see."""
    if actor.role == "intake":
        raise Forbidden("an intake key may only post leads")
    with svc.store.reading() as session:
        history = history_in(session, lead_id, actor)
        lead, events, decisions = history.lead, history.timeline, history.decisions
        versions = {d.policy_version for d in decisions if d.policy_version is not None}
        policies = {v: svc.policies.version(session, v) for v in sorted(versions)}
        active = svc.policies.active(session)
        reasons = _excluded(d.record for d in decisions)
        latest = max((d.at for d in decisions), default=None)
        known = Known(
            away=_away_since(session, reasons.get("away", set()), latest),
            time_off=_time_off(session, reasons.get("time_off", set())),
            left=Known.lost_by(events),
        )
        others = _others(session, _named(lead, decisions, events), actor)
    return LeadStory(lead, events, decisions, policies, active, known, others)


def _excluded(records: Iterable[dict[str, Any]]) -> dict[str, set[str]]:
    """The reps each reason code excluded, over every candidate of every record."""
    found: dict[str, set[str]] = {}
    for record in records:
        verdicts = [c for p in record.get("pools") or () for c in p.get("candidates") or ()]
        verdicts += [r["assign"] for r in record.get("rules") or () if r.get("assign")]
        for verdict in verdicts:
            reason, rep = verdict.get("reason"), verdict.get("rep")
            if reason and rep:
                found.setdefault(str(reason).split(" ")[0], set()).add(str(rep))
    return found


def _away_since(
    session: Session, reps: set[str], until: datetime | None
) -> dict[str, list[datetime]]:
    """When each of `reps` was set away (by the audit log of rep changes), up to `until`."""
    if not reps or until is None:
        return {}
    query = (
        select(AuditRow.target, AuditRow.at, AuditRow.data)
        .where(AuditRow.action == "rep.updated", AuditRow.target.in_(sorted(reps)))
        .where(AuditRow.at <= until)
        .order_by(AuditRow.at.desc())
        .limit(AUDIT_LOOKBACK)
    )
    found: dict[str, list[datetime]] = {}
    for rep, at, data in session.execute(query):
        before = (data or {}).get("before") or {}
        after = (data or {}).get("after") or {}
        if after.get("presence") == "away" and before.get("presence") != "away":
            found.setdefault(rep, []).append(at)
    return found


def _time_off(session: Session, reps: set[str]) -> dict[str, list[tuple[datetime, datetime]]]:
    """The runtime time off of `reps` (the policy's own is in the policy)."""
    if not reps:
        return {}
    query = select(RepTimeOffRow.rep_id, RepTimeOffRow.starts_at, RepTimeOffRow.ends_at).where(
        RepTimeOffRow.rep_id.in_(sorted(reps))
    )
    found: dict[str, list[tuple[datetime, datetime]]] = {}
    for rep, start, end in session.execute(query):
        found.setdefault(rep, []).append((start, end))
    return found


def _named(lead: LeadRow, decisions: list[DecisionRow], events: list[LeadEventRow]) -> set[str]:
    """The other leads this one's story names: merged into, and duplicates merged into it."""
    ids = {lead.duplicate_of} | {d.record.get("merged_into") for d in decisions}
    ids |= {e.data.get("duplicate") for e in events if e.type == "duplicate" and e.data}
    return {str(i) for i in ids if i and i != lead.id}


def _others(session: Session, ids: set[str], actor: Actor) -> dict[str, OtherLead]:
    if not ids:
        return {}
    query = select(LeadRow.id, LeadRow.fields, LeadRow.status, LeadRow.owner).where(
        LeadRow.id.in_(sorted(ids))
    )
    found = {}
    for lead_id, fields, status, owner in session.execute(query):
        if actor.role == "rep" and owner != actor.rep_id:
            continue
        fields = fields or {}
        name = " ".join(str(fields.get(k) or "") for k in ("first_name", "last_name")).strip()
        email = fields.get("email") if isinstance(fields.get("email"), str) else None
        found[lead_id] = OtherLead(lead_id, email, name, status)
    return found
