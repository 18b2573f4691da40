"""Compile a well-formed policy document into the core's `Policy`, collecting every problem.

The schema said each entry has the right shape; here names are resolved (a rep in a pool, an
overflow pool, a calendar), times, dates, zones and conditions are parsed, and the document is
read as a whole for what is legal but probably wrong (a rule that can never be reached, a rep
who never gets a lead), which becomes a warning. Nothing stops at the first problem: a policy
author fixes a file faster from the full list. Calendars and time off are compiled in
`calendars`; `compile_time_off`, `time_off` and `TimeOffError` are re-exported from there.

Names written in an entry that has shape errors still count as defined, so one typo in a rep
gives one error rather than one more for every pool that lists the rep.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from leadflow.core.conditions import Condition, ConditionError, compile_condition
from leadflow.core.policy import (
    NO_CAPS,
    OWNER_FIELDS,
    ActionKind,
    Caps,
    Member,
    Policy,
    Pool,
    Rep,
    Rule,
    Strategy,
    WhenUnavailable,
)
from leadflow.policy.calendars import TimeOffError, compile_calendar, compile_time_off, time_off
from leadflow.policy.schema import (
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
_NEVER = Condition(holds=lambda facts: False, paths=(), source=None)  # stands in for a bad one

__all__ = [
    "FORMAT_VERSION",
    "TimeOffError",
    "compile_sections",
    "compile_time_off",
    "time_off",
    "unknown",
]


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
        calendars = {
            n: c
            for n, d in s.calendars.items()
            if (c := compile_calendar(n, d, self.report, self.zone, self.timezone))
        }
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
