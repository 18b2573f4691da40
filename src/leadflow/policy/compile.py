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
import re
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from leadflow.core.conditions import Condition, ConditionError, compile_condition
from leadflow.core.digest import ScheduleError, Weekly
from leadflow.core.policy import (
    EVENTS,
    NO_CAPS,
    OWNER_FIELDS,
    Acknowledge,
    AckTemplate,
    ActionKind,
    Caps,
    Channel,
    Member,
    NotifyRoute,
    Policy,
    Pool,
    Rep,
    Rule,
    SlaTier,
    Strategy,
    WeeklyDigest,
    WhenUnavailable,
)
from leadflow.core.sla import parse_duration
from leadflow.grammar import a
from leadflow.policy import quality
from leadflow.policy.calendars import TimeOffError, compile_calendar, compile_time_off, time_off
from leadflow.policy.fields import LeadFields, condition_fields
from leadflow.policy.schema import (
    CapsDoc,
    ChannelDoc,
    PoolDoc,
    RepDoc,
    RuleDoc,
    Sections,
    SkillFrom,
    SlaTierDoc,
)
from leadflow.policy.yamlpos import Path

if TYPE_CHECKING:
    from leadflow.policy.problems import Report

FORMAT_VERSION = 1
_NEVER = Condition(holds=lambda facts: False, paths=(), source=None)  # stands in for a bad one
_VARIABLE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")  # ${NAME}: read when sending, never here
_URL = re.compile(r"(https?://|\$\{)\S+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_TEMPLATE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # it names a file: no paths
_ACK_OUTCOMES = frozenset({"assigned", "queued", "unassigned"})

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
        targets = (m.to for doc in sections.intake.values() for m in doc.fields.values())
        self.lead_fields = LeadFields(targets)

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
        channels = {name: self.channel(name, doc) for name, doc in s.channels.items()}
        sla = self.sla(territories)
        notify = self.notify(territories)
        acknowledge = self.acknowledge(territories)
        before_routing = quality.compiled(self, territories)
        weekly_digest = self.weekly_digest(reps)
        self.escalations()
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
            sla=tuple(sla),
            channels=channels,
            notify=tuple(notify),
            acknowledge=acknowledge,
            weekly_digest=weekly_digest,
            **before_routing,
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
            compiled = compile_condition(data)
        except ConditionError as exc:
            message = f"territory {name!r}: {exc.message}"
            if "territory" in exc.path:
                message = f"territory {name!r} uses 'territory': territories cannot nest, so "
                message += "write the other territory's conditions here"
            self.error(("territories", name, *exc.path), message, key=True)
            return _NEVER
        self.fields_read(("territories", name), data, f"territory {name!r}")
        return compiled

    def fields_read(self, at: Path, data: Any, what: str) -> None:
        """Warn of each field a condition reads that no lead has (`policy.fields`)."""
        for where, path in condition_fields(data, at):
            self.field_read(where, path, what)

    def field_read(self, at: Path, path: str, what: str, *, key: bool = True) -> None:
        missing = self.lead_fields.missing(path)
        if missing is not None:
            self.warning(at, f"{what} reads {path!r}{missing}", key=key)

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
            slack_id=self.slack_id((*at, "slack_id"), doc.slack_id),
        )

    def slack_id(self, path: Path, value: str | None) -> str | None:
        if value is not None and not _SLACK_ID.fullmatch(value.strip()):
            message = f"slack_id {value!r} does not look like a Slack member id such as "
            self.warning(path, message + "U012AB3CD: Slack messages cannot mention this rep")
        return value.strip() if value is not None else None

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
        if doc.field is not None:
            self.field_read((*at, "field"), doc.field, f"pool {name!r}", key=False)
        for j, skill in enumerate(doc.skills):
            if isinstance(skill, SkillFrom):
                skill_at: Path = (*at, "skills", j, "from")
                self.field_read(skill_at, skill.path, f"pool {name!r}", key=False)
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
            compiled = compile_condition(doc.when, territories)
        except ConditionError as exc:
            self.error((*at, "when", *exc.path), f"rule {doc.name!r}: {exc.message}", key=True)
            return _NEVER
        self.fields_read((*at, "when"), doc.when, f"rule {doc.name!r}")
        return compiled

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

    # SLA, channels, notifications and the acknowledgment

    def condition(
        self, at: Path, data: Any, what: str, territories: dict[str, Condition]
    ) -> Condition:
        """A `when` of an SLA tier, a notify route or a template; errors located inside it."""
        try:
            compiled = compile_condition(data, territories)
        except ConditionError as exc:
            self.error((*at, "when", *exc.path), f"{what}: {exc.message}", key=True)
            return _NEVER
        self.fields_read((*at, "when"), data, what)
        return compiled

    def duration(self, path: Path, text: str, what: str) -> float | None:
        try:
            return parse_duration(text)
        except ValueError as exc:
            self.error(path, f"{what}: {exc}")
            return None

    def sla(self, territories: dict[str, Condition]) -> list[SlaTier]:
        tiers: list[SlaTier] = []
        first: dict[str, Path] = {}
        takes_all: str | None = None
        for i, doc in self.s.sla.items():
            at: Path = ("sla", i)
            what = f"sla tier {doc.name!r}"
            if doc.name in first:
                line = self.report.positions.find((*first[doc.name], "name"))
                where = f"first at line {line[0]}" if line else "used before"
                self.error((*at, "name"), f"duplicate sla tier name {doc.name!r} ({where})")
            first.setdefault(doc.name, at)
            if takes_all is not None:
                message = f"{what} is never reached: tier {takes_all!r} before it has no 'when' "
                self.warning((*at, "name"), message + "and applies to every lead")
            when = None
            if "when" in doc.model_fields_set:
                when = self.condition(at, doc.when, what, territories)
            elif takes_all is None:
                takes_all = doc.name
            tier = self.sla_tier(at, doc, when)
            tiers.extend([tier] if tier else [])
        return tiers

    def sla_tier(self, at: Path, doc: SlaTierDoc, when: Condition | None) -> SlaTier | None:
        what = f"sla tier {doc.name!r}"
        first_touch = self.duration((*at, "first_touch"), doc.first_touch, f"{what}: first_touch")
        remind: set[float] = set()
        for j, text in enumerate(doc.remind):
            offset = self.duration((*at, "remind", j), text, f"{what}: remind")
            if offset is not None and first_touch is not None and offset >= first_touch:
                message = f"{what}: reminder {text} is not before the first touch deadline "
                self.error((*at, "remind", j), message + f"({doc.first_touch})")
            elif offset is not None:
                remind.add(offset)
        on_breach = frozenset(doc.on_breach)
        reassigns = "reassign" in on_breach
        if doc.max_reassignments is not None and not reassigns:
            message = f"{what}: max_reassignments has no effect without 'reassign' in on_breach"
            self.warning((*at, "max_reassignments"), message, key=True)
        if first_touch is None:
            return None
        default_max = 1 if reassigns else 0
        return SlaTier(
            name=doc.name,
            when=when,
            first_touch=first_touch,
            business_hours=doc.business_hours,
            remind=tuple(sorted(remind)),
            on_breach=on_breach,
            max_reassignments=default_max
            if doc.max_reassignments is None
            else doc.max_reassignments,
        )

    def channel(self, name: str, doc: ChannelDoc) -> Channel:
        at: Path = ("channels", name)
        what = f"channel {name!r}"
        if doc.type != "email" and doc.url is None:
            message = f"{what} is {a(doc.type)} channel, which needs 'url': its webhook address, "
            self.error(at, message + "or ${VAR} to read it from the environment", key=True)
        if doc.type == "email" and doc.url is not None:
            message = f"'url' is not for email channels: {what} sends through the SMTP server "
            self.error((*at, "url"), message + "of LEADFLOW_SMTP_*", key=True)
        if doc.secret is not None and doc.type != "webhook":
            message = f"'secret' is only for webhook channels (it signs the payload); {what} is "
            self.error((*at, "secret"), message + doc.type, key=True)
        if "to" in doc.model_fields_set and doc.type != "email":
            message = f"'to' is only for email channels; {what} is {doc.type}: it posts to its url"
            self.error((*at, "to"), message, key=True)
        if doc.url is not None:
            self.variables((*at, "url"), doc.url)
            if not _URL.fullmatch(doc.url.strip()):
                message = f"{what}: expected an http(s) URL or ${{VAR}}, got {doc.url!r}"
                self.error((*at, "url"), message)
        if doc.secret is not None:
            self.variables((*at, "secret"), doc.secret)
            if not _VARIABLE.search(doc.secret):
                message = f"{what}: a secret written in the policy is readable by anyone who can "
                self.warning((*at, "secret"), message + "read the policy; write ${VAR} instead")
        if doc.type in ("slack", "teams") and doc.url and not _VARIABLE.search(doc.url):
            message = (
                f"{what}: {a(doc.type)} webhook URL lets anyone who has it post to the channel; "
            )
            self.warning((*at, "url"), message + "write ${VAR} and set it in the environment")
        for j, address in enumerate(doc.to):
            if not (_EMAIL.fullmatch(address.strip()) or _VARIABLE.fullmatch(address.strip())):
                message = f"{what}: expected an email address such as ops@example.com, got "
                self.error((*at, "to", j), message + repr(address))
        to = tuple(address.strip() for address in doc.to)
        return Channel(name, doc.type, doc.url, doc.secret, to)

    def variables(self, path: Path, text: str) -> None:
        """Every `${` starts a variable name; it is kept as written and expanded when sending."""
        rest = _VARIABLE.sub("", text)
        if "${" in rest:
            bad = rest[rest.index("${") :].split("}")[0]
            message = f"{bad!r} is not a variable: write ${{NAME}}, with letters, digits and _"
            self.error(path, message)

    def notify(self, territories: dict[str, Condition]) -> list[NotifyRoute]:
        routes: list[NotifyRoute] = []
        channels = self.s.names.get("channels", [])
        for i, doc in self.s.notify.items():
            at: Path = ("notify", i)
            what = f"notify route {i + 1}"
            for j, event in enumerate(doc.events):
                if event not in EVENTS:
                    self.error((*at, "events", j), unknown("event", event, list(EVENTS)))
            if doc.via not in channels:
                self.error((*at, "via"), unknown("channel", doc.via, channels, f" in {what}"))
            elif doc.to == "channel" and self.unaddressed(doc.via):
                message = f"{what} sends to the channel, but email channel {doc.via!r} has no "
                message += "'to' addresses: give the channel 'to', or send to owner or manager"
                self.error((*at, "to" if "to" in doc.model_fields_set else "via"), message)
            when = None
            if "when" in doc.model_fields_set:
                when = self.condition(at, doc.when, what, territories)
            routes.append(NotifyRoute(frozenset(doc.events), doc.via, doc.to, when))
        return routes

    def unaddressed(self, name: str) -> bool:
        """Whether a channel is email with no addresses of its own: it only reaches reps."""
        channel = self.s.channels.get(name)
        return channel is not None and channel.type == "email" and not channel.to

    def acknowledge(self, territories: dict[str, Condition]) -> Acknowledge | None:
        doc = self.s.acknowledge
        if doc is None:
            return None
        at: Path = ("acknowledge",)
        channels = self.s.names.get("channels", [])
        channel = self.s.channels.get(doc.via)
        if doc.via not in channels:
            self.error((*at, "via"), unknown("channel", doc.via, channels, " in acknowledge"))
        elif channel is not None and channel.type != "email":
            message = f"acknowledge sends email: 'via' must name an email channel; {doc.via!r} "
            self.error((*at, "via"), message + f"is {a(channel.type)} channel")
        templates: list[AckTemplate] = []
        takes_all: str | None = None
        for i, entry in self.s.ack_templates.items():
            path: Path = (*at, "templates", i)
            what = f"acknowledgment template {entry.template!r}"
            if not _TEMPLATE.fullmatch(entry.template):
                message = "a template name is letters, digits, '-' and '_' (it names a file), got "
                self.error((*path, "template"), message + repr(entry.template))
            if takes_all is not None:
                message = f"{what} is never used: template {takes_all!r} before it has no 'when'"
                self.warning((*path, "template"), message)
            when = None
            if "when" in entry.model_fields_set:
                when = self.condition(path, entry.when, what, territories)
            elif takes_all is None:
                takes_all = entry.template
            templates.append(AckTemplate(entry.template, when))
        outcomes = _ACK_OUTCOMES if doc.outcomes is None else frozenset(doc.outcomes)
        return Acknowledge(doc.via, tuple(templates), outcomes)

    def escalations(self) -> None:
        """Warn where a manager should be told of a breach and nobody would be.

        A tier that notifies the manager, or reassigns (running out of reassignments escalates),
        needs an `sla.breached` route `to: manager`; such a route needs a rep with a manager.
        """
        if {"notify", "sla"} & self.s.invalid:
            return  # an entry with errors may be the route; its errors come first
        known = self.s.names.get("channels", [])
        to_manager = [i for i, r in self.s.notify.items() if r.to == "manager" and r.via in known]
        breach_routes = [i for i in to_manager if "sla.breached" in self.s.notify[i].events]
        for i, doc in self.s.sla.items():
            if breach_routes or not {"notify_manager", "reassign"} & set(doc.on_breach):
                continue
            why = "notifies the manager"
            if "notify_manager" not in doc.on_breach:
                why = "escalates to the manager when its reassignments run out"
            message = f"sla tier {doc.name!r} {why}, but no notify route sends sla.breached "
            message += "to: manager, so no manager is told"
            self.warning(("sla", i, "on_breach"), message, key=True)
        if "reps" in self.s.invalid or any(doc.manager for doc in self.s.reps.values()):
            return
        for i in to_manager:
            message = "this route sends to the owner's manager, but no rep has a 'manager'"
            self.warning(("notify", i, "to"), message)

    # Reports

    def weekly_digest(self, reps: dict[str, Rep]) -> WeeklyDigest | None:
        """`reports: {digest: {at, via, channels}}`: when and where each manager's week goes.

        The email goes through `via`, else the first email channel; channels are Slack,
        Teams, or email channels with `to:` addresses (a webhook takes lead events only).
        """
        doc = self.s.reports.digest if self.s.reports is not None else None
        if doc is None:
            return None
        at: Path = ("reports", "digest")
        try:
            weekly = Weekly.parse(doc.at)
        except ScheduleError as exc:
            self.error((*at, "at"), f"reports.digest.at: {exc}")
            weekly = None
        channels = self.s.names.get("channels", [])
        via = doc.via
        if via is not None:
            found = self.s.channels.get(via)
            if via not in channels:
                self.error((*at, "via"), unknown("channel", via, channels, " in reports.digest"))
            elif found is not None and found.type != "email":
                message = "reports.digest 'via' names the email channel of the managers' emails; "
                self.error((*at, "via"), message + f"{via!r} is {a(found.type)} channel")
        else:
            via = next((n for n, c in self.s.channels.items() if c.type == "email"), None)
        for j, name in enumerate(doc.channels):
            found = self.s.channels.get(name)
            if name not in channels:
                self.error((*at, "channels", j), unknown("channel", name, channels, " in digest"))
            elif found is not None and found.type == "webhook":
                message = f"channel {name!r} is a webhook, which takes lead events; a digest goes "
                self.error((*at, "channels", j), message + "to slack, teams or email channels")
            elif found is not None and found.type == "email" and not found.to:
                message = f"email channel {name!r} has no 'to' addresses to send the digest to"
                self.error((*at, "channels", j), message)
        if via is None and not doc.channels:
            message = "the digest goes nowhere: add an email channel (for the managers' emails) "
            self.error(at, message + "or name channels", key=True)
        teams = {r.manager for r in reps.values() if r.manager is not None}
        if not teams and "reps" not in self.s.invalid:
            message = "no rep names a 'manager': nobody gets a digest"
            self.warning(at, message, key=True)
        elif via is None:
            message = "no email channel: managers get no digest by email, only the channels do"
            self.warning(at, message, key=True)
        else:
            for i, doc_rep in self.s.reps.items():
                if doc_rep.id in teams and not doc_rep.email:
                    message = f"manager {doc_rep.id!r} has no email: their digest goes only to "
                    self.warning(("reps", i, "id"), message + "the digest's channels")
        if weekly is None:
            return None
        return WeeklyDigest(weekly, via, tuple(dict.fromkeys(doc.channels)))
