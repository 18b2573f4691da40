"""Who may take a lead right now: a chain of small checks, each naming why it drops a rep.

Every check answers None (the rep passes) or the reason it excludes the rep, as the decision
record shows it: ``inactive``, ``away``, ``time_off``, ``outside_hours``, ``cap_per_day 12/12``,
``cap_per_week 40/40``, ``cap_open 40/40``, ``pool_cap_per_day 5/5`` (and per week, open),
``skill_missing es``, ``previous_owner``. The first check that fails names the reason; the
order below is the order a person would ask in (is the rep working at all, now, with room, fit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from leadflow.core.calendar import local_day, next_day_start, next_week_start
from leadflow.core.conditions import lookup
from leadflow.core.lead import Lead
from leadflow.core.policy import Caps, Policy, Pool, Rep
from leadflow.core.state import RepState, RoutingState


@dataclass(slots=True)
class Scope:
    """What a set of candidates is screened for: a pool, or a direct `assign:` (pool None)."""

    pool: Pool | None
    respect_hours: bool
    skills: frozenset[str] = frozenset()
    any_skills: tuple[frozenset[str], ...] = ()  # from list-valued lead fields: one of each


@dataclass(slots=True)
class Context:
    """One decision's inputs, with per-decision caches (a calendar is asked once per lead)."""

    policy: Policy
    state: RoutingState
    lead: Lead
    t: float
    _open: dict[str, bool] = field(default_factory=dict)
    _days: dict[str, tuple[int, int]] = field(default_factory=dict)

    def is_open(self, calendar: str) -> bool:
        known = self._open.get(calendar)
        if known is None:
            known = self._open[calendar] = self.policy.calendars[calendar].is_open(self.t)
        return known

    def day(self, tz: str) -> tuple[int, int]:
        known = self._days.get(tz)
        if known is None:
            known = self._days[tz] = local_day(tz, self.t)
        return known


Check = Callable[[Context, Scope, Rep, RepState], str | None]


def inactive(ctx: Context, scope: Scope, rep: Rep, rs: RepState) -> str | None:
    active = rep.active if rs.active is None else rs.active
    return None if active else "inactive"


def away(ctx: Context, scope: Scope, rep: Rep, rs: RepState) -> str | None:
    return "away" if rs.presence == "away" else None


def time_off(ctx: Context, scope: Scope, rep: Rep, rs: RepState) -> str | None:
    periods = rep.time_off if rs.time_off is None else rs.time_off
    t = ctx.t
    return "time_off" if any(p.start <= t < p.end for p in periods) else None


def outside_hours(ctx: Context, scope: Scope, rep: Rep, rs: RepState) -> str | None:
    if not scope.respect_hours or rep.calendar is None:
        return None
    return None if ctx.is_open(rep.calendar) else "outside_hours"


def rep_caps(ctx: Context, scope: Scope, rep: Rep, rs: RepState) -> str | None:
    caps = rep.caps if rs.caps is None else rep.caps.merged(rs.caps)
    return _over(caps, rs.counts.on_day, rs.counts.on_week, rs.counts.open, ctx, rep, "cap")


def pool_caps(ctx: Context, scope: Scope, rep: Rep, rs: RepState) -> str | None:
    if scope.pool is None:
        return None
    c = ctx.state.pool_count(scope.pool.name, rep.id)
    return _over(scope.pool.caps, c.on_day, c.on_week, c.open, ctx, rep, "pool_cap")


def skill_missing(ctx: Context, scope: Scope, rep: Rep, rs: RepState) -> str | None:
    missing = sorted(scope.skills - rep.skills)
    missing += ["|".join(sorted(alt)) for alt in scope.any_skills if not alt & rep.skills]
    return f"skill_missing {','.join(missing)}" if missing else None


def previous_owner(ctx: Context, scope: Scope, rep: Rep, rs: RepState) -> str | None:
    return "previous_owner" if rep.id in ctx.lead.previous_owners else None


CHECKS: tuple[Check, ...] = (
    inactive,
    away,
    time_off,
    outside_hours,
    rep_caps,
    pool_caps,
    skill_missing,
    previous_owner,
)


def _over(
    caps: Caps,
    on_day: Callable[[int], int],
    on_week: Callable[[int], int],
    open_now: int,
    ctx: Context,
    rep: Rep,
    prefix: str,
) -> str | None:
    if caps.per_day is not None or caps.per_week is not None:
        day, week = ctx.day(rep.timezone)
        if caps.per_day is not None and (n := on_day(day)) >= caps.per_day:
            return f"{prefix}_per_day {n}/{caps.per_day}"
        if caps.per_week is not None and (n := on_week(week)) >= caps.per_week:
            return f"{prefix}_per_week {n}/{caps.per_week}"
    if caps.open is not None and open_now >= caps.open:
        return f"{prefix}_open {open_now}/{caps.open}"
    return None


def pool_scope(pool: Pool, lead: Lead) -> Scope:
    """The scope of a pool for this lead: its hours rule and the skills the lead calls for."""
    skills = set(pool.skills)
    any_skills: list[frozenset[str]] = []
    for path in pool.skills_from:
        value = lookup(lead.fields, path)
        if isinstance(value, list):
            wanted = frozenset(str(v).strip().casefold() for v in value if v not in (None, ""))
            if wanted:
                any_skills.append(wanted)
        elif value is not None and value != "":
            skills.add(str(value).strip().casefold())
    return Scope(pool, pool.respect_hours, frozenset(skills), tuple(any_skills))


def reason_excluded(ctx: Context, scope: Scope, rep_id: str) -> str | None:
    """Why this rep may not take the lead now, or None when it may."""
    rep = ctx.policy.reps.get(rep_id)
    if rep is None:
        return "unknown_rep"
    rs = ctx.state.rep(rep_id)
    for check in CHECKS:
        reason = check(ctx, scope, rep, rs)
        if reason is not None:
            return reason
    return None


def screen(
    ctx: Context, scope: Scope, rep_ids: Iterable[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The eligible reps in order, and every candidate with its verdict for the record."""
    eligible: list[str] = []
    verdicts: list[dict[str, Any]] = []
    for rep_id in rep_ids:
        reason = reason_excluded(ctx, scope, rep_id)
        if reason is None:
            eligible.append(rep_id)
            verdicts.append({"rep": rep_id, "eligible": True})
        else:
            verdicts.append({"rep": rep_id, "eligible": False, "reason": reason})
    return eligible, verdicts


def next_chance(ctx: Context, scope: Scope, rep_id: str) -> float | None:
    """The next instant after now when time alone may make this rep eligible, or None.

    A held lead waits for this: the end of time off, the start of working time, or the next
    local day or week when a cap is full. What only a person changes (inactive, away) gives None.
    It may be early (another blocker can still hold); the caller screens again then.
    """
    rep = ctx.policy.reps.get(rep_id)
    if rep is None:
        return None
    rs = ctx.state.rep(rep_id)
    t = ctx.t
    times: list[float] = []
    periods = rep.time_off if rs.time_off is None else rs.time_off
    times.extend(p.end for p in periods if p.start <= t < p.end)
    if scope.respect_hours and rep.calendar is not None and not ctx.is_open(rep.calendar):
        opens = ctx.policy.calendars[rep.calendar].next_open(t)
        if opens is not None:
            times.append(opens)
    reason = reason_excluded(ctx, scope, rep_id) or ""
    if "_per_day " in reason:
        times.append(next_day_start(rep.timezone, t))
    if "_per_week " in reason:
        times.append(next_week_start(rep.timezone, t))
    later = [x for x in times if x > t]
    return min(later) if later else None
