"""Replay a timeline of leads and events through a policy on a virtual clock.

The simulator is the in-memory shell around the core: it keeps the `RoutingState`, calls
`decide()` for each lead exactly as live routing does, applies the decision's changes, and
holds queued leads until one of their pool's members becomes eligible (at the start of working
time, the end of time off, a new day under a cap, a `rep.updated`, or a closed lead that frees
load). Under a policy with `sla`, it also runs each assigned lead's SLA clock (`simulate.sla`):
deadlines are acted on in time order with everything else, and an SLA reassignment is a
decision like the others. Memory grows with held leads, with leads whose SLA clock runs and
with leads that later events name, never with the number of leads otherwise.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadflow.core.conditions import lookup
from leadflow.core.decide import Decision, Outcome, assign_held, decide
from leadflow.core.eligibility import Context, hold_kind, next_chance, pool_scope
from leadflow.core.lead import Lead
from leadflow.core.policy import Caps, Policy, Strategy
from leadflow.core.state import RoutingState
from leadflow.policy.compile import compile_time_off
from leadflow.quality.accounts import AccountIndex
from leadflow.quality.identity import OpenLeads, identity_keys
from leadflow.quality.mapping import LEAD_FIELDS, apply_mapping
from leadflow.quality.pipeline import merged, prepare
from leadflow.simulate.sla import SlaClocks
from leadflow.simulate.sla_report import NO_SLA, NO_TOUCHES, SlaReport
from leadflow.simulate.summary import Summary
from leadflow.simulate.timeline import LeadArrival, LeadStatus, RepUpdate, TimelineItem

CLOSING = frozenset({"won", "lost", "disqualified", "closed"})  # the lead is no longer open load
DRAIN_SECONDS = 14 * 86400.0  # after the last item, held leads are still placed for this long


class SimulationError(ValueError):
    """An event that cannot be replayed (an unknown rep); names its file and line."""


@dataclass(slots=True)
class Held:
    lead: Lead
    since: float
    rule: str | None
    touch: float | None = None  # first_touch_at from the lead's history


@dataclass
class Simulator:
    policy: Policy
    on_decision: Callable[[Decision], None] = lambda decision: None
    track: frozenset[str] | None = None  # lead ids later events name (None: track all)
    touches: bool = True  # the history records first touches; without, SLA is not measured
    state: RoutingState = field(default_factory=RoutingState)
    summary: Summary = field(init=False)
    held: dict[str, deque[Held]] = field(default_factory=dict)
    owners: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    chances: dict[str, float | None] = field(default_factory=dict)  # per pool with held leads
    held_in: dict[str, str] = field(default_factory=dict)  # held lead id -> its pool
    wake: float | None = None  # the earliest of `chances`
    pools_of: dict[str, list[str]] = field(init=False)  # rep -> pools whose holds it can free
    clocks: SlaClocks | None = field(init=False)  # None: SLA is not measured
    accounts: AccountIndex | None = None  # leads are matched to these, as live
    open_leads: OpenLeads | None = field(init=False)  # for dedupe; None: the policy has none

    def __post_init__(self) -> None:
        self.summary = Summary(self.policy)
        why_not = NO_SLA if not self.policy.sla else None if self.touches else NO_TOUCHES
        report = self.summary.sla = SlaReport(self.policy, why_not)
        self.clocks = None
        if why_not is None:
            self.clocks = SlaClocks(self.policy, self.state, report, self._reassigned, self.track)
        dedupe = self.policy.dedupe
        self.open_leads = OpenLeads(dedupe.window, dedupe.by) if dedupe is not None else None
        named = [p.name for p in self.policy.pools.values() if p.strategy is Strategy.BY_FIELD]
        self.pools_of = {rep: list(named) for rep in self.policy.reps}
        for pool in self.policy.pools.values():
            for member in pool.members:
                self.pools_of[member.rep].append(pool.name)

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
        if self.clocks is not None:
            self.clocks.finish()
        self.summary.finish(sum(len(q) for q in self.held.values()))
        return self.summary

    def advance(self, until: float) -> None:
        """Let time pass to `until` with no new item: held leads are placed and SLA clocks act
        as they come due. A replay of stored leads stops at now, where live routing stands."""
        self._advance(until)

    def step(self, item: TimelineItem) -> None:
        at, wake, clocks = item.at, self.wake, self.clocks
        if (wake is not None and wake <= at) or (
            clocks is not None and clocks.next_at is not None and clocks.next_at < at
        ):
            self._advance(at, deadlines_at_until=False)
        if isinstance(item, LeadArrival):
            self._arrive(item)
        elif isinstance(item, LeadStatus):
            self._status(item)
        else:
            self._rep_update(item)

    def _arrive(self, item: LeadArrival) -> None:
        """The steps before routing, as live: clean, screen, identify, score; then decide."""
        at, open_leads = item.at, self.open_leads
        find = None if open_leads is None else lambda keys: open_leads.find(keys, at)
        fields = item.fields
        source = fields.get("source")
        mapping = self.policy.mapping_for(source)
        notes: list[dict[str, Any]] = []
        if mapping is not None:  # a lead of a source the policy maps, as live maps it
            fields, unreadable = apply_mapping(fields, mapping, LEAD_FIELDS)
            fields["source"] = source
            notes = [found.record() for found in unreadable]
        prepared = prepare(fields, self.policy, self.accounts, find, notes=notes)
        self.summary.prepared(prepared)
        if prepared.junk is not None:
            return
        if prepared.duplicate is not None:
            decision = merged(item.lead_id, _instant(at), prepared, self.policy)
            self.on_decision(decision)
            self.summary.add(decision)
            return
        lead = Lead(item.lead_id, prepared.fields, quality=prepared.record)
        decision = decide(lead, self.policy, self.state, _instant(at))
        self._record(decision, lead, at, item.first_touch)

    def _record(
        self,
        decision: Decision,
        lead: Lead,
        at: float,
        touch: float | None = None,
        received: float | None = None,  # when a held lead arrived; None: at `at`
    ) -> None:
        self.on_decision(decision)
        if decision.changes:
            self.state.apply(decision.changes)
        outcome = decision.outcome
        if outcome is Outcome.QUEUED:
            assert decision.pool is not None
            queue = self.held.get(decision.pool)
            if queue is None:  # a pool newly waiting: when may one of its members be free?
                queue = self.held[decision.pool] = deque()
                self.chances[decision.pool] = chance = self._chance(decision.pool, lead, at)
                if chance is not None and (self.wake is None or chance < self.wake):
                    self.wake = chance
            queue.append(Held(lead, at, decision.rule, touch))
            self.held_in[lead.id] = decision.pool
            return
        tracked = self.track is None or lead.id in self.track
        if self.open_leads is not None and outcome is Outcome.ASSIGNED:
            # owned and worked from now on: a newcomer with its identity is its duplicate
            since = at if received is None else received
            self.open_leads.add(lead.id, identity_keys(lead.fields), since, decision.rep)
        if outcome is Outcome.ASSIGNED and decision.rep is not None and tracked:
            self.owners[lead.id] = (decision.rep, decision.pool)
        self.summary.add(decision)
        if self.clocks is not None and outcome is Outcome.ASSIGNED:
            self.clocks.start(lead, decision, at, touch)

    def _reassigned(self, decision: Decision, owner: str, pool: str | None, at: float) -> None:
        """An SLA reassignment, applied as live applies it: the previous owner's lead no longer
        counts as theirs (which may free a held lead), and the new owner's does."""
        assert decision.rep is not None
        self.on_decision(decision)
        self.state.release(owner, pool)
        self.state.apply(decision.changes)
        self.summary.add_reassignment(decision)
        if self.open_leads is not None:
            self.open_leads.owned(decision.lead_id, decision.rep)
        if self.track is None or decision.lead_id in self.track:
            self.owners[decision.lead_id] = (decision.rep, decision.pool)
        self._retry(at, self.pools_of[owner])

    def _status(self, item: LeadStatus) -> None:
        if self.clocks is not None:
            self.clocks.status(item.lead_id, item.status, item.at, closes=item.status in CLOSING)
        if item.status not in CLOSING:
            self.summary.statuses[item.status] += 1
            return
        if self.open_leads is not None:
            self.open_leads.close(item.lead_id)
        owner = self.owners.pop(item.lead_id, None)
        if owner is not None:
            self.state.release(*owner)
            self.summary.statuses[item.status] += 1
            self._retry(item.at, self.pools_of[owner[0]])
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
        self._retry(item.at, self.pools_of[item.rep])

    def _drop_held(self, lead_id: str) -> bool:
        name = self.held_in.pop(lead_id, None)
        if name is None:
            return False
        queue = self.held[name]
        for held in queue:
            if held.lead.id == lead_id:
                queue.remove(held)
                break
        if not queue:
            self._forget(name)
        return True

    def _advance(self, until: float, *, deadlines_at_until: bool = True) -> None:
        """Run the wake-ups and SLA clocks due by `until`, each at its own instant, in order.

        At one instant, wake-ups come before clocks. `deadlines_at_until` False leaves the
        clocks due at `until` itself for after the item at that instant (a touch at the very
        deadline meets it).
        """
        clocks = self.clocks
        while True:
            wake = self.wake if self.wake is not None and self.wake <= until else None
            due = clocks.next_at if clocks is not None else None
            if due is not None and (due > until or (due == until and not deadlines_at_until)):
                due = None
            if wake is not None and (due is None or wake <= due):
                due_pools = [n for n, c in self.chances.items() if c is not None and c <= wake]
                self._retry(wake, due_pools)
            elif due is not None and clocks is not None:
                clocks.run_next()
            else:
                return

    def _retry(self, at: float, names: list[str]) -> None:
        """Place the held leads of these pools that someone can take now, oldest first.

        Only what can free a member calls this: a wake-up that is due, a closed lead or a
        `rep.updated` of one of the pool's members. An assignment only ever makes reps less
        available, so the other pools' planned wake-ups stay right.
        """
        wanted = set(names) & self.held.keys()
        now = _instant(at)
        for name in [n for n in self.held if n in wanted]:  # in the order they began to wait
            queue = self.held[name]
            pool = self.policy.pools[name]
            # Leads that ask the same of the pool get the same verdict, and an assignment only
            # makes reps less available: once a kind of lead finds nobody, skip its like.
            failed: set[Any] = set()
            kept: deque[Held] = deque()
            while queue:
                held = queue.popleft()
                kind = hold_kind(pool, held.lead)
                if kind in failed:
                    kept.append(held)
                    continue
                decision = assign_held(held.lead, name, held.rule, self.policy, self.state, now)
                if decision is None:
                    kept.append(held)
                    failed.add(kind)
                    continue
                del self.held_in[held.lead.id]
                self.summary.held_seconds.append(at - held.since)
                self._record(decision, held.lead, at, held.touch, held.since)
            if kept:
                self.held[name] = kept
                self.chances[name] = self._chance(name, kept[0].lead, at)
            else:
                self._forget(name)
        self._rewake()

    def _forget(self, name: str) -> None:
        del self.held[name]
        del self.chances[name]
        self._rewake()

    def _rewake(self) -> None:
        known = [c for c in self.chances.values() if c is not None]
        self.wake = min(known) if known else None

    def _chance(self, name: str, lead: Lead, at: float) -> float | None:
        """When time alone may make a member of this pool eligible for its held leads."""
        pool = self.policy.pools[name]
        ctx = Context(self.policy, self.state, lead, at)
        scope = pool_scope(pool, lead)
        if pool.strategy is Strategy.BY_FIELD and pool.field is not None:
            queue = self.held.get(name, ())
            named = {self.policy.find_rep(lookup(h.lead.fields, pool.field)) for h in queue}
            named.add(self.policy.find_rep(lookup(lead.fields, pool.field)))
            reps = sorted(r for r in named if r is not None)
        else:
            reps = [m.rep for m in pool.members]
        chances = [c for rep in reps if (c := next_chance(ctx, scope, rep)) is not None]
        return min(chances) if chances else None


def _instant(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)
