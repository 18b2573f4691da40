"""The compiled routing policy: what `decide()` reads.

These are the core's own dataclasses. The YAML document users write is parsed, validated and
compiled into them by `leadflow.policy`; the core never sees YAML, and every reference in a
compiled policy (a rep in a pool, an overflow pool, a calendar) is known to resolve.

Invariants a compiled `Policy` keeps:
- every pool member, `assign:` rep id, overflow, `else:` and fallback names something that exists;
- overflow chains have no loops;
- skills are lower-cased; time off is in epoch seconds, end exclusive;
- every notify route's `via` and `acknowledge.via` name a channel (the latter an email one),
  and every event a route names is one of `EVENTS`;
- an SLA tier's reminders are ascending and each is shorter than its first touch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from dataclasses import field as dataclass_field  # Pool has an attribute named `field`
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from leadflow.core.conditions import Facts, compile_condition
from leadflow.core.digest import Weekly

if TYPE_CHECKING:
    from leadflow.core.calendar import Calendar
    from leadflow.core.conditions import Condition


@dataclass(frozen=True, slots=True)
class Caps:
    """Upper bounds on assignments; None means no limit."""

    per_day: int | None = None
    per_week: int | None = None
    open: int | None = None
    limited: bool = field(init=False, repr=False, compare=False)  # any limit set at all

    def __post_init__(self) -> None:
        limited = not (self.per_day is None and self.per_week is None and self.open is None)
        object.__setattr__(self, "limited", limited)

    def merged(self, override: Caps | None) -> Caps:
        """These caps with every limit that `override` sets taking precedence."""
        if override is None:
            return self
        return Caps(
            per_day=override.per_day if override.per_day is not None else self.per_day,
            per_week=override.per_week if override.per_week is not None else self.per_week,
            open=override.open if override.open is not None else self.open,
        )


NO_CAPS = Caps()


@dataclass(frozen=True, slots=True)
class Period:
    """A stretch of time off, [start, end) in epoch seconds; `label` is how the user wrote it."""

    start: float
    end: float
    label: str = ""

    def covers(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True, slots=True)
class Rep:
    id: str
    name: str
    email: str | None = None
    calendar: str | None = None
    timezone: str = "UTC"  # the calendar's time zone, else the policy's: caps count days here
    skills: frozenset[str] = frozenset()
    active: bool = True
    caps: Caps = NO_CAPS
    time_off: tuple[Period, ...] = ()
    manager: str | None = None
    slack_id: str | None = None  # the rep's Slack member id, for mentions in Slack messages


@dataclass(frozen=True, slots=True)
class Member:
    rep: str
    weight: int = 1


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    LEAST_LOADED = "least_loaded"
    BY_FIELD = "by_field"


class WhenUnavailable(StrEnum):
    OVERFLOW = "overflow"
    HOLD = "hold"


@dataclass(frozen=True, slots=True)
class Pool:
    name: str
    strategy: Strategy
    members: tuple[Member, ...]
    overflow: str | None = None
    respect_hours: bool = True
    caps: Caps = NO_CAPS  # per member, counting only assignments made from this pool
    skills: frozenset[str] = frozenset()  # every one required
    skills_from: tuple[str, ...] = ()  # lead field paths whose value is a required skill
    when_unavailable: WhenUnavailable = WhenUnavailable.OVERFLOW
    field: str | None = None  # by_field: the lead field that names the rep
    member_ids: tuple[str, ...] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "member_ids", tuple(m.rep for m in self.members))


class ActionKind(StrEnum):
    ROUTE = "route"
    ASSIGN = "assign"
    NURTURE = "nurture"


EXISTING_OWNER = "existing_owner"
ACCOUNT_OWNER = "account_owner"
# `assign:` targets that name a lead field rather than a rep
OWNER_FIELDS = {EXISTING_OWNER: "existing_owner", ACCOUNT_OWNER: "account.owner"}


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    when: Condition | None  # None: always holds
    action: ActionKind
    target: str  # a pool, a rep id, existing_owner / account_owner, or a nurture track
    else_pool: str | None = None  # for `assign:` when the rep is not eligible
    respect_hours: bool = True  # for `assign:`: the rep must be inside working time
    # The record's entry when the rule does not match: built once, shared by every decision.
    unmatched: dict[str, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        reads = self.when.paths if self.when is not None else ()
        entry = {"rule": self.name, "matched": False, "reads": reads}
        object.__setattr__(self, "unmatched", entry)

    def matched_entry(self) -> dict[str, Any]:
        """A fresh record entry for this rule matching, for the decision to add to."""
        return {"rule": self.name, "matched": True, "reads": self.unmatched["reads"]}


ON_BREACH = ("reassign", "notify_manager")


@dataclass(frozen=True, slots=True)
class SlaTier:
    """A first-touch deadline for the leads its `when` holds for; see `leadflow.core.sla`.

    Durations are seconds. `remind` holds offsets into the clock (ascending, each shorter than
    `first_touch`), counted on the same basis as the deadline: working time when
    `business_hours`, else wall time.
    """

    name: str
    when: Condition | None  # None: every lead
    first_touch: float
    business_hours: bool = False
    remind: tuple[float, ...] = ()
    on_breach: frozenset[str] = frozenset()  # a subset of ON_BREACH
    max_reassignments: int = 0


EVENTS = (
    "lead.assigned",
    "lead.reassigned",
    "lead.unassigned",
    "lead.queued",
    "lead.nurtured",
    "lead.merged",
    "lead.junk",
    "sla.reminder",
    "sla.breached",
)
CHANNEL_TYPES = ("slack", "teams", "email", "webhook")
RECIPIENTS = ("owner", "manager", "channel")
ACK_OUTCOMES = ("assigned", "queued", "unassigned", "nurture")


@dataclass(frozen=True, slots=True)
class Channel:
    """Where messages go. `url` and `secret` may hold `${VAR}`, expanded only when sending."""

    name: str
    type: str  # one of CHANNEL_TYPES
    url: str | None = None  # slack, teams, webhook
    secret: str | None = None  # webhook only: the HMAC-SHA256 key
    to: tuple[str, ...] = ()  # email only: the addresses of `to: channel`


@dataclass(frozen=True, slots=True)
class NotifyRoute:
    """Which events go where: to the lead's owner, the owner's manager, or the channel itself."""

    events: frozenset[str]
    via: str  # a channel name
    to: str = "channel"  # one of RECIPIENTS
    when: Condition | None = None  # on the lead's fields; None: every lead


@dataclass(frozen=True, slots=True)
class AckTemplate:
    template: str
    when: Condition | None = None


@dataclass(frozen=True, slots=True)
class Acknowledge:
    """The prospect's acknowledgment email: the first template whose `when` holds."""

    via: str  # an email channel
    templates: tuple[AckTemplate, ...]
    outcomes: frozenset[str] = frozenset({"assigned", "queued", "unassigned"})


