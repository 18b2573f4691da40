"""Routing state: everything a decision depends on that changes over time.

`decide()` only reads a `RoutingState`; it returns the changes that follow as data (`Assigned`,
`RotationMoved`), and a shell applies them: `RoutingState.apply` in memory (simulation, tests),
SQL in the service. Keeping both behind one list of changes is what makes a simulation do
exactly what live routing does.

Invariants:
- counts per day and per week are kept for the current local day/week of the rep only; a count
  whose day is not today reads as 0 (so memory does not grow with time or with leads);
- `open` never goes below 0;
- day and week keys are date ordinals in the rep's own time zone (`calendar.local_day`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from leadflow.core.policy import Caps, Period


@dataclass(slots=True)
class Counter:
    """Assignments in the current local day and week, and leads still open."""

    day: int = -1
    day_count: int = 0
    week: int = -1
    week_count: int = 0
    open: int = 0

    def on_day(self, day: int) -> int:
        return self.day_count if self.day == day else 0

    def on_week(self, week: int) -> int:
        return self.week_count if self.week == week else 0

    def add(self, day: int, week: int) -> None:
        self.day_count = self.day_count + 1 if self.day == day else 1
        self.week_count = self.week_count + 1 if self.week == week else 1
        self.day, self.week = day, week
        self.open += 1

    def release(self) -> None:
        self.open = max(0, self.open - 1)


@dataclass(slots=True)
class RepState:
    """A rep's runtime availability and load. None overrides mean: as the policy says."""

    active: bool | None = None
    presence: str = "available"  # available | away
    time_off: tuple[Period, ...] | None = None
    caps: Caps | None = None
    counts: Counter = field(default_factory=Counter)
    last_assigned_at: float | None = None


@dataclass(slots=True)
class PoolState:
    """Where a pool's rotation stands, and per-member counts for the pool's own caps."""

    last: str | None = None  # round_robin: the rep assigned last
    order: tuple[str, ...] = ()  # round_robin: member order when `last` was assigned
    position: int = 0  # weighted: the next slot of the weighted schedule
    counts: dict[str, Counter] = field(default_factory=dict)


# The changes are NamedTuples, not frozen dataclasses: as immutable, and several times cheaper
# to build, which counts at one or two per decision.


class Assigned(NamedTuple):
    """A lead was given to a rep (from a pool, or directly when `pool` is None)."""

    lead_id: str
    rep: str
    pool: str | None
    at: float
    day: int
    week: int


class RotationMoved(NamedTuple):
    """Where a pool's rotation stands after a pick."""

    pool: str
    last: str | None
    order: tuple[str, ...]
    position: int


Change = Assigned | RotationMoved

NO_REP_STATE = _NO_REP = RepState()  # how a rep never seen reads: never written to
_NO_POOL = PoolState()
_NO_COUNT = Counter()


@dataclass(slots=True)
class RoutingState:
    reps: dict[str, RepState] = field(default_factory=dict)
    pools: dict[str, PoolState] = field(default_factory=dict)

    def rep(self, rep_id: str) -> RepState:
        """The rep's state; an unseen rep reads as fresh (and is not stored by reading)."""
        return self.reps.get(rep_id, _NO_REP)

    def pool(self, name: str) -> PoolState:
        return self.pools.get(name, _NO_POOL)

    def pool_count(self, pool: str, rep_id: str) -> Counter:
        ps = self.pools.get(pool)
        return _NO_COUNT if ps is None else ps.counts.get(rep_id, _NO_COUNT)

    def apply(self, changes: tuple[Change, ...] | list[Change]) -> None:
        """Apply a decision's changes, as the database shell does in its transaction."""
        for change in changes:
            if isinstance(change, Assigned):
                rs = self.reps.get(change.rep)
                if rs is None:
                    rs = self.reps[change.rep] = RepState()
                rs.counts.add(change.day, change.week)
                rs.last_assigned_at = change.at
                if change.pool is not None:
                    ps = self._pool(change.pool)
                    counter = ps.counts.get(change.rep)
                    if counter is None:
                        counter = ps.counts[change.rep] = Counter()
                    counter.add(change.day, change.week)
            else:
                ps = self._pool(change.pool)
                ps.last, ps.order, ps.position = change.last, change.order, change.position

    def release(self, rep_id: str, pool: str | None) -> None:
        """A lead of this rep was won, lost or closed: it no longer counts as open load."""
        rs = self.reps.get(rep_id)
        if rs is not None:
            rs.counts.release()
        if pool is not None and (ps := self.pools.get(pool)) and (c := ps.counts.get(rep_id)):
            c.release()

    def update_rep(self, rep_id: str, changes: dict[str, Any]) -> None:
        """Runtime availability: any of active, presence, time_off (Periods), caps (Caps)."""
        rs = self.reps.get(rep_id)
        if rs is None:
            rs = self.reps[rep_id] = RepState()
        if "active" in changes:
            rs.active = changes["active"]
        if "presence" in changes:
            rs.presence = changes["presence"]
        if "time_off" in changes:
            rs.time_off = changes["time_off"]
        if "caps" in changes:
            rs.caps = changes["caps"]

    def _pool(self, name: str) -> PoolState:
        ps = self.pools.get(name)
        if ps is None:
            ps = self.pools[name] = PoolState()
        return ps
