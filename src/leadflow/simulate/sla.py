"""The SLA clocks of a simulation: started on assignment, met by a touch, acted on when due.

This is `service.sla` on a virtual clock, built on the same core (`core.sla`,
`core.decide.reassign`), so that a backtest makes the reassignments live would make:

- When a lead is assigned, the first tier whose `when` holds starts a clock in the owner's
  working time, counted with the owner's time off as the simulation's state has it then.
- A first touch at or before the deadline meets it. At the deadline without one, the clock is
  breached, and `on_breach(tier, reassignments)` says what follows: a reassignment within the
  lead's pool (never to a previous owner) under a new clock; once reassignments run out, the
  pool's overflow or the fallback (escalated); the manager told when the tier asks or on
  escalation. A lead assigned by an `assign:` rule has no pool, and is not moved (as live).
- The touch is the lead's `first_touch_at`, else its first `lead.status` event that meets an
  SLA (`core.sla.MEETS`). **The history's touch time stays the same whoever owns the lead
  then**: a reassigned lead is touched when history says it was, by its owner at that time.

Invariants:

- Deadlines run in time order with the other items: `Simulator` asks `next_at` before each
  item. An item at the deadline's very instant comes first, so a touch at the deadline meets
  it, as live (``touched <= due``); a wake-up for held leads at that instant also comes first.
- Only leads whose clock runs are remembered, and they leave when touched or breached for
  good. A lead that a status event names is also looked up by id; one breached for good
  without a touch waits for that event (for its time to first touch): memory follows the SLA
  window and the events, not the number of leads.
- Same inputs, same result: clocks due at the same instant run in the order they started.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from leadflow.core.decide import Decision, reassign
from leadflow.core.lead import Lead
from leadflow.core.policy import Period, Policy, SlaTier
from leadflow.core.sla import MEETS, elapsed, on_breach, start_clock, tier_for
from leadflow.core.state import RoutingState
from leadflow.simulate.sla_report import SlaReport, TierFigures

# (decision, previous owner, their pool, at): the shell applies a reassignment as it applies
# any decision, and releases the previous owner's open lead.
Reassigned = Callable[[Decision, str, str | None, float], None]


@dataclass(slots=True, eq=False)
class _Clock:
    """A lead's SLA while it runs: its current owner's deadline, and what history says."""

    lead: Lead  # previous_owners: every owner the SLA took it from
    tier: SlaTier
    figures: TierFigures
    owner: str
    pool: str | None
    rule: str | None
    assigned: float  # the first assignment: time to first touch counts from here
    touch: float | None  # first_touch_at from history; None: from a status event, or never
    tracked: bool  # a status event names the lead
    due: float = 0.0
    reassignments: int = 0
    breached: bool = False
    running: bool = True


class SlaClocks:
    """The clocks that run in one simulation, in a heap by the instant each must be acted on."""

    def __init__(
        self,
        policy: Policy,
        state: RoutingState,
        report: SlaReport,
        reassigned: Reassigned,
        track: frozenset[str] | None,
    ) -> None:
        self.policy = policy
        self.state = state
        self.report = report
        self.reassigned = reassigned
        self.track = track
        self.next_at: float | None = None  # the earliest instant in the heap
        self._heap: list[tuple[float, int, _Clock]] = []
        self._started = 0  # a tie-break in the heap: the order clocks started
        self._by_id: dict[str, _Clock] = {}  # running clocks of leads that events name
        self._untouched: dict[str, _Clock] = {}  # breached for good, waiting for an event

    def start(self, lead: Lead, decision: Decision, at: float, touch: float | None) -> None:
        """`decision` assigned `lead` at `at`: start the clock of its tier, if it has one."""
        tier = tier_for(self.policy, lead.fields)
        if tier is None or decision.rep is None:
            return
        figures = self.report.tiers[tier.name]
        figures.leads += 1
        tracked = self.track is None or lead.id in self.track
        rep, pool, rule = decision.rep, decision.pool, decision.rule
        clock = _Clock(lead, tier, figures, rep, pool, rule, at, touch, tracked)
        if tracked:
            self._untouched.pop(lead.id, None)  # an id given again: the newer lead is meant
            self._by_id[lead.id] = clock
        self._run(clock, at)

    def status(self, lead_id: str, status: str, at: float, *, closes: bool) -> None:
        """A `lead.status` event: the first touch of a lead without first_touch_at, or a close."""
        clock = self._by_id.get(lead_id)
        if clock is not None:
            if status in MEETS and clock.touch is None:
                clock.touch = at  # every deadline before `at` has run: this one is not past
                self._met(clock, at)
            elif closes:
                clock.figures.closed_before_touch += not clock.breached  # breached: counted
                self._forget(clock)
        elif (clock := self._untouched.get(lead_id)) is not None and (status in MEETS or closes):
            del self._untouched[lead_id]
            if status in MEETS:
                self._measure(clock, at)

    def run_next(self) -> None:
        """Act on the earliest clock in the heap: a touch in time, or a deadline."""
        at, _, clock = heapq.heappop(self._heap)
        self.next_at = self._heap[0][0] if self._heap else None
        if not clock.running:  # touched or closed by an event since
            return
        if clock.touch is not None and clock.touch <= clock.due:
            self._met(clock, at)
        else:
            self._breach(clock, at)

    def remembered(self) -> int:
        """How many leads' clocks are held in memory now (running, or waiting for an event)."""
        return sum(clock.running for _, _, clock in self._heap) + len(self._untouched)

    def finish(self) -> None:
        """The replay is over: clocks still running are pending; those breached, not."""
        for _, _, clock in self._heap:
            if clock.running and not clock.breached:
                clock.figures.pending += 1
            clock.running = False

    def _run(self, clock: _Clock, at: float) -> None:
        """Start the owner's clock at `at`, as the service does."""
        owner = clock.owner
        started = start_clock(self.policy, clock.tier, owner, at, self._time_off(owner))
        clock.due = started.due
        touch = clock.touch
        if touch is not None and touch <= at:  # touched before this assignment: met at once
            self._met(clock, at)
            return
        when = touch if touch is not None and touch <= started.due else started.due
        self._started += 1
        heapq.heappush(self._heap, (when, self._started, clock))
        if self.next_at is None or when < self.next_at:
            self.next_at = when

    def _met(self, clock: _Clock, at: float) -> None:
        if clock.breached:
            clock.figures.met_after_reassignment += 1
        else:
            clock.figures.met += 1
        self._measure(clock, max(at, clock.assigned))
        self._forget(clock)

    def _breach(self, clock: _Clock, at: float) -> None:
        """The deadline passed untouched: breached, and what the tier's `on_breach` says."""
        figures = clock.figures
        if not clock.breached:
            figures.breached += 1
            clock.breached = True
        breach = on_breach(clock.tier, clock.reassignments)
        figures.managers_told += breach.notify_manager
        figures.escalations += breach.escalated
        if not (breach.reassign or breach.overflow):  # a lead with no pool: by the fallback
            self._breached_for_good(clock)
            return
        owner, pool = clock.owner, clock.pool
        lead = replace(clock.lead, previous_owners=clock.lead.previous_owners | {owner})
        now = datetime.fromtimestamp(at, UTC)
        decision = reassign(
            lead,
            pool,
            clock.rule,
            self.policy,
            self.state,
            now,
            to_overflow=breach.overflow,
            from_rep=owner,
        )
        if decision is None or decision.rep is None:  # live keeps the owner and tells the manager
            figures.not_reassigned += 1
            figures.managers_told += not breach.notify_manager
            self._breached_for_good(clock)
            return
        self.reassigned(decision, owner, pool, at)
        figures.reassignments += 1
        figures.to_overflow += breach.overflow
        clock.lead, clock.owner, clock.pool = lead, decision.rep, decision.pool
        clock.reassignments += 1
        self._run(clock, at)

    def _breached_for_good(self, clock: _Clock) -> None:
        """The clock stops for good; a touch later than the deadline still counts in the times."""
        if clock.touch is not None:
            self._measure(clock, clock.touch)
        elif clock.tracked:
            self._untouched[clock.lead.id] = clock
        self._forget(clock)

    def _measure(self, clock: _Clock, touched: float) -> None:
        """Time to first touch from the first assignment, in wall time and the owner's working
        time (as the service stores it: business time whatever the tier counts in)."""
        start, owner = clock.assigned, clock.owner
        clock.figures.to_touch[max(0.0, touched - start)] += 1
        working = elapsed(self.policy, True, owner, start, touched, self._time_off(owner))
        clock.figures.to_touch_business[working] += 1

    def _forget(self, clock: _Clock) -> None:
        clock.running = False
        if self._by_id.get(clock.lead.id) is clock:
            del self._by_id[clock.lead.id]

    def _time_off(self, rep_id: str) -> tuple[Period, ...] | None:
        """The rep's time off as routing sees it: None (the policy's) unless an event set it."""
        rs = self.state.reps.get(rep_id)
        return rs.time_off if rs is not None else None