@dataclass(frozen=True, slots=True)
class WeeklyDigest:
    """Each manager's week, sent at `at` in the manager's own zone (`core.digest`): by email
    through the channel `via` (None: no email) and to each of `channels` (Slack, Teams, or an
    email channel's `to:` list)."""

    at: Weekly
    via: str | None = None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScoreRule:
    """`points` added to a lead's score when `when` holds; `kind` is fit or intent."""

    name: str
    kind: str  # fit | intent
    points: float
    when: Condition


@dataclass(frozen=True, slots=True)
class Scoring:
    """Rules of points, summed per kind and capped, and tiers by thresholds.

    `tiers` is highest threshold first: a lead's tier is the first whose threshold its score
    reaches. Example: tiers ((hot, 70), (warm, 40), (cold, 0)) and fit 50 + intent 30 with
    `max` 100: score 80, tier hot.
    """

    rules: tuple[ScoreRule, ...]
    tiers: tuple[tuple[str, float], ...]
    max: float | None = 100  # the whole score's cap; None: uncapped
    fit_max: float | None = None
    intent_max: float | None = None


DEDUPE_KEYS = ("email", "phone", "name")


@dataclass(frozen=True, slots=True)
class Dedupe:
    """A lead matching an open lead received within `window` seconds is merged into it.

    `by`: which identities count: the normalized email, the E.164 phone, and first and last
    name at the same company domain.
    """

    window: float
    by: frozenset[str] = frozenset(DEDUPE_KEYS)


