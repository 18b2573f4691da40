"""A lead's facts for reporting: one flat row, derived from the lead and its timeline.

Every figure a report shows is counted from these rows, whichever history they came from: the
live database (a lead row and its events) or a replay. `derive(lead, events)` is the one
function that turns a lead and its timeline into facts, so the two can only differ in what
happened, never in how it is counted.

What counts as what (the timeline's event types are `service.routing`'s and `service.sla`'s):

- assigned: the lead's first assignment (its rep, pool and rule are the first decision's:
  "who got it from routing"); time to assignment runs from receipt to then;
- first touch: the first of contacted, meeting booked, qualified, disqualified, won, lost
  (`core.sla.MEETS`); time to first touch runs from the first assignment, in wall time and in
  the toucher's working time as the SLA clock counted it;
- reassigned: routed again after a rejection or by a manager, moved on an SLA breach, or moved
  to a named rep by a manager; each with its reason (`rejected`, `reassigned`, `sla_breach`,
  `manual`);
- held: from the first time it was held for a pool to its first assignment;
- stages: the first time of each of accepted, meeting booked, qualified, won, lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadflow.core.sla import MEETS
from leadflow.reports.durations import bucket

# Fields whose coverage a report shows (enrichment: was it known when the lead was routed?).
COVERED = (
    "email",
    "phone",
    "company",
    "title",
    "website",
    "country",
    "state",
    "industry",
    "employees",
    "domain",
)
STAGES = ("accepted", "meeting_booked", "qualified", "won", "lost")
REASSIGNING = {"rerouted": None, "sla.reassigned": "sla_breach"}  # None: the event's reason


@dataclass(frozen=True)
class LeadSnapshot:
    """What reporting reads of a lead itself (the rest is in its timeline)."""

    id: str
    received_at: datetime
    source: str | None
    status: str
    tier: str | None
    fields: Mapping[str, Any]
    sla_tier: str | None = None
    sla_status: str | None = None
    first_touch_business_seconds: float | None = None
    duplicate_of: str | None = None
    junk_reason: str | None = None
    account_id: str | None = None


@dataclass(frozen=True)
class Event:
    at: datetime
    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class LeadFacts:
    """One lead, flat: the columns of the `lead_facts` table (see `store.tables`)."""

    lead_id: str
    received_at: datetime
    received_epoch: int  # whole seconds since 1970 UTC: reports bucket by it in any zone
    source: str | None
    status: str
    tier: str | None
    rep: str | None = None  # of the first assignment
    pool: str | None = None
    rule: str | None = None
    owner: str | None = None  # now
    assigned_at: datetime | None = None
    assign_seconds: float | None = None
    assign_bucket: int | None = None
    touch_at: datetime | None = None
    touch_seconds: float | None = None
    touch_bucket: int | None = None
    touch_business_seconds: float | None = None
    touch_business_bucket: int | None = None
    sla_tier: str | None = None
    sla_status: str | None = None
    reminders: int = 0
    escalations: int = 0
    reassignments: int = 0
    reassign_reasons: list[str] = field(default_factory=list)
    rejections: int = 0
    reject_reasons: list[str] = field(default_factory=list)
    accepted_at: datetime | None = None
    meeting_at: datetime | None = None
    qualified_at: datetime | None = None
    won_at: datetime | None = None
    lost_at: datetime | None = None
    won_value: float | None = None
    meeting_bucket: int | None = None  # from receipt to the meeting
    won_bucket: int | None = None  # from receipt to the win
    held_seconds: float | None = None
    merged: bool = False
    junk_reason: str | None = None
    account: str | None = None  # matched | review | None
    bounced: bool = False
    covered: int = 0  # a bit per field of COVERED that the lead had
    shares: list[tuple[str, str, float, bool]] = field(default_factory=list)  # see `owed`

    def as_row(self) -> dict[str, Any]:
        """The `lead_facts` row (reasons are rows of their own: `reason_rows`)."""
        row = dict(vars(self))
        del row["reassign_reasons"], row["reject_reasons"], row["shares"]
        return row

    def share_rows(self) -> list[dict[str, Any]]:
        """The `lead_fact_shares` rows: what each eligible rep of its pool was owed of it."""
        return [
            {"lead_id": self.lead_id, "pool": pool, "rep": rep, "expected": owed, "picked": picked}
            for pool, rep, owed, picked in self.shares
        ]

    def reason_rows(self) -> list[dict[str, Any]]:
        """The `lead_fact_reasons` rows: one per rejection and per reassignment."""
        return [
            {"lead_id": self.lead_id, "kind": kind, "reason": reason[:300]}
            for kind, reasons in (
                ("reject", self.reject_reasons),
                ("reassign", self.reassign_reasons),
            )
            for reason in reasons
        ]


def derive(
    lead: LeadSnapshot, events: Sequence[Event], decisions: Sequence[Mapping[str, Any]] = ()
) -> LeadFacts:
    """The facts of one lead from its snapshot, its timeline and its decision records (each
    oldest first)."""
    facts = LeadFacts(
        lead_id=lead.id,
        received_at=lead.received_at,
        received_epoch=int(lead.received_at.timestamp() // 1),
        source=lead.source,
        status=lead.status,
        tier=lead.tier,
        sla_tier=lead.sla_tier,
        sla_status=lead.sla_status,
        merged=lead.duplicate_of is not None,
        junk_reason=lead.junk_reason,
        account="matched" if lead.account_id else None,
        covered=covered_bits(lead.fields),
    )
    held_since = None
    moving = False  # a reassignment was announced: the next `assigned` is its outcome
    for event in events:
        kind = event.type
        if kind == "assigned":
            if facts.assigned_at is None:
                facts.assigned_at = event.at
                facts.rep = event.data.get("rep")
                facts.pool = event.data.get("pool")
                facts.rule = event.data.get("rule")
            elif not moving:  # a manager moved it to a named rep: no routing event before
                facts.reassignments += 1
                facts.reassign_reasons.append("manual")
            facts.owner = event.data.get("rep")
            moving = False
        elif kind == "queued" and held_since is None and facts.assigned_at is None:
            held_since = event.at
        elif kind in MEETS and facts.touch_at is None and facts.assigned_at is not None:
            facts.touch_at = _when(event)
        elif kind in REASSIGNING:
            moving = True
            facts.reassignments += 1
            facts.reassign_reasons.append(REASSIGNING[kind] or str(event.data.get("reason")))
        elif kind == "rejected":
            facts.rejections += 1
            facts.reject_reasons.append(str(event.data.get("note") or "(no reason given)"))
        elif kind == "sla.reminded":
            facts.reminders += 1
        elif kind == "sla.escalated":
            facts.escalations += 1
        elif kind == "account_review" and facts.account is None:
            facts.account = "review"
        elif kind == "bounced":
            facts.bounced = True
        if kind in STAGES and getattr(facts, _stage(kind)) is None:
            setattr(facts, _stage(kind), _when(event))
            if kind == "won" and isinstance(event.data.get("value"), int | float):
                facts.won_value = float(event.data["value"])
    if facts.assigned_at is not None:
        facts.assign_seconds = _seconds(lead.received_at, facts.assigned_at)
        if held_since is not None:
            facts.held_seconds = _seconds(held_since, facts.assigned_at)
    if facts.touch_at is not None and facts.assigned_at is not None:
        facts.touch_seconds = _seconds(facts.assigned_at, facts.touch_at)
        facts.touch_business_seconds = lead.first_touch_business_seconds
    facts.assign_bucket = bucket(facts.assign_seconds)
    facts.touch_bucket = bucket(facts.touch_seconds)
    facts.touch_business_bucket = bucket(facts.touch_business_seconds)
    facts.shares = owed(decisions)
    if facts.meeting_at is not None:
        facts.meeting_bucket = bucket(_seconds(lead.received_at, facts.meeting_at))
    if facts.won_at is not None:
        facts.won_bucket = bucket(_seconds(lead.received_at, facts.won_at))
    return facts


def owed(decisions: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, float, bool]]:
    """(pool, rep, share owed, picked) for each rep eligible when the lead was first assigned.

    Fair is what each rep could have taken: a lead is owed to the members of the pool that
    assigned it who were eligible at that moment, in proportion to their weight. A rep away,
    on time off, outside working hours or at a cap is owed nothing of that lead, so time away
    and capacity are accounted for lead by lead. Worked example: a round robin of ann, ben
    and cid, with cid away: ann and ben are owed half a lead each, cid nothing. A pool that
    names its rep by a field, and an `assign:` rule, owe nobody.
    """
    for record in decisions:
        if record.get("outcome") != "assigned":
            continue
        entry = next((p for p in record.get("pools", ()) if p.get("result") == "assigned"), None)
        if entry is None or "field" in entry:
            return []
        weights = entry.get("weights") or {}
        eligible = [c["rep"] for c in entry.get("candidates", ()) if c.get("eligible")]
        total = sum(weights.get(rep, 1) for rep in eligible)
        picked = entry.get("picked")
        return [
            (entry["pool"], rep, weights.get(rep, 1) / total, rep == picked) for rep in eligible
        ]
    return []


def covered_bits(fields: Mapping[str, Any]) -> int:
    """A bit per field of COVERED that has a value."""
    bits = 0
    for i, name in enumerate(COVERED):
        if fields.get(name) not in (None, "", []):
            bits |= 1 << i
    return bits


def derive_all(items: Iterable[tuple[LeadSnapshot, Sequence[Event]]]) -> Iterable[LeadFacts]:
    return (derive(lead, events) for lead, events in items)


def _stage(kind: str) -> str:
    return {"meeting_booked": "meeting_at"}.get(kind, f"{kind}_at")


def _when(event: Event) -> datetime:
    """When it happened: a rep may record an event after the fact (`at` in its data)."""
    told = event.data.get("at")
    if isinstance(told, str):
        try:
            return datetime.fromisoformat(told)
        except ValueError:
            return event.at
    return event.at


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())
