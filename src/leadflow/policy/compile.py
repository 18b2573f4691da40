"""Compile a well-formed policy document into the core's `Policy`, collecting every problem.

The schema said each entry has the right shape; here names are resolved (a rep in a pool, an
overflow pool, a calendar), times, dates, zones and conditions are parsed, and the document is
read as a whole for what is legal but probably wrong (a rule that can never be reached, a rep
who never gets a lead), which becomes a warning. Nothing stops at the first problem: a policy
author fixes a file faster from the full list.

Names written in an entry that has shape errors still count as defined, so one typo in a rep
gives one error rather than one more for every pool that lists the rep.
"""

from __future__ import annotations

import difflib
import itertools
import re
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from leadflow.core.calendar import (
    DAY_NAMES,
    Calendar,
    CalendarError,
    parse_days,
    parse_interval,
    parse_local,
    to_epoch,
    validate_holiday_code,
)
from leadflow.core.conditions import Condition, ConditionError, compile_condition
from leadflow.core.policy import (
    NO_CAPS,
    OWNER_FIELDS,
    ActionKind,
    Caps,
    Member,
    Period,
    Policy,
    Pool,
    Rep,
    Rule,
    Strategy,
    WhenUnavailable,
)
from leadflow.policy.schema import (
    CalendarDoc,
    CapsDoc,
    PoolDoc,
    RepDoc,
    RuleDoc,
    Sections,
    SkillFrom,
)
from leadflow.policy.yamlpos import Path

if TYPE_CHECKING:
    from leadflow.policy import Report

FORMAT_VERSION = 1
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_NEVER = Condition(holds=lambda facts: False, paths=(), source=None)  # stands in for a bad one
Intervals = tuple[tuple[int, int], ...]


def unknown(kind: str, name: str, known: list[str], where: str = "") -> str:
    """`unknown rep 'carol' in pool 'x' (known reps: alice, bob)`, with a guess for typos."""
    message = f"unknown {kind} {name!r}{where}"
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    if not known:
        return f"{message} (no {kind}s are defined)"
    if len(known) <= 12:
        return f"{message} (known {kind}s: {', '.join(known)})"
    return message