@dataclass(frozen=True, slots=True)
class Matching:
    """Account matching thresholds: at or above `accept` the account is the lead's; from
    `review` up to `accept` the match waits in the review queue; below, no match."""

    accept: float = 0.92
    review: float = 0.80


ANY_SOURCE = "*"  # the intake mapping of every source without one of its own


def _sources_in(condition: Any) -> set[str]:
    """The sources a condition's data names as literals: `{source: x}`, `{source: [x, y]}`,
    `{source: {in: [...]}}` / `{eq: x}`, at any depth of all / any / not."""
    found: set[str] = set()
    if isinstance(condition, list):
        for part in condition:
            found |= _sources_in(part)
    elif isinstance(condition, Mapping):
        for key, value in condition.items():
            if key != "source":
                found |= _sources_in(value)
                continue
            if isinstance(value, Mapping):
                value = [*_listed(value.get("eq")), *_listed(value.get("in"))]
            found.update(v for v in _listed(value) if isinstance(v, str))
    return found


def _source_parts(condition: Any) -> list[Any]:
    """What a condition says of `source`, each as written (`webinar`, `[a, b]`, `{starts_with:
    x}`), at any depth of all / any / not."""
    if isinstance(condition, list):
        return [part for item in condition for part in _source_parts(item)]
    if isinstance(condition, Mapping):
        parts: list[Any] = []
        for key, value in condition.items():
            if key == "source":
                parts.append(value)
            elif key == "not" and _source_parts(value):
                parts.append({"exists": True})  # a rule on sources other than some: any
            else:
                parts += _source_parts(value)
        return parts
    return []


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


