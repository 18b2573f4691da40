"""A dry run of an edited policy over stored leads: what it would have done in the last N days.

One engine: the leads received in the window are replayed, in the order they came, through
the simulator that `leadflow simulate` uses (`leadflow.simulate.simulator`), with the events
that shaped their load (won, lost, disqualified) and their first touches (for SLA clocks).
The replay is compared with what live routing did. Nothing is written, nothing is locked.

What is compared is where each lead *landed*: its first decision that was not a hold (for a
held lead, the decision that placed it when someone could take it), or "still held". Not its
current owner: owners also change by hand, by a rep's rejection and by SLA reassignment, and
the question a dry run answers is what the policy itself does with a lead. Held on arrival is
counted apart, before and after.

The replay starts where live routing stood when the window opened, so that an unchanged
policy replays to (nearly) what live did, and what changes is the edit's doing:

- leads still held when the window opened are replayed too, from when they came (live placed
  them inside the window, and they moved its rotations); they count with the window's leads;
- each pool's rotation resumes after the last rep it gave a lead to before the window;
- reps carry the open load of leads placed before the window and still open now;
- time off added at runtime holds, as live;
- a rep's presence and active switches at runtime are not replayed (their history is not
  kept), nor counts per day before the window opened, nor duplicates of leads received
  before it. A lead is replayed at the time it was received (an import with an earlier
  `received_at` was routed when it was imported).

Memory holds one batch of leads, the held leads and the first `SHOWN_MOVES` moves; never the
window's leads at once.
"""

from __future__ import annotations

import heapq
import time
from collections import Counter as Tally
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from leadflow.core.calendar import to_epoch
from leadflow.core.decide import Decision, Outcome
from leadflow.core.policy import Policy
from leadflow.core.state import Counter, PoolState, RepState, RoutingState
from leadflow.policy import Problem
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, Invalid
from leadflow.service.policies import checked
from leadflow.service.routing import OWNED, Actor
from leadflow.simulate.simulator import DRAIN_SECONDS, Simulator
from leadflow.simulate.timeline import LeadArrival, LeadStatus, TimelineItem
from leadflow.store.routing import runtime_time_off
from leadflow.store.tables import DecisionRow, LeadEventRow, LeadRow

TRIAL_DAYS = 7
MOST_DAYS = 90
SHOWN_MOVES = 100
BATCH = 500  # leads per read; also the size of the `IN (...)` for their decisions
_Decided = tuple[str, str | None, str | None]  # a live decision: outcome, rep, rule
CLOSING = ("won", "lost", "disqualified")  # events that end a lead's open load
STILL_HELD = "queued"  # the status of a lead held for a pool


@dataclass(frozen=True)
class Landing:
    """Where a lead landed: `assigned` to `rep`, or nurture, unassigned, merged, junk, or
    `queued` (still held); and the rule that sent it there. Two landings are equal when the
    lead is in the same place, whichever rule put it there (a move); `CHANGES` tells apart
    every way two landings can differ."""

    outcome: str
    rep: str | None = None
    rule: str | None = field(default=None, compare=False)


# The ways a lead's landing can change, as the API counts them: its owner, the rule that placed
# it, and its status as routing left it (assigned, queued, nurture, ...).
CHANGES = ("owner", "rule", "status")


def changed(before: Landing, after: Landing) -> list[str]:
    """Which of `CHANGES` differ between two landings of one lead."""
    pairs = (
        ("owner", before.rep, after.rep),
        ("rule", before.rule, after.rule),
        ("status", before.outcome, after.outcome),
    )
    return [kind for kind, old, new in pairs if old != new]


@dataclass(frozen=True)
class Move:
    """A lead the edited policy would place elsewhere than live routing did."""

    lead_id: str
    received_at: datetime
    name: str | None
    company: str | None
    email: str | None
    before: Landing
    after: Landing