class TimeOffError(ValueError):
    """Time off that cannot be read; `field` is `from` or `to`."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def time_off(start: str, end: str, timezone: str, note: str | None = None) -> Period:
    """Time off in a rep's zone: a date is a whole day (`to` included), a date-time exact.

    `2026-12-21` to `2026-12-31` is [21 Dec 00:00, 1 Jan 00:00); `2026-11-03T13:00` to
    `2026-11-03T17:30` is those four and a half hours. An offset in the text wins over the zone.
    """
    begins = _instant("from", start, timezone, day_end=False)
    ends = _instant("to", end, timezone, day_end=True)
    if ends <= begins:
        how = "ends before it starts" if ends < begins else "is empty: it ends when it starts"
        raise TimeOffError(f"time off {start} to {end} {how}", "to")
    return Period(begins, ends, f"{start}..{end}" + (f" ({note})" if note else ""))


def compile_time_off(periods: Any, timezone: str) -> tuple[Period, ...]:
    """Time off written as in a policy, `[{from, to, note?}]`, from outside one (an event)."""
    if not isinstance(periods, list):
        raise ValueError("time_off: expected a list of {from, to}")
    compiled = []
    for i, item in enumerate(periods):
        start, end = (item.get("from"), item.get("to")) if isinstance(item, dict) else (0, 0)
        if not isinstance(start, str) or not isinstance(end, str):
            raise ValueError(f"time_off[{i}]: expected {{from, to}} with dates or date-times")
        try:
            compiled.append(time_off(start, end, timezone, item.get("note")))
        except TimeOffError as exc:
            raise ValueError(f"time_off[{i}].{exc.field}: {exc}") from None
    return tuple(compiled)


def _instant(field: str, text: str, timezone: str, *, day_end: bool) -> float:
    try:
        if day_end and _DATE.fullmatch(text.strip()):
            following = date.fromisoformat(text.strip()) + timedelta(days=1)
            return to_epoch(parse_local(following.isoformat(), timezone))
        return to_epoch(parse_local(text, timezone))
    except ValueError:
        expected = "expected a date such as 2026-12-21 or a date-time such as 2026-12-21T13:00"
        raise TimeOffError(f"{expected}, got {text!r}", field) from None


def compile_sections(sections: Sections, report: Report, digest: str) -> Policy | None:
    """The compiled policy, or None when `report` holds an error (its own or an earlier one)."""
    return _Compiler(sections, report).policy(digest)


class _Compiler:
    def __init__(self, sections: Sections, report: Report) -> None:
        self.s = sections
        self.report = report
        self.error, self.warning = report.error, report.warning
        self.rep_ids = list(dict.fromkeys(sections.rep_ids))
        self.pool_names = sections.names.get("pools", [])
        self.bad_zones: set[str] = set()
        self.timezone = "UTC"

    def policy(self, digest: str) -> Policy | None:
        s = self.s
        if s.version is not None and s.version != FORMAT_VERSION:
            self.error(("version",), f"unknown policy version {s.version}: expected 1")
        if s.timezone is not None and self.zone(("timezone",), s.timezone):
            self.timezone = s.timezone
        calendars = {n: c for n, d in s.calendars.items() if (c := self.calendar(n, d))}
        territories = {name: self.territory(name, data) for name, data in s.territories.items()}
        reps = self.reps()
        pools = {name: self.pool(name, doc) for name, doc in s.pools.items()}
        self.overflow_loops()
        rules = self.rules(territories)
        if s.fallback is None:
            message = "no fallback: a lead that no rule places is left unassigned; "
            self.warning((), message + "add 'fallback: POOL' to send it to a pool")
        elif s.fallback not in self.pool_names:
            self.error(("fallback",), unknown("pool", s.fallback, self.pool_names, " in fallback"))
        self.idle_reps(reps, pools, rules)
        if self.report.has_errors:
            return None
        return Policy(
            timezone=self.timezone,
            reps=reps,
            pools=pools,
            rules=tuple(rules),
            fallback=s.fallback,
            calendars=calendars,
            territories=territories,
            format_version=FORMAT_VERSION,
            digest=digest,
        )

    def zone(self, path: Path, name: str) -> bool:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            self.bad_zones.add(name)
            close = difflib.get_close_matches(name, available_timezones(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            expected = "expected an IANA name such as America/New_York"
            self.error(path, f"unknown time zone {name!r}{hint} ({expected})")
            return False
        return True

    def calendar(self, name: str, doc: CalendarDoc) -> Calendar | None:
        at: Path = ("calendars", name)
        problems = len(self.report.problems)
        if doc.timezone is not None:
            self.zone((*at, "timezone"), doc.timezone)
        hours: dict[int, Intervals] = {}
        given_by: dict[int, str] = {}
        for spec, texts in doc.hours.items():
            try:
                days = parse_days(spec)
            except CalendarError as exc:
                self.error((*at, "hours", spec), str(exc), key=True)
                continue
            again = next((d for d in days if d in given_by), None)
            if again is not None:
                message = f"{DAY_NAMES[again]} is given twice, by {given_by[again]!r} and {spec!r}"
                self.error((*at, "hours", spec), message, key=True)
                continue
            intervals = self.intervals((*at, "hours", spec), texts)
            hours.update((d, intervals) for d in days)
            given_by.update((d, spec) for d in days)
        exceptions: dict[date, Intervals] = {}
        for text, texts in doc.exceptions.items():
            if not _DATE.fullmatch(text) or (day := _date(text)) is None:
                message = f"expected a date such as 2026-12-24 as an exception, got {text!r}"
                self.error((*at, "exceptions", text), message, key=True)
                continue
            exceptions[day] = self.intervals((*at, "exceptions", text), texts)
        for i, code in enumerate(doc.holidays):
            try:
                validate_holiday_code(code)
            except CalendarError as exc:
                self.error((*at, "holidays", i), str(exc))
        if len(self.report.problems) > problems:
            return None
        timezone = doc.timezone or self.timezone
        return Calendar(name, timezone, hours, tuple(doc.holidays), exceptions)

    def intervals(self, path: Path, texts: list[str]) -> Intervals:
        """Sorted intervals of one day; overlapping ones are an error, as their meaning is lost."""
        parsed: list[tuple[tuple[int, int], int]] = []
        for i, text in enumerate(texts):
            try:
                parsed.append((parse_interval(text), i))
            except CalendarError as exc:
                self.error((*path, i), str(exc))
        parsed.sort()
        for (earlier, i), (later, j) in itertools.pairwise(parsed):
            if later[0] < earlier[1]:
                message = f"interval {texts[j]!r} overlaps {texts[i]!r} on {path[-1]}"
                self.error((*path, j), message)
        return tuple(interval for interval, _ in parsed)

    def territory(self, name: str, data: Any) -> Condition:
        try:
            return compile_condition(data)
        except ConditionError as exc:
            message = f"territory {name!r}: {exc.message}"
            if "territory" in exc.path:
                message = f"territory {name!r} uses 'territory': territories cannot nest, so "
                message += "write the other territory's conditions here"
            self.error(("territories", name, *exc.path), message, key=True)
            return _NEVER

    def reps(self) -> dict[str, Rep]:
        reps: dict[str, Rep] = {}
        first: dict[str, Path] = {}
        for i, doc in self.s.reps.items():
            at: Path = ("reps", i)
            if doc.id in first:
                line = self.report.positions.find((*first[doc.id], "id"))
                message = f"duplicate rep id {doc.id!r} (first at line {line[0] if line else '?'})"
                self.error((*at, "id"), message)
                continue
            first[doc.id] = at
            reps[doc.id] = self.rep(at, doc)
        for i, doc in self.s.reps.items():
            if doc.manager is not None and doc.manager not in self.rep_ids:
                where = f" as manager of {doc.id!r}"
                self.error(("reps", i, "manager"), unknown("rep", doc.manager, self.rep_ids, where))
        return reps

    def rep(self, at: Path, doc: RepDoc) -> Rep:
        timezone = self.timezone
        calendars = self.s.names.get("calendars", [])
        if doc.calendar is not None and doc.calendar not in calendars:
            self.error((*at, "calendar"), unknown("calendar", doc.calendar, calendars))
        elif doc.calendar in self.s.calendars:
            timezone = self.s.calendars[doc.calendar].timezone or timezone
        if doc.timezone is not None and self.zone((*at, "timezone"), doc.timezone):
            timezone = doc.timezone
        periods = []
        if timezone not in self.bad_zones:
            for j, off in enumerate(doc.time_off):
                try:
                    periods.append(time_off(off.from_, off.to, timezone, off.note))
                except TimeOffError as exc:
                    self.error((*at, "time_off", j, exc.field), str(exc))
        return Rep(
            id=doc.id,
            name=doc.name,
            email=doc.email,
            calendar=doc.calendar,
            timezone=timezone,
            skills=frozenset(skill.strip().lower() for skill in doc.skills if skill.strip()),
            active=doc.active,
            caps=self.caps((*at, "caps"), doc.caps, f"rep {doc.id!r} can never be assigned a lead"),
            time_off=tuple(periods),
            manager=doc.manager,
        )

    def caps(self, path: Path, doc: CapsDoc | None, effect: str) -> Caps:
        if doc is None:
            return NO_CAPS
        for name in ("per_day", "per_week", "open"):
            if getattr(doc, name) == 0:
                self.warning((*path, name), f"{name} cap of 0: {effect}")
        return Caps(per_day=doc.per_day, per_week=doc.per_week, open=doc.open)

    def pool(self, name: str, doc: PoolDoc) -> Pool:
        at: Path = ("pools", name)
        strategy = Strategy(doc.strategy)
        members: dict[str, Member] = {}
        for j, member in enumerate(doc.members):
            path = self.at_rep((*at, "members", j))
            if member.rep not in self.rep_ids:
                where = f" in pool {name!r}"
                self.error(path, unknown("rep", member.rep, self.rep_ids, where))
            elif member.rep in members:
                self.error(path, f"rep {member.rep!r} is in pool {name!r} twice")
            if member.weight != 1 and strategy != Strategy.WEIGHTED:
                message = f"weight {member.weight} has no effect: pool {name!r} uses {strategy}, "
                self.warning((*at, "members", j, "weight"), message + "not weighted")
            members.setdefault(member.rep, Member(member.rep, member.weight))
        if not doc.members and strategy != Strategy.BY_FIELD:  # by_field: any rep the lead names
            self.warning((*at, "members"), f"pool {name!r} has no members: it assigns no lead")
        if doc.overflow is not None and doc.overflow not in self.pool_names:
            where = f" as overflow of pool {name!r}"
            self.error((*at, "overflow"), unknown("pool", doc.overflow, self.pool_names, where))
        if strategy == Strategy.BY_FIELD and doc.field is None:
            message = f"pool {name!r} uses by_field, which needs 'field': the lead field that "
            self.error(at, message + "names the rep, such as owner_email", key=True)
        elif strategy != Strategy.BY_FIELD and doc.field is not None:
            message = f"'field' is only for the by_field strategy; pool {name!r} is {strategy}"
            self.error((*at, "field"), message, key=True)
        skills = [s for s in doc.skills if isinstance(s, str)]
        return Pool(
            name=name,
            strategy=strategy,
            members=tuple(members.values()),
            overflow=doc.overflow,
            respect_hours=doc.respect_hours,
            caps=self.caps((*at, "caps"), doc.caps, f"no lead can be assigned from pool {name!r}"),
            skills=frozenset(s.strip().lower() for s in skills if s.strip()),
            skills_from=tuple(s.path for s in doc.skills if isinstance(s, SkillFrom)),
            when_unavailable=WhenUnavailable(doc.when_unavailable),
            field=doc.field,
        )

    def at_rep(self, path: Path) -> Path:
        """A member written `{rep: x}` is located at x, one written `x` at itself."""
        return (*path, "rep") if (*path, "rep") in self.report.positions.values else path

    def overflow_loops(self) -> None:
        """Report each loop once, from its first pool in the document: `a -> b -> a`."""
        overflow = {name: doc.overflow for name, doc in self.s.pools.items() if doc.overflow}
        reported: set[str] = set()
        for start in overflow:
            chain = [start]
            while (following := overflow.get(chain[-1])) is not None and following not in chain:
                chain.append(following)
            if following is None or following in reported:
                continue
            loop = chain[chain.index(following) :]
            reported.update(loop)
            names = " -> ".join([*loop, loop[0]])
            self.error(("pools", loop[0], "overflow"), f"overflow loop: {names}")

    def rules(self, territories: dict[str, Condition]) -> list[Rule]:
        rules: list[Rule] = []
        first: dict[str, Path] = {}
        takes_all: str | None = None
        for i, doc in self.s.rules.items():
            at: Path = ("rules", i)
            if doc.name in first:
                line = self.report.positions.find((*first[doc.name], "name"))
                where = f"first at line {line[0]}" if line else "used before"
                self.error((*at, "name"), f"duplicate rule name {doc.name!r} ({where})")
            first.setdefault(doc.name, at)
            if takes_all is not None:
                message = f"rule {doc.name!r} is never reached: rule {takes_all!r} before it has "
                self.warning((*at, "name"), message + "no 'when' and places every lead")
            when = self.when(at, doc, territories)
            rule = self.rule(at, doc, when)
            if rule is not None and when is None and takes_all is None and self.places_all(rule):
                takes_all = doc.name
            rules.extend([rule] if rule else [])
        return rules

    def places_all(self, rule: Rule) -> bool:
        """Whether a rule that always matches also always places the lead (no fall-through).

        An `assign:` without `else:` falls through when its rep is not eligible, and so does a
        route to a by_field pool without overflow when the lead names nobody eligible.
        """
        if rule.action is ActionKind.ASSIGN:
            return rule.else_pool is not None
        if rule.action is ActionKind.ROUTE:
            pool = self.s.pools.get(rule.target)
            return pool is None or pool.strategy != "by_field" or pool.overflow is not None
        return True

    def when(self, at: Path, doc: RuleDoc, territories: dict[str, Condition]) -> Condition | None:
        if "when" not in doc.model_fields_set:
            return None
        try:
            return compile_condition(doc.when, territories)
        except ConditionError as exc:
            self.error((*at, "when", *exc.path), f"rule {doc.name!r}: {exc.message}", key=True)
            return _NEVER

    def rule(self, at: Path, doc: RuleDoc, when: Condition | None) -> Rule | None:
        name = doc.name
        actions = [kind for kind in ActionKind if getattr(doc, kind.value) is not None]
        for key, value in (("else", doc.else_), ("respect_hours", doc.respect_hours)):
            if value is not None and doc.assign is None:
                self.error((*at, key), f"'{key}' is only for rules that assign", key=True)
        if doc.else_ is not None and doc.else_ not in self.pool_names:
            where = f" in 'else' of rule {name!r}"
            self.error((*at, "else"), unknown("pool", doc.else_, self.pool_names, where))
        if not actions:
            self.error(at, f"rule {name!r} has no action: give it route, assign or nurture")
            return None
        if len(actions) > 1:
            message = f"rule {name!r} has both {actions[0]} and {actions[1]}: it takes one action"
            self.error((*at, actions[1].value), message, key=True)
            return None
        action = actions[0]
        target: str = getattr(doc, action.value)
        where = f" in rule {name!r}"
        if action is ActionKind.ROUTE and target not in self.pool_names:
            self.error((*at, "route"), unknown("pool", target, self.pool_names, where))
        elif action is ActionKind.ASSIGN and target not in {*self.rep_ids, *OWNER_FIELDS}:
            message = unknown("rep", target, self.rep_ids, where)
            also = " or ".join(OWNER_FIELDS)
            self.error((*at, "assign"), f"{message}; a rule can also assign {also}")
        respect_hours = True if doc.respect_hours is None else doc.respect_hours
        return Rule(name, when, action, target, doc.else_, respect_hours)

    def idle_reps(self, reps: dict[str, Rep], pools: dict[str, Pool], rules: list[Rule]) -> None:
        """Warn about an active rep whom nothing can reach: no pool, no assign, no report."""
        if {"pools", "rules"} & self.s.invalid or len(rules) < len(self.s.rules):
            return  # an entry with errors may name them; its errors come first
        if any(p.strategy == Strategy.BY_FIELD and not p.members for p in pools.values()):
            return  # a lead field can name any rep
        reached = {m.rep for pool in pools.values() for m in pool.members}
        reached |= {r.target for r in rules if r.action == ActionKind.ASSIGN}
        reached |= {rep.manager for rep in reps.values() if rep.manager}
        for i, doc in self.s.reps.items():
            if doc.active and doc.id not in reached:
                message = f"rep {doc.id!r} is in no pool and no rule assigns to them: "
                self.warning(("reps", i, "id"), message + "they never get a lead")


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