@dataclass(frozen=True, slots=True)
class Policy:
    timezone: str
    reps: dict[str, Rep]
    pools: dict[str, Pool]
    rules: tuple[Rule, ...]
    fallback: str | None = None
    calendars: dict[str, Calendar] = field(default_factory=dict)
    territories: dict[str, Condition] = field(default_factory=dict)
    format_version: int = 1
    digest: str = ""  # sha256 of the source text: names the exact policy a decision used
    published_version: int | None = None  # set by the service when a version is published
    sla: tuple[SlaTier, ...] = ()  # the first tier whose `when` holds applies; none: no SLA
    channels: dict[str, Channel] = field(default_factory=dict)
    notify: tuple[NotifyRoute, ...] = ()
    acknowledge: Acknowledge | None = None
    # lead quality before routing (see `leadflow.quality`): the shapes are that package's
    intake: Mapping[str, Any] = field(default_factory=dict)  # source -> IntakeMapping
    junk: Any = None  # quality.normalize.JunkRules; None: the defaults
    dedupe: Dedupe | None = None  # None: leads are never merged
    matching: Matching = field(default_factory=Matching)
    scoring: Scoring | None = None  # None: `score` is what the lead brought, if anything
    weekly_digest: WeeklyDigest | None = None  # `reports: {digest: ...}`; None: none sent
    # Derived once, for decide(): rules are always tried as a prefix rules[0..j].
    predicates: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    unmatched: tuple[dict[str, Any], ...] = field(init=False, repr=False, compare=False)
    reads_through: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)
    # Each rule's test of `source` alone, for the sources intake takes (`takes_source`).
    source_tests: tuple[Any, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "predicates", tuple(r.when.holds if r.when else None for r in self.rules))
        set_(self, "unmatched", tuple(r.unmatched for r in self.rules))
        through: list[tuple[str, ...]] = []
        seen: dict[str, None] = {}
        for rule in self.rules:
            seen.update(dict.fromkeys(rule.when.paths if rule.when else ()))
            through.append(tuple(seen))
        set_(self, "reads_through", tuple(through))  # fields read by rules[0..j], in order
        tests = [
            compile_condition({"source": value}).test
            for rule in self.rules
            if rule.when is not None
            for value in _source_parts(rule.when.source)
        ]
        set_(self, "source_tests", tuple(tests))

    def mapping_for(self, source: object) -> Any:
        """The intake mapping a lead from `source` goes through: its own, else the catch-all
        `"*"` mapping if the policy has one, else None (fields taken by their lead names)."""
        if not isinstance(source, str):
            return None
        return self.intake.get(source, self.intake.get(ANY_SOURCE))

    def known_sources(self) -> tuple[str, ...]:
        """The sources this policy names: an intake mapping's, or one a rule's condition
        matches as written (`source: webinar`, `source: [ads, events]`), sorted."""
        named = {name for name in self.intake if name != ANY_SOURCE}
        for rule in self.rules:
            if rule.when is not None:
                named.update(_sources_in(rule.when.source))
        return tuple(sorted(named))

    def takes_source(self, source: str) -> bool:
        """Whether a lead may come in from `source`: one with an intake mapping, one a rule's
        test of `source` holds for as conditions compare (any case: `source: Webinar` takes
        `webinar`; `{starts_with: partner-}` takes `partner-acme`), or any with the catch-all
        mapping."""
        if ANY_SOURCE in self.intake or source in self.intake:
            return True
        fields = {"source": source}
        return any(test(fields) for test in self.source_tests)

    def find_rep(self, value: object) -> str | None:
        """The rep a lead field names, by id or by email, case-insensitively; else None."""
        if not isinstance(value, str) or not value.strip():
            return None
        value = value.strip()
        if value in self.reps:
            return value
        folded = value.casefold()
        for rep in self.reps.values():
            if rep.id.casefold() == folded or (rep.email and rep.email.casefold() == folded):
                return rep.id
        return None

    def teams(self) -> dict[str, tuple[str, ...]]:
        """Each manager (a rep whom another rep names as `manager`) and the reps who report
        to them, both in policy order: `{"max": ("ann", "ben")}`."""
        out: dict[str, list[str]] = {}
        for rep in self.reps.values():
            if rep.manager is not None and rep.manager in self.reps:
                out.setdefault(rep.manager, []).append(rep.id)
        order = list(self.reps)
        return {m: tuple(out[m]) for m in sorted(out, key=order.index)}

    def notify_routes(
        self, event: str, fields: Mapping[str, Any], *, notify_manager: bool = True
    ) -> list[NotifyRoute]:
        """The routes that send `event` for a lead with these fields, in policy order.

        `notify_manager=False` leaves out `to: manager` routes: an `sla.breached` goes to a
        manager only when the tier's `on_breach` asks for it or the lead was escalated
        (`sla.Breach.notify_manager`). An event no route names sends nothing: so a nurture lead
        is announced only when a route names `lead.nurtured`.
        """
        facts: Facts | None = None
        routes = []
        for route in self.notify:
            if event not in route.events or (route.to == "manager" and not notify_manager):
                continue
            if route.when is not None:
                facts = facts or Facts(fields)
                if not route.when.holds(facts):
                    continue
            routes.append(route)
        return routes

    def ack_template(self, fields: Mapping[str, Any], outcome: str | None = None) -> str | None:
        """The acknowledgment template for a lead with these fields; None: send none.

        None without an `acknowledge` section, when `outcome` is given and is not one of its
        `outcomes` (nurture is answered only when listed), or when no template's `when` holds.
        """
        ack = self.acknowledge
        if ack is None or (outcome is not None and outcome not in ack.outcomes):
            return None
        facts = Facts(fields)
        for choice in ack.templates:
            if choice.when is None or choice.when.holds(facts):
                return choice.template
        return None