@dataclass(frozen=True)
class RepCount:
    """Leads a rep got in the window: live, and under the edited policy."""

    rep: str
    name: str
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class Trial:
    """What the edited policy would have done with the window's leads, against live."""

    days: int
    since: datetime
    until: datetime
    leads: int  # replayed: received in the window, and `carried`
    carried: int  # received before the window and held when it opened (placed inside it)
    reps: list[RepCount]  # every rep of either policy, by name
    landed: dict[str, tuple[int, int]]  # outcome (not `assigned`) -> (live, edited)
    held_on_arrival: tuple[int, int]  # leads held when they came: (live, edited)
    moved: int  # leads that would land elsewhere
    moves: list[Move]  # the first `SHOWN_MOVES` of them, oldest first
    seconds: float  # how long the replay took
    warnings: list[Problem] = field(default_factory=list)
    changed: int = 0  # leads with another owner, rule or status (the moved, and rule changes)
    changed_by: dict[str, int] = field(default_factory=dict)  # each of `CHANGES` -> leads
    changes: list[Move] = field(default_factory=list)  # the first `SHOWN_MOVES`, oldest first


@dataclass
class _Live:
    """What live routing did with one lead, and what a move of it shows."""

    at: datetime
    landing: Landing
    held: bool
    fields: dict[str, Any]


def trial_run(svc: Services, text: str, actor: Actor, days: int = TRIAL_DAYS) -> Trial:
    """Replay the last `days` days of stored leads under `text`, and compare with live routing.

    `Invalid` (with every problem, each at its line) when the text has an error: nothing is
    replayed. Managers and admins may try a policy; nothing is stored either way.
    """
    if actor.role not in ("manager", "admin"):
        raise Forbidden("only a manager or an admin may try a policy")
    if not 1 <= days <= MOST_DAYS:
        raise Invalid(f"days: between 1 and {MOST_DAYS}", field="days")
    policy, problems = checked(text, "nothing was replayed")
    started = time.perf_counter()
    until = svc.clock()
    since = until - timedelta(days=days)
    svc.accounts.refresh(svc.store)
    with svc.store.reading() as session:
        live = svc.policies.active(session)
        compare = _Comparison(since)
        simulator = Simulator(
            policy,
            on_decision=compare.decided,
            track=_closed_leads(session, since, until),
            touches=True,
            accounts=svc.accounts.index(session, policy.matching),
            state=start_state(session, policy, live, since),
        )
        items = _timeline(
            _closing_events(session, since, until), _arrivals(session, since, until, compare.live)
        )
        for item in items:
            if isinstance(item, LeadArrival):
                compare.arriving(item.lead_id)
                simulator.step(item)
                compare.arrived(item.lead_id)
            else:
                simulator.step(item)
        simulator.advance(to_epoch(until))
    compare.finish()
    names = {r: rep.name for r, rep in live.reps.items()} if live is not None else {}
    names.update({r: rep.name for r, rep in policy.reps.items()})
    reps = sorted(
        set(names) | set(compare.before) | set(compare.after), key=lambda r: names.get(r, r)
    )
    return Trial(
        days=days,
        since=since,
        until=until,
        leads=compare.leads,
        carried=compare.carried,
        reps=[RepCount(r, names.get(r, r), compare.before[r], compare.after[r]) for r in reps],
        landed={
            kind: (compare.landed_before[kind], compare.landed_after[kind])
            for kind in ("unassigned", "nurture", "merged", "junk", STILL_HELD)
        },
        held_on_arrival=(compare.held_before, compare.held_after),
        moved=compare.moved,
        moves=sorted(compare.moves, key=lambda m: m.received_at),
        seconds=time.perf_counter() - started,
        warnings=list(problems),
        changed=compare.changed,
        changed_by={kind: compare.changed_by[kind] for kind in CHANGES},
        changes=sorted(compare.changes, key=lambda m: m.received_at),
    )


