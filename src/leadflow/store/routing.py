"""Routing state in the database, and the process's cache of it.

A routing transaction: lock the `routing_clock` row, get the state (from the cache when the
clock's version is the one the cache was built at, else from the rows), decide, write the rows
the decision changed and bump the version, commit. Every process does the same under the same
row lock, so decisions are serialized across processes and each one sees the state the one
before left. The cache only saves the reload when nobody else routed in between.

Invariants:
- the cached state is trusted only at the version recorded after a successful commit; a change
  applied to it and not (yet) committed leaves it untrusted, so a failed commit means a reload;
- rows are written from the cached objects after `RoutingState.apply`, under the lock, so the
  read-modify-write cannot race; each touched row once, when the transaction commits
  (`Touched`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from leadflow.core.calendar import to_epoch
from leadflow.core.policy import Caps, Period, Policy
from leadflow.core.state import Assigned, Change, Counter, PoolState, RepState, RoutingState
from leadflow.store.tables import (
    PoolCounterRow,
    PoolStateRow,
    RepStateRow,
    RepTimeOffRow,
    RoutingClockRow,
)


@dataclass
class RoutingClock:
    """The routing lock, held until the transaction ends, and the version read under it."""

    version: int


_LOCK = select(RoutingClockRow.version).where(RoutingClockRow.id == 1).with_for_update()
_ADVANCE = (
    update(RoutingClockRow).where(RoutingClockRow.id == 1).values(version=bindparam("version"))
)


def lock_clock(session: Session) -> RoutingClock:
    """Take the routing lock (the clock row, FOR UPDATE) for the rest of the transaction."""
    connection = session.connection()  # Core, not the ORM: this runs for every lead
    version = connection.execute(_LOCK).scalar_one_or_none()
    if version is None:  # the migration creates the row; only a hand-made database lacks it
        connection.execute(insert(RoutingClockRow).values(id=1, version=0))
        version = 0
    return RoutingClock(version)


def advance_clock(session: Session, clock: RoutingClock) -> int:
    """Move the clock: every process's cached state is stale from here on."""
    clock.version += 1
    session.connection().execute(_ADVANCE, {"version": clock.version})
    return clock.version


def load_state(session: Session, policy: Policy) -> RoutingState:
    """The whole routing state from its rows (time off: the policy's and the runtime's)."""
    state = RoutingState()
    extra = runtime_time_off(session)
    for row in session.scalars(select(RepStateRow)):
        state.reps[row.rep_id] = RepState(
            active=row.active,
            presence=row.presence,
            caps=Caps(**row.caps) if row.caps else None,
            counts=Counter(row.day, row.day_count, row.week, row.week_count, row.open_count),
            last_assigned_at=row.last_assigned_at,
        )
    for rep_id, periods in extra.items():
        rs = state.reps.get(rep_id)
        if rs is None:
            rs = state.reps[rep_id] = RepState()
        own = policy.reps[rep_id].time_off if rep_id in policy.reps else ()
        rs.time_off = (*own, *periods)
    for pool_row in session.scalars(select(PoolStateRow)):
        state.pools[pool_row.pool] = PoolState(
            last=pool_row.last, order=tuple(pool_row.order), position=pool_row.position
        )
    for c in session.scalars(select(PoolCounterRow)):
        ps = state.pools.get(c.pool)
        if ps is None:
            ps = state.pools[c.pool] = PoolState()
        ps.counts[c.rep_id] = Counter(c.day, c.day_count, c.week, c.week_count, c.open_count)
    return state


def runtime_time_off(session: Session, rep_id: str | None = None) -> dict[str, list[Period]]:
    """Time off added at runtime, by rep, as the core reads it, in the order it was added."""
    query = select(RepTimeOffRow).order_by(RepTimeOffRow.id)
    if rep_id is not None:
        query = query.where(RepTimeOffRow.rep_id == rep_id)
    periods: dict[str, list[Period]] = {}
    for off in session.scalars(query):
        label = off.note or f"{off.starts_at.isoformat()}..{off.ends_at.isoformat()}"
        period = Period(to_epoch(off.starts_at), to_epoch(off.ends_at), label)
        periods.setdefault(off.rep_id, []).append(period)
    return periods


def _caps(caps: Caps | None) -> dict[str, Any] | None:
    if caps is None:
        return None
    return {"per_day": caps.per_day, "per_week": caps.per_week, "open": caps.open}


@lru_cache(maxsize=64)
def _upsert_statement(
    dialect: str, table: Any, keys: tuple[str, ...], columns: tuple[str, ...]
) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE, built once with bind parameters.

    Building a new statement per row cost more than running it; one statement object per
    table lets SQLAlchemy's compiled cache serve every later call.
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values({name: bindparam(name) for name in (*keys, *columns)})
    excluded = {name: statement.excluded[name] for name in columns}
    return statement.on_conflict_do_update(index_elements=list(keys), set_=excluded)


