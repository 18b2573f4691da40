"""Who may take a lead right now: a chain of filters, each naming why it drops a rep.

Each filter takes the candidates still standing, keeps the ones that pass and records a reason
for each one it drops, as the decision record shows it: ``inactive``, ``away``, ``time_off``,
``outside_hours``, ``cap_per_day 12/12``, ``cap_per_week 40/40``, ``cap_open 40/40``,
``pool_cap_per_day 5/5`` (and per week, open), ``skill_missing es``, ``previous_owner``. The
first filter that drops a rep names the reason; the order is the order a person would ask in
(is the rep working at all, now, with room, a fit).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadflow.core.calendar import local_day, next_day_start, next_week_start
from leadflow.core.conditions import lookup
from leadflow.core.lead import Lead
from leadflow.core.policy import Caps, Policy, Pool, Rep, Strategy
from leadflow.core.state import NO_REP_STATE, Counter, RepState, RoutingState


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


Candidate = tuple[Rep, RepState]
Filter = Callable[[Context, Scope, list[Candidate], dict[str, str]], list[Candidate]]


def inactive(
    ctx: Context, scope: Scope, cands: list[Candidate], out: dict[str, str]
) -> list[Candidate]:
    kept = []
    for c in cands:
        rep, rs = c
        if rep.active if rs.active is None else rs.active:
            kept.append(c)
        else:
            out[rep.id] = "inactive"
    return kept


def away(
    ctx: Context, scope: Scope, cands: list[Candidate], out: dict[str, str]
) -> list[Candidate]:
    kept = []
    for c in cands:
        if c[1].presence == "away":
            out[c[0].id] = "away"
        else:
            kept.append(c)
    return kept


def time_off(
    ctx: Context, scope: Scope, cands: list[Candidate], out: dict[str, str]
) -> list[Candidate]:
    t = ctx.t
    kept = []
    for c in cands:
        rep, rs = c
        periods = rep.time_off if rs.time_off is None else rs.time_off
        for period in periods:
            if period.start <= t < period.end:
                out[rep.id] = "time_off"
                break
        else:
            kept.append(c)
    return kept


def outside_hours(
    ctx: Context, scope: Scope, cands: list[Candidate], out: dict[str, str]
) -> list[Candidate]:
    if not scope.respect_hours:
        return cands
    kept = []
    for c in cands:
        calendar = c[0].calendar
        if calendar is None or ctx.is_open(calendar):
            kept.append(c)
        else:
            out[c[0].id] = "outside_hours"
    return kept


def rep_caps(
    ctx: Context, scope: Scope, cands: list[Candidate], out: dict[str, str]
) -> list[Candidate]:
    kept = []
    for c in cands:
        rep, rs = c
        caps = rep.caps if rs.caps is None else rep.caps.merged(rs.caps)
        reason = _over(caps, rs.counts, ctx, rep, "cap") if caps.limited else None
        if reason is None:
            kept.append(c)
        else:
            out[rep.id] = reason
    return kept


def pool_caps(
    ctx: Context, scope: Scope, cands: list[Candidate], out: dict[str, str]
) -> list[Candidate]:
    pool = scope.pool
    if pool is None or not pool.caps.limited:
        return cands
    kept = []
    for c in cands:
        rep = c[0]
        reason = _over(pool.caps, ctx.state.pool_count(pool.name, rep.id), ctx, rep, "pool_cap")
        if reason is None:
            kept.append(c)
        else:
            out[rep.id] = reason
    return kept


def skill_missing(
    ctx: Context, scope: Scope, cands: list[Candidate], out: dict[str, str]
) -> list[Candidate]:
    if not scope.skills and not scope.any_skills:
        return cands
    kept = []
    for c in cands:
        skills = c[0].skills
        missing = sorted(scope.skills - skills)
        missing += ["|".join(sorted(alt)) for alt in scope.any_skills if not alt & skills]
        if missing:
            out[c[0].id] = f"skill_missing {','.join(missing)}"
        else:
            kept.append(c)
    return kept


def previous_owner(
    ctx: Context, scope: Scope, cands: list[Candidate], out: dict[str, str]
) -> list[Candidate]:
    previous = ctx.lead.previous_owners
    if not previous:
        return cands
    kept = []
    for c in cands:
        if c[0].id in previous:
            out[c[0].id] = "previous_owner"
        else:
            kept.append(c)
    return kept


FILTERS: tuple[Filter, ...] = (
    inactive,
    away,
    time_off,
    outside_hours,
    rep_caps,
    pool_caps,
    skill_missing,
    previous_owner,
)


def _over(caps: Caps, counts: Counter, ctx: Context, rep: Rep, prefix: str) -> str | None:
    if caps.per_day is not None or caps.per_week is not None:
        day, week = ctx.day(rep.timezone)
        if caps.per_day is not None and (n := counts.on_day(day)) >= caps.per_day:
            return f"{prefix}_per_day {n}/{caps.per_day}"
        if caps.per_week is not None and (n := counts.on_week(week)) >= caps.per_week:
            return f"{prefix}_per_week {n}/{caps.per_week}"
    if caps.open is not None and counts.open >= caps.open:
        return f"{prefix}_open {counts.open}/{caps.open}"
    return None


_STATIC_SCOPES: dict[int, tuple[Pool, Scope]] = {}  # holding the pool keeps its id unique


def pool_scope(pool: Pool, lead: Lead) -> Scope:
    """The scope of a pool for this lead: its hours rule and the skills the lead calls for."""
    if not pool.skills_from:  # the same for every lead: build it once
        cached = _STATIC_SCOPES.get(id(pool))
        if cached is not None and cached[0] is pool:
            return cached[1]
        if len(_STATIC_SCOPES) > 4096:  # policies come and go in a long-lived service
            _STATIC_SCOPES.clear()
        scope = Scope(pool, pool.respect_hours, pool.skills)
        _STATIC_SCOPES[id(pool)] = (pool, scope)
        return scope
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


def hold_kind(pool: Pool, lead: Lead) -> Any:
    """What a held lead asks of its pool, as a key: leads of one kind get one verdict.

    The same for every lead of a plain pool; else it adds the skills a lead calls for when they
    come from its fields, the rep it names in a by_field pool, and the pool's members the lead
    may not go back to (a rejected lead's previous owners). An assignment only makes reps less
    available, so once a kind finds nobody, its like need not be tried until something frees.
    """
    barred = lead.previous_owners.intersection(pool.member_ids) if lead.previous_owners else None
    if pool.strategy is Strategy.BY_FIELD and pool.field is not None:
        return (lookup(lead.fields, pool.field), barred)
    if not pool.skills_from:
        return (None, barred)
    scope = pool_scope(pool, lead)
    return (scope.skills, scope.any_skills, barred)


def reason_excluded(ctx: Context, scope: Scope, rep_id: str) -> str | None:
    """Why this rep may not take the lead now, or None when it may."""
    return _run(ctx, scope, (rep_id,)).get(rep_id)


def screen(
    ctx: Context, scope: Scope, rep_ids: Sequence[str]
) -> tuple[list[str], list[dict[str, Any]]]:
    """The eligible reps in order, and every candidate with its verdict for the record."""
    dropped = _run(ctx, scope, rep_ids)
    eligible: list[str] = []
    verdicts: list[dict[str, Any]] = []
    for rep_id in rep_ids:
        reason = dropped.get(rep_id)
        if reason is None:
            eligible.append(rep_id)
            verdicts.append(_eligible(rep_id))
        else:
            verdicts.append({"rep": rep_id, "eligible": False, "reason": reason})
    return eligible, verdicts


def _run(ctx: Context, scope: Scope, rep_ids: Sequence[str]) -> dict[str, str]:
    """Pass the candidates through every filter; the reasons of those dropped, by rep id."""
    dropped: dict[str, str] = {}
    reps = ctx.policy.reps
    states = ctx.state.reps
    cands: list[Candidate] = []
    for rep_id in rep_ids:
        rep = reps.get(rep_id)
        if rep is None:
            dropped[rep_id] = "unknown_rep"
        else:
            cands.append((rep, states.get(rep_id) or NO_REP_STATE))
    for keep in FILTERS:
        if not cands:
            break
        cands = keep(ctx, scope, cands, dropped)
    return dropped


_ELIGIBLE: dict[str, dict[str, Any]] = {}


def _eligible(rep_id: str) -> dict[str, Any]:
    """The record's verdict for an eligible rep: one shared, read-only dict per rep."""
    verdict = _ELIGIBLE.get(rep_id)
    if verdict is None:
        verdict = _ELIGIBLE[rep_id] = {"rep": rep_id, "eligible": True}
    return verdict


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