def start_state(
    session: Session, policy: Policy, live: Policy | None, since: datetime
) -> RoutingState:
    """The routing state as it stood when the window opened, as far as the rows tell it."""
    state = RoutingState()
    for rep_id, periods in runtime_time_off(session).items():
        if rep_id in policy.reps:
            own = policy.reps[rep_id].time_off
            state.reps[rep_id] = RepState(time_off=(*own, *periods))
    # Rotations: resume after the last rep each pool gave a lead to before the window.
    last_ids = (
        select(func.max(DecisionRow.id))
        .where(
            DecisionRow.outcome == "assigned", DecisionRow.pool.is_not(None), DecisionRow.at < since
        )
        .group_by(DecisionRow.pool)
    )
    last = select(DecisionRow.pool, DecisionRow.rep, DecisionRow.record).where(
        DecisionRow.id.in_(last_ids)
    )
    for pool, rep, record in session.execute(last):
        after = next(
            (e.get("state_after") or {} for e in record.get("pools", []) if e.get("pool") == pool),
            {},
        )
        order = live.pools[pool].member_ids if live is not None and pool in live.pools else ()
        state.pools[pool] = PoolState(
            last=rep, order=tuple(order), position=after.get("position", 0)
        )
    lately = (
        select(DecisionRow.rep, func.max(DecisionRow.at))
        .where(
            DecisionRow.outcome == "assigned", DecisionRow.rep.is_not(None), DecisionRow.at < since
        )
        .group_by(DecisionRow.rep)
    )
    for assignee, at in session.execute(lately):
        if assignee is not None:
            _rep(state, assignee).last_assigned_at = to_epoch(at)
    # Open load carried in: leads from before the window still open now were open all along.
    carried = (
        select(LeadRow.owner, LeadRow.pool, func.count())
        .where(LeadRow.received_at < since, LeadRow.status.in_(OWNED), LeadRow.owner.is_not(None))
        .where(_decided_before(since, queued=False))  # placed by then: not replayed
        .group_by(LeadRow.owner, LeadRow.pool)
    )
    for owner, pool, count in session.execute(carried):
        if owner is None:
            continue
        _rep(state, owner).counts.open += count
        if pool is not None:
            pool_state = state.pools.setdefault(pool, PoolState())
            pool_state.counts.setdefault(owner, Counter()).open += count
    return state


def _rep(state: RoutingState, rep_id: str) -> RepState:
    rs = state.reps.get(rep_id)
    if rs is None:
        rs = state.reps[rep_id] = RepState()
    return rs


class _Comparison:
    """Live against the replay, lead by lead, as the replay decides each one."""

    def __init__(self, since: datetime) -> None:
        self.since = since
        self.carried = 0
        self.live: dict[str, _Live] = {}  # leads read and not yet landed in the replay
        self.current: str | None = None
        self.first: Decision | None = None
        self.held: dict[str, str | None] = {}  # held in the replay, not yet placed: its rule
        self.leads = self.moved = self.held_before = self.held_after = 0
        self.before: Tally[str] = Tally()
        self.after: Tally[str] = Tally()
        self.landed_before: Tally[str] = Tally()
        self.landed_after: Tally[str] = Tally()
        self.moves: list[Move] = []
        self.changed = 0
        self.changed_by: Tally[str] = Tally()
        self.changes: list[Move] = []

    def arriving(self, lead_id: str) -> None:
        self.current, self.first = lead_id, None

    def decided(self, decision: Decision) -> None:
        lead_id = decision.lead_id
        if lead_id == self.current and self.first is None:
            self.first = decision
        elif lead_id in self.held and decision.outcome is not Outcome.QUEUED:
            del self.held[lead_id]
            self._land(lead_id, _landed(decision))

    def arrived(self, lead_id: str) -> None:
        """The replay's first word on the lead: placed, held, or nothing (junk)."""
        self.leads += 1
        first, self.current = self.first, None
        live = self.live[lead_id]
        self.carried += live.at < self.since
        self.held_before += live.held
        if first is None:
            self._land(lead_id, Landing("junk"))
        elif first.outcome is Outcome.QUEUED:
            self.held_after += 1
            self.held[lead_id] = first.rule
        else:
            self._land(lead_id, _landed(first))

    def finish(self) -> None:
        for lead_id, rule in sorted(self.held.items()):
            self._land(lead_id, Landing(STILL_HELD, rule=rule))
        self.held.clear()

    def _land(self, lead_id: str, after: Landing) -> None:
        live = self.live.pop(lead_id)
        before = live.landing
        for landing, reps, others in (
            (before, self.before, self.landed_before),
            (after, self.after, self.landed_after),
        ):
            if landing.outcome == "assigned" and landing.rep is not None:
                reps[landing.rep] += 1
            else:
                others[landing.outcome] += 1
        kinds = changed(before, after)
        if not kinds:
            return
        self.changed += 1
        self.changed_by.update(kinds)
        if len(self.changes) < SHOWN_MOVES:
            self.changes.append(_move(lead_id, live, before, after))
        if before == after:
            return  # only the rule changed: the lead stays where it was
        self.moved += 1
        if len(self.moves) < SHOWN_MOVES:
            self.moves.append(_move(lead_id, live, before, after))