@dataclass
class Touched:
    """The reps and pools (with the members counted) a transaction changed, to write once.

    A batch of leads, or of SLA steps, touches the same few rows again and again: they are
    written when the transaction commits, each once, in one round trip per table.
    """

    reps: set[str] = field(default_factory=set)
    pools: dict[str, set[str]] = field(default_factory=dict)

    def write(self, session: Session, state: RoutingState) -> None:
        """Upsert every touched row from `state`; then nothing is touched."""
        connection = session.connection()
        name = connection.dialect.name
        reps = [_rep_values(rep_id, state.reps[rep_id]) for rep_id in sorted(self.reps)]
        if reps:
            connection.execute(_upsert_statement(name, RepStateRow, *_REP_COLUMNS), reps)
        pools, counters = [], []
        for pool, members in sorted(self.pools.items()):
            ps = state.pools[pool]
            pools.append(
                {"pool": pool, "last": ps.last, "order": list(ps.order), "position": ps.position}
            )
            for rep_id in sorted(members):
                c = ps.counts.get(rep_id)
                if c is not None:
                    counters.append(
                        {
                            "pool": pool,
                            "rep_id": rep_id,
                            "day": c.day,
                            "day_count": c.day_count,
                            "week": c.week,
                            "week_count": c.week_count,
                            "open_count": c.open,
                        }
                    )
        if pools:
            connection.execute(_upsert_statement(name, PoolStateRow, *_POOL_COLUMNS), pools)
        if counters:
            connection.execute(_upsert_statement(name, PoolCounterRow, *_COUNTER_COLUMNS), counters)
        self.reps.clear()
        self.pools.clear()


_REP_COLUMNS = (
    ("rep_id",),
    (
        "active",
        "presence",
        "caps",
        "day",
        "day_count",
        "week",
        "week_count",
        "open_count",
        "last_assigned_at",
    ),
)
_POOL_COLUMNS = (("pool",), ("last", "order", "position"))
_COUNTER_COLUMNS = (
    ("pool", "rep_id"),
    ("day", "day_count", "week", "week_count", "open_count"),
)


def _rep_values(rep_id: str, rs: RepState) -> dict[str, Any]:
    c = rs.counts
    return {
        "rep_id": rep_id,
        "active": rs.active,
        "presence": rs.presence,
        "caps": _caps(rs.caps),
        "day": c.day,
        "day_count": c.day_count,
        "week": c.week,
        "week_count": c.week_count,
        "open_count": c.open,
        "last_assigned_at": rs.last_assigned_at,
    }


@dataclass
class RoutingCache:
    """One process's routing state, trusted at `version` of the routing clock."""

    version: int | None = None
    state: RoutingState = field(default_factory=RoutingState)
    policy: Policy | None = None  # the policy the state was loaded under (its time off)
    _pending: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def state_for(self, session: Session, clock: RoutingClock, policy: Policy) -> RoutingState:
        """The state at the clock's version: the cached one, or reloaded from the rows."""
        with self._lock:
            trusted = self.version == clock.version and self.policy is policy
            if not trusted:
                self.state = load_state(session, policy)
                self.policy = policy
                self.version = clock.version
            # A transaction that only reads leaves the cache trusted; one that changes the
            # state calls `changing()` first, and only its commit makes it trusted again.
            self._pending = clock.version + 1
            return self.state

    def changing(self) -> None:
        """The state is about to change in a transaction not yet committed: trust it no more."""
        with self._lock:
            self.version = None

    def save(self, changes: Iterable[Change], touched: Touched) -> None:
        """Apply a decision's changes to the state; `touched` gathers the rows to write."""
        self.changing()
        changes = tuple(changes)
        self.state.apply(changes)
        for change in changes:
            if isinstance(change, Assigned):
                touched.reps.add(change.rep)
                if change.pool is not None:
                    touched.pools.setdefault(change.pool, set()).add(change.rep)
            else:
                touched.pools.setdefault(change.pool, set())

    def release(self, rep_id: str, pool: str | None, touched: Touched) -> None:
        """A lead of this rep was closed or moved away: it is no longer the rep's open load."""
        self.changing()
        state = self.state
        state.release(rep_id, pool)
        if rep_id in state.reps:
            touched.reps.add(rep_id)
        if pool is not None and pool in state.pools:
            touched.pools.setdefault(pool, set()).add(rep_id)

    def committed(self, version: int) -> None:
        """The transaction that produced `version` committed: the cached state is that version."""
        with self._lock:
            if self._pending == version:
                self.version = version

    def forget(self) -> None:
        with self._lock:
            self.version = None
            self._pending = None
