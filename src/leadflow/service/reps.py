"""Reps' day-to-day availability: presence, active, caps and time off, without a new policy.

The policy holds the structure (who is in which pool, calendars, the caps and time off known in
advance); runtime state overrides it per rep: `presence` (available or away), `active` and
`caps` overrides (None: as the policy says), and time off entries added on top of the
policy's. A change is one transaction under the routing lock: the rep's state row, its time off
rows and an audit row (who, before, after) are written together and the routing clock moves
once, so every process routes the next lead with the change. A change that may free the rep
places the leads held for its pools in the same transaction, oldest first.

Roles: a `rep` key sees its own rep and may change only its own presence and time off (a rep
says when they are away; caps and `active` are a manager's); `manager` and `admin` see and
change every rep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.core.calendar import from_epoch, local_day, to_epoch
from leadflow.core.policy import Caps, Policy, Rep
from leadflow.core.state import RepState
from leadflow.grammar import a
from leadflow.policy.calendars import TimeOffError, time_off
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, Invalid, NotFound
from leadflow.service.holds import place_held_in, pools_of
from leadflow.service.routing import Actor, begin_routing, commit_routing
from leadflow.store.routing import load_state, runtime_time_off
from leadflow.store.tables import AuditRow, RepTimeOffRow

log = logging.getLogger("leadflow.reps")

PRESENCES = ("available", "away")
CAP_NAMES = ("per_day", "per_week", "open")
REP_MAY_CHANGE = frozenset({"presence", "time_off_add", "time_off_remove"})  # of its own


@dataclass(frozen=True)
class TimeOff:
    """A stretch of time off: from the policy (`id` None) or added at runtime (with its id)."""

    id: int | None
    source: str  # policy | runtime
    starts_at: datetime  # in the rep's zone
    ends_at: datetime  # exclusive
    note: str | None
    created_by: str | None = None


@dataclass(frozen=True)
class RepView:
    """A rep of the active policy joined with its runtime state."""

    id: str
    name: str
    email: str | None
    calendar: str | None
    timezone: str
    skills: list[str]
    pools: list[str]
    presence: str
    active: bool  # what routing uses: the override, else the policy's
    active_override: bool | None
    policy_active: bool
    caps: dict[str, int | None]  # what routing uses
    caps_override: dict[str, int | None] | None
    policy_caps: dict[str, int | None]
    time_off: list[TimeOff]
    today_count: int
    week_count: int  # from Monday, in the rep's zone
    open_count: int
    last_assigned_at: datetime | None


@dataclass(frozen=True)
class NewTimeOff:
    """Time off to add, written as in a policy: dates or date-times in the rep's zone."""

    start: str
    end: str
    note: str | None = None


@dataclass(frozen=True)
class RepUpdate:
    """What a PATCH changes. `given` names the fields it sets; a given None clears an override.

    `caps` is partial: `{per_day: 20}` sets that override and keeps the others, `{per_day:
    None}` clears it, and `caps` given as None clears every override.
    """

    presence: str | None = None
    active: bool | None = None
    caps: dict[str, int | None] | None = None
    time_off_add: tuple[NewTimeOff, ...] = ()
    time_off_remove: tuple[int, ...] = ()
    given: frozenset[str] = field(default_factory=frozenset)


def list_reps(svc: Services, actor: Actor) -> list[RepView]:
    """Every rep of the active policy with its availability and load (a rep key: itself)."""
    _may_read(actor, None)
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
        if policy is None:
            return []
        state = load_state(session, policy)
        offs = _runtime_time_off(session, None)
    now = svc.clock()
    wanted = [actor.rep_id] if actor.role == "rep" else list(policy.reps)
    return [
        _view(policy, policy.reps[r], state.rep(r), offs.get(r, []), now)
        for r in wanted
        if r in policy.reps
    ]


def get_rep(svc: Services, rep_id: str, actor: Actor) -> RepView:
    """One rep of the active policy with its availability and load."""
    _may_read(actor, rep_id)
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
        rep = _rep_in(policy, rep_id)
        assert policy is not None  # _rep_in found the rep in it
        state = load_state(session, policy)
        offs = _runtime_time_off(session, rep_id)
    return _view(policy, rep, state.rep(rep_id), offs.get(rep_id, []), svc.clock())


