"""Replay a timeline of leads and events through a policy on a virtual clock.

The simulator is the in-memory shell around the core: it keeps the `RoutingState`, calls
`decide()` for each lead exactly as live routing does, applies the decision's changes, and
holds queued leads until one of their pool's members becomes eligible (at the start of working
time, the end of time off, a new day under a cap, a `rep.updated`, or a closed lead that frees
load). Memory grows with held leads and with leads that later events name, never with the
number of leads otherwise.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadflow.core.conditions import lookup
from leadflow.core.decide import Decision, Outcome, assign_held, decide
from leadflow.core.eligibility import Context, next_chance, pool_scope
from leadflow.core.lead import Lead
from leadflow.core.policy import Caps, Policy, Strategy
from leadflow.core.state import RoutingState
from leadflow.policy.compile import compile_time_off
from leadflow.simulate.summary import Summary
from leadflow.simulate.timeline import LeadArrival, LeadStatus, RepUpdate, TimelineItem

CLOSING = frozenset({"won", "lost", "closed"})
DRAIN_SECONDS = 14 * 86400.0  # after the last item, held leads are still placed for this long


class SimulationError(ValueError):
    """An event that cannot be replayed (an unknown rep); names its file and line."""


@dataclass(slots=True)
class Held:
    lead: Lead
    since: float
    rule: str | None


@dataclass
class Simulator:
    policy: Policy
    on_decision: Callable[[Decision], None] = lambda decision: None
    track: frozenset[str] | None = None  # lead ids later events name (None: track all)
    state: RoutingState = field(default_factory=RoutingState)
    summary: Summary = field(init=False)
    held: dict[str, deque[Held]] = field(default_factory=dict)
    owners: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    wake: float | None = None

    def __post_init__(self) -> None:
        self.summary = Summary(self.policy)

    def run(self, items: Iterable[TimelineItem]) -> Summary:
        """Replay every item in order, then place held leads as time goes on.

        The input ends, but time does not: a lead held on Friday night is placed on Monday
        morning. Leads still held `DRAIN_SECONDS` after the last item count as queued.
        """
        last: float | None = None
        for item in items:
            self.step(item)
            last = item.at
        if last is not None:
            self._advance(last + DRAIN_SECONDS)
        self.summary.finish(sum(len(q) for q in self.held.values()))
        return self.summary

    def step(self, item: TimelineItem) -> None:
        if self.wake is not None and self.wake <= item.at:
            self._advance(item.at)
        if isinstance(item, LeadArrival):
            lead = Lead(item.lead_id, item.fields)
            self._record(decide(lead, self.policy, self.state, _instant(item.at)), lead, item.at)
        elif isinstance(item, LeadStatus):
            self._status(item)
        else:
            self._rep_update(item)

    def _record(self, decision: Decision, lead: Lead, at: float) -> None:
        self.on_decision(decision)
        if decision.changes:
            self.state.apply(decision.changes)
        outcome = decision.outcome
        if outcome is Outcome.QUEUED:
            assert decision.pool is not None
            self.held.setdefault(decision.pool, deque()).append(Held(lead, at, decision.rule))
            self._plan_wake(at)
            return
        tracked = self.track is None or lead.id in self.track
        if outcome is Outcome.ASSIGNED and decision.rep is not None and tracked:
            self.owners[lead.id] = (decision.rep, decision.pool)
        self.summary.add(decision)

    def _status(self, item: LeadStatus) -> None:
        if item.status not in CLOSING:
            self.summary.statuses[item.status] += 1
            return
        owner = self.owners.pop(item.lead_id, None)
        if owner is not None:
            self.state.release(*owner)
            self.summary.statuses[item.status] += 1
            self._retry(item.at)
        elif self._drop_held(item.lead_id):
            self.summary.closed_while_queued += 1
        else:
            self.summary.statuses["unknown_lead"] += 1

    def _rep_update(self, item: RepUpdate) -> None:
        rep = self.policy.reps.get(item.rep)
        if rep is None:
            raise SimulationError(f"{item.source} line {item.line}: rep: unknown rep {item.rep!r}")
        changes: dict[str, Any] = dict(item.changes)
        try:
            if "time_off" in changes:
                changes["time_off"] = compile_time_off(changes["time_off"], rep.timezone)
            if "caps" in changes:
                changes["caps"] = Caps(**changes["caps"])
        except (TypeError, ValueError) as exc:
            raise SimulationError(f"{item.source} line {item.line}: {exc}") from None
        self.state.update_rep(item.rep, changes)
        self._retry(item.at)

    def _drop_held(self, lead_id: str) -> bool:
        for name, queue in self.held.items():
            for held in queue:
                if held.lead.id == lead_id:
                    queue.remove(held)
                    if not queue:
                        del self.held[name]
                    return True
        return False

    def _advance(self, until: float) -> None:
        """Run the wake-ups due by `until`, each at its own instant."""
        while self.wake is not None and self.wake <= until:
            self._retry(self.wake)

    def _retry(self, at: float) -> None:
        """Place held leads that someone can take now, oldest first, then plan the next wake."""
        self.wake = None
        if not self.held:
            return
        now = _instant(at)
        for name in list(self.held):
            queue = self.held[name]
            pool = self.policy.pools[name]
            # one verdict for every lead, unless skills or a named rep come from the lead
            uniform = not pool.skills_from and pool.strategy is not Strategy.BY_FIELD
            kept: deque[Held] = deque()
            while queue:
                held = queue.popleft()
                decision = assign_held(held.lead, name, held.rule, self.policy, self.state, now)
                if decision is None:
                    kept.append(held)
                    if uniform:
                        kept.extend(queue)
                        queue.clear()
                    continue
                self.summary.held_seconds.append(at - held.since)
                self._record(decision, held.lead, at)
            if kept:
                self.held[name] = kept
            else:
                del self.held[name]
        self._plan_wake(at)

    def _plan_wake(self, at: float) -> None:
        """The earliest instant when time alone may free a member of a pool with held leads."""
        chances: list[float] = []
        for name, queue in self.held.items():
            pool = self.policy.pools[name]
            ctx = Context(self.policy, self.state, queue[0].lead, at)
            scope = pool_scope(pool, queue[0].lead)
            if pool.strategy is Strategy.BY_FIELD and pool.field is not None:
                named = {self.policy.find_rep(lookup(h.lead.fields, pool.field)) for h in queue}
                reps = sorted(r for r in named if r is not None)
            else:
                reps = [m.rep for m in pool.members]
            for rep in reps:
                chance = next_chance(ctx, scope, rep)
                if chance is not None:
                    chances.append(chance)
        self.wake = min(chances) if chances else None


def _instant(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)