def _move(lead_id: str, live: _Live, before: Landing, after: Landing) -> Move:
    f = live.fields
    name = " ".join(str(f[k]) for k in ("first_name", "last_name") if f.get(k)) or None
    company, email = f.get("company"), f.get("email")
    return Move(
        lead_id,
        live.at,
        name,
        str(company) if company else None,
        str(email) if email else None,
        before,
        after,
    )


def _landed(decision: Decision) -> Landing:
    """Where the replay landed a lead; only an assignment names a rep (a merge names the
    duplicate's owner, which is not where this lead went)."""
    assigned = decision.outcome is Outcome.ASSIGNED
    return Landing(decision.outcome.value, decision.rep if assigned else None, decision.rule)


def _landing(decisions: list[_Decided], status: str) -> tuple[Landing, bool]:
    """Where live routing landed a lead, from its decisions oldest first; and if it was held
    (a lead still held: by the rule of the decision that held it)."""
    if not decisions:  # junk, or unassigned with no policy: never decided
        return Landing(status), False
    held = decisions[0][0] == "queued"
    for outcome, rep, rule in decisions:
        if outcome != "queued":
            return Landing(outcome, rep if outcome == "assigned" else None, rule), held
    return Landing(STILL_HELD, rule=decisions[0][2]), held


def _arrivals(
    session: Session, since: datetime, until: datetime, live: dict[str, _Live]
) -> Iterator[TimelineItem]:
    """The leads to replay in the order they came, a batch at a time: those held when the
    window opened (they were placed inside it), then the window's. What live routing did
    with each goes into `live` as its batch is read."""
    carried = and_(
        LeadRow.received_at >= since - timedelta(seconds=DRAIN_SECONDS),
        LeadRow.received_at < since,
        _decided_before(since, queued=True),
        ~_decided_before(since, queued=False),
    )
    yield from _stored_leads(session, carried, live)
    yield from _stored_leads(
        session, and_(LeadRow.received_at >= since, LeadRow.received_at <= until), live
    )


def _decided_before(since: datetime, *, queued: bool) -> Any:
    """The lead had a decision before `since` that held it (`queued`) or that placed it."""
    outcome = DecisionRow.outcome == "queued" if queued else DecisionRow.outcome != "queued"
    return (
        select(DecisionRow.id)
        .where(DecisionRow.lead_id == LeadRow.id, outcome, DecisionRow.at < since)
        .exists()
    )