def update_rep(svc: Services, rep_id: str, change: RepUpdate, actor: Actor) -> RepView:
    """Change a rep's availability, audit it, and place the held leads it may now take."""
    _may_update(actor, rep_id, change)
    with svc.store.writing() as session:
        txn = begin_routing(svc, session)
        rep = _rep_in(txn.policy, rep_id)
        assert txn.policy is not None
        state = txn.state()
        before = _snapshot(state.rep(rep_id), session, rep_id)
        overrides = _overrides(state.rep(rep_id), change)
        if change.time_off_add or change.time_off_remove:
            _add_time_off(session, rep, change.time_off_add, actor, txn.now)
            _remove_time_off(session, rep_id, change.time_off_remove)
            session.flush()
            extra = tuple(runtime_time_off(session, rep_id).get(rep_id, ()))
            overrides["time_off"] = (*rep.time_off, *extra) if extra else None
        txn.moved()  # before the cached state changes: the clock moves, every process reloads
        state.update_rep(rep_id, overrides)
        txn.touched(rep_id)
        after = _snapshot(state.reps[rep_id], session, rep_id)
        data = {"before": before, "after": after, "changes": _described(change)}
        session.add(
            AuditRow(at=txn.now, actor=actor.name, action="rep.updated", target=rep_id, data=data)
        )
        placed = []
        if _may_free(change):
            placed = place_held_in(txn, pools_of(txn.policy.pools, rep_id), actor)
    commit_routing(svc, txn)
    log.info("rep.updated rep=%s by=%s placed=%s", rep_id, actor.name, len(placed))
    return get_rep(svc, rep_id, actor)


def _may_read(actor: Actor, rep_id: str | None) -> None:
    if actor.role == "intake":
        raise Forbidden("an intake key may only post leads")
    if actor.role == "rep" and rep_id is not None and rep_id != actor.rep_id:
        raise Forbidden("a rep key may only see its own rep")


def _may_update(actor: Actor, rep_id: str, change: RepUpdate) -> None:
    if actor.role in ("manager", "admin"):
        return
    if actor.role != "rep":
        raise Forbidden(f"{a(actor.role)} key may not change reps")
    if rep_id != actor.rep_id or not change.given <= REP_MAY_CHANGE:
        raise Forbidden("a rep may only change its own presence and time off")


def _rep_in(policy: Policy | None, rep_id: str) -> Rep:
    if policy is None or rep_id not in policy.reps:
        raise NotFound(f"no rep {rep_id!r} in the active policy")
    return policy.reps[rep_id]


def _overrides(rs: RepState, change: RepUpdate) -> dict[str, Any]:
    """The changes to the rep's runtime state, as `RoutingState.update_rep` takes them."""
    out: dict[str, Any] = {}
    if "presence" in change.given:
        if change.presence not in PRESENCES:
            expected = " or ".join(PRESENCES)
            raise Invalid(
                f"presence: expected {expected}, got {change.presence!r}", field="presence"
            )
        out["presence"] = change.presence
    if "active" in change.given:
        out["active"] = change.active
    if "caps" in change.given:
        out["caps"] = _caps_override(rs.caps, change.caps)
    return out


def _caps_override(current: Caps | None, patch: dict[str, int | None] | None) -> Caps | None:
    """The new override: `patch` merged over the current one; None when no limit is left."""
    if patch is None:
        return None
    values = {name: getattr(current, name) if current else None for name in CAP_NAMES}
    for name, value in patch.items():
        if name not in CAP_NAMES:
            raise Invalid(
                f"caps: unknown cap {name!r}: expected {', '.join(CAP_NAMES)}", field="caps"
            )
        if value is not None and (isinstance(value, bool) or value < 0):
            raise Invalid(f"caps.{name}: expected a whole number ≥ 0, got {value!r}", field="caps")
        values[name] = value
    caps = Caps(**values)
    return caps if caps.limited else None


