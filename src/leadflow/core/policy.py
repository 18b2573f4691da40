"""The compiled routing policy: what `decide()` reads.

These are the core's own dataclasses. The YAML document users write is parsed, validated and
compiled into them by `leadflow.policy`; the core never sees YAML, and every reference in a
compiled policy (a rep in a pool, an overflow pool, a calendar) is known to resolve.

Invariants a compiled `Policy` keeps:
- every pool member, `assign:` rep id, overflow, `else:` and fallback names something that exists;
- overflow chains have no loops;
- skills are lower-cased; time off is in epoch seconds, end exclusive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from dataclasses import field as dataclass_field  # Pool has an attribute named `field`
from enum import StrEnum
from typing import TYPE_CHECKING, Any

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
    # Derived once, for decide(): rules are always tried as a prefix rules[0..j].
    predicates: tuple[Any, ...] = field(init=False, repr=False, compare=False)
    unmatched: tuple[dict[str, Any], ...] = field(init=False, repr=False, compare=False)
    reads_through: tuple[tuple[str, ...], ...] = field(init=False, repr=False, compare=False)

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