def _stored_leads(session: Session, where: Any, live: dict[str, _Live]) -> Iterator[TimelineItem]:
    query = (
        select(
            LeadRow.seq,
            LeadRow.id,
            LeadRow.received_at,
            LeadRow.fields,
            LeadRow.status,
            LeadRow.first_touch_at,
        )
        .where(where)
        .where(LeadRow.status != "stored")  # imported without routing: never routed live
        .order_by(LeadRow.received_at, LeadRow.seq)
        .limit(BATCH)
    )
    after: tuple[datetime, int] | None = None
    while True:
        page = query
        if after is not None:
            at, seq = after
            page = query.where(
                or_(LeadRow.received_at > at, and_(LeadRow.received_at == at, LeadRow.seq > seq))
            )
        rows = session.execute(page).all()
        if not rows:
            return
        decided: dict[str, list[_Decided]] = {row.id: [] for row in rows}
        decisions = (
            select(DecisionRow.lead_id, DecisionRow.outcome, DecisionRow.rep, DecisionRow.rule)
            .where(DecisionRow.lead_id.in_(list(decided)))
            .order_by(DecisionRow.id)
        )
        for lead_id, outcome, rep, rule in session.execute(decisions):
            decided[lead_id].append((outcome, rep, rule))
        for row in rows:
            if not decided[row.id] and row.status not in ("junk", "unassigned"):
                continue  # never decided (a lead still being taken in): nothing to compare
            landing, held = _landing(decided[row.id], row.status)
            live[row.id] = _Live(row.received_at, landing, held, row.fields)
            touch = row.first_touch_at
            yield LeadArrival(
                at=to_epoch(row.received_at),
                lead_id=row.id,
                fields=row.fields,
                line=row.seq,
                source="leads",
                first_touch=to_epoch(touch) if touch is not None else None,
            )
        after = (rows[-1].received_at, rows[-1].seq)


def _closing(since: datetime, until: datetime) -> Any:
    return (
        select(LeadEventRow.id, LeadEventRow.lead_id, LeadEventRow.type, LeadEventRow.at)
        .join(LeadRow, LeadRow.id == LeadEventRow.lead_id)
        .where(LeadEventRow.type.in_(CLOSING), LeadEventRow.at >= since, LeadEventRow.at <= until)
        .where(LeadRow.received_at >= since)
    )


def _closed_leads(session: Session, since: datetime, until: datetime) -> frozenset[str]:
    """The window's leads that a closing event names: only their owners need remembering."""
    ids = (
        select(LeadEventRow.lead_id)
        .distinct()
        .join(LeadRow, LeadRow.id == LeadEventRow.lead_id)
        .where(LeadEventRow.type.in_(CLOSING), LeadEventRow.at >= since, LeadEventRow.at <= until)
        .where(LeadRow.received_at >= since)
    )
    return frozenset(session.scalars(ids))


def _closing_events(session: Session, since: datetime, until: datetime) -> Iterator[TimelineItem]:
    """Won, lost and disqualified events of the window's leads, in time order, in batches."""
    query = _closing(since, until).order_by(LeadEventRow.at, LeadEventRow.id).limit(BATCH)
    after: tuple[datetime, int] | None = None
    while True:
        page = query
        if after is not None:
            at, event_id = after
            page = query.where(
                or_(LeadEventRow.at > at, and_(LeadEventRow.at == at, LeadEventRow.id > event_id))
            )
        rows = session.execute(page).all()
        if not rows:
            return
        for row in rows:
            yield LeadStatus(to_epoch(row.at), row.lead_id, row.type, row.id, "events")
        after = (rows[-1].at, rows[-1].id)


def _timeline(
    events: Iterator[TimelineItem], leads: Iterator[TimelineItem]
) -> Iterator[TimelineItem]:
    return heapq.merge(events, leads, key=_order)


def _order(item: TimelineItem) -> tuple[float, int]:
    """Time order; at one instant an event comes before a lead, as `simulate.timeline` has it."""
    return (item.at, 1 if isinstance(item, LeadArrival) else 0)