def _add_time_off(
    session: Session, rep: Rep, entries: tuple[NewTimeOff, ...], actor: Actor, now: datetime
) -> None:
    periods = []
    for i, entry in enumerate(entries):
        try:
            periods.append(time_off(entry.start, entry.end, rep.timezone, entry.note))
        except TimeOffError as exc:
            where = f"time_off_add[{i}].{exc.field}"
            raise Invalid(f"{where}: {exc}", field=where) from None
    for entry, period in zip(entries, periods, strict=True):
        session.add(
            RepTimeOffRow(
                rep_id=rep.id,
                starts_at=datetime.fromtimestamp(period.start, UTC),
                ends_at=datetime.fromtimestamp(period.end, UTC),
                note=entry.note,
                created_by=actor.name,
                created_at=now,
            )
        )


def _remove_time_off(session: Session, rep_id: str, ids: tuple[int, ...]) -> None:
    for entry_id in ids:
        row = session.get(RepTimeOffRow, entry_id)
        if row is None or row.rep_id != rep_id:
            raise NotFound(f"no time off {entry_id} for rep {rep_id!r}")
        session.delete(row)


def _may_free(change: RepUpdate) -> bool:
    """Whether the change may make the rep eligible where it was not (held leads get a try)."""
    return (
        ("presence" in change.given and change.presence == "available")
        or ("active" in change.given and change.active is not False)
        or "caps" in change.given
        or bool(change.time_off_remove)
    )


def _runtime_time_off(session: Session, rep_id: str | None) -> dict[str, list[TimeOff]]:
    """Runtime time off by rep, in the order it was added (times still in UTC)."""
    query = select(RepTimeOffRow).order_by(RepTimeOffRow.id)
    if rep_id is not None:
        query = query.where(RepTimeOffRow.rep_id == rep_id)
    out: dict[str, list[TimeOff]] = {}
    for row in session.scalars(query):
        entry = TimeOff(row.id, "runtime", row.starts_at, row.ends_at, row.note, row.created_by)
        out.setdefault(row.rep_id, []).append(entry)
    return out


def _snapshot(rs: RepState, session: Session, rep_id: str) -> dict[str, Any]:
    offs = _runtime_time_off(session, rep_id).get(rep_id, [])
    return {
        "presence": rs.presence,
        "active": rs.active,
        "caps": _caps_dict(rs.caps) if rs.caps else None,
        "time_off": [
            {"id": o.id, "from": o.starts_at.isoformat(), "to": o.ends_at.isoformat()} for o in offs
        ],
    }


def _described(change: RepUpdate) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in sorted(change.given):
        value = getattr(change, name)
        if name == "time_off_add":
            value = [{"from": e.start, "to": e.end, "note": e.note} for e in value]
        elif name == "time_off_remove":
            value = list(value)
        out[name] = value
    return out


def _caps_dict(caps: Caps) -> dict[str, int | None]:
    return {name: getattr(caps, name) for name in CAP_NAMES}


def _view(policy: Policy, rep: Rep, rs: RepState, offs: list[TimeOff], now: datetime) -> RepView:
    zone = rep.timezone
    tz = ZoneInfo(zone)
    own = [
        TimeOff(None, "policy", from_epoch(p.start, zone), from_epoch(p.end, zone), p.label)
        for p in rep.time_off
    ]
    runtime = [
        replace(o, starts_at=o.starts_at.astimezone(tz), ends_at=o.ends_at.astimezone(tz))
        for o in offs
    ]
    today, week = local_day(zone, to_epoch(now))
    last = rs.last_assigned_at
    return RepView(
        id=rep.id,
        name=rep.name,
        email=rep.email,
        calendar=rep.calendar,
        timezone=zone,
        skills=sorted(rep.skills),
        pools=[name for name, pool in policy.pools.items() if rep.id in pool.member_ids],
        presence=rs.presence,
        active=rep.active if rs.active is None else rs.active,
        active_override=rs.active,
        policy_active=rep.active,
        caps=_caps_dict(rep.caps.merged(rs.caps)),
        caps_override=_caps_dict(rs.caps) if rs.caps else None,
        policy_caps=_caps_dict(rep.caps),
        time_off=own + runtime,
        today_count=rs.counts.on_day(today),
        week_count=rs.counts.on_week(week),
        open_count=rs.counts.open,
        last_assigned_at=None if last is None else datetime.fromtimestamp(last, UTC),
    )
