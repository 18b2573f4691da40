"""The policy document as written: Pydantic models of its shape, and readable shape errors.

These models check what a value must look like (text, a whole number, a known key); whether a
name resolves, a time parses or a zone exists is `compile.py`'s job. Every model forbids
unknown keys, so a misspelt key is an error that names it, and validates strictly, so that
`active: "yes"` or `per_day: "12"` is refused rather than guessed at.

Each entry of a section (a rep, a pool, a rule) is validated on its own: one broken rep must
not hide the errors of the others, and the entries that are fine can still be checked further.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

Path = tuple[Hashable, ...]


def describe(value: Any) -> str:
    """A value as the user wrote it in YAML, for messages: 'NO', the number 12, a list."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


class Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    what: ClassVar[str] = "mapping"  # names the model in messages: "unknown key 'x' in a rep"


class CapsDoc(Doc):
    what = "caps"
    per_day: int | None = Field(default=None, ge=0)
    per_week: int | None = Field(default=None, ge=0)
    open: int | None = Field(default=None, ge=0)


def _one_or_many(value: Any) -> Any:
    """`holidays: US` means `holidays: [US]`; nothing means none."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else value


class CalendarDoc(Doc):
    what = "a calendar"
    timezone: str | None = None
    hours: dict[str, list[str]]
    holidays: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(default_factory=list)
    exceptions: dict[str, list[str]] = Field(default_factory=dict)


class TimeOffDoc(Doc):
    what = "time off"
    from_: str = Field(alias="from")
    to: str
    note: str | None = None


class RepDoc(Doc):
    what = "a rep"
    id: str = Field(min_length=1)
    name: str
    email: str | None = None
    calendar: str | None = None
    timezone: str | None = None
    skills: list[str] = Field(default_factory=list)
    active: bool = True
    caps: CapsDoc | None = None
    time_off: list[TimeOffDoc] = Field(default_factory=list)
    manager: str | None = None
    slack_id: str | None = None


class MemberDoc(Doc):
    what = "a pool member"
    rep: str
    weight: int = Field(default=1, ge=1)


def _member(value: Any) -> Any:
    """`alice` means `{rep: alice}`."""
    if isinstance(value, str):
        return {"rep": value}
    if isinstance(value, dict):
        return value
    raise PydanticCustomError(
        "member", "expected a rep id or {{rep: ID, weight: N}}, got {got}", {"got": describe(value)}
    )


@dataclass(frozen=True, slots=True)
class SkillFrom:
    """A required skill read from a lead field: `{from: language}` needs the lead's language."""

    path: str


def _skill(value: Any) -> str | SkillFrom:
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, dict) and list(value) == ["from"] and isinstance(value["from"], str):
        return SkillFrom(value["from"])
    raise PydanticCustomError(
        "skill",
        "expected a skill such as spanish or {{from: FIELD}}, got {got}",
        {"got": describe(value)},
    )


class PoolDoc(Doc):
    what = "a pool"
    strategy: Literal["round_robin", "weighted", "least_loaded", "by_field"]
    members: list[Annotated[MemberDoc, BeforeValidator(_member)]] = Field(default_factory=list)
    overflow: str | None = None
    respect_hours: bool = True
    caps: CapsDoc | None = None
    skills: list[Annotated[str | SkillFrom, PlainValidator(_skill)]] = Field(default_factory=list)
    when_unavailable: Literal["overflow", "hold"] = "overflow"
    field: str | None = None


class RuleDoc(Doc):
    what = "a rule"
    name: str = Field(min_length=1)
    when: Any = None  # condition data, compiled by conditions.compile_condition
    route: str | None = None
    assign: str | None = None
    nurture: str | None = None
    else_: str | None = Field(default=None, alias="else")
    respect_hours: bool | None = None


def _duration_text(value: Any) -> str:
    """A duration is text (`5m`); `compile.py` parses it. A bare number has no unit."""
    if isinstance(value, str):
        return value
    raise PydanticCustomError(
        "duration",
        "expected a duration such as 30s, 5m, 2h, 1d or 1h30m, got {got}",
        {"got": describe(value)},
    )


Duration = Annotated[str, PlainValidator(_duration_text)]


class SlaTierDoc(Doc):
    what = "an sla tier"
    name: str = Field(min_length=1)
    when: Any = None  # condition data
    first_touch: Duration
    business_hours: bool = False
    remind: Annotated[list[Duration], BeforeValidator(_one_or_many)] = Field(default_factory=list)
    on_breach: Annotated[
        list[Literal["reassign", "notify_manager"]], BeforeValidator(_one_or_many)
    ] = Field(default_factory=list)
    max_reassignments: int | None = Field(default=None, ge=0)


class ChannelDoc(Doc):
    what = "a channel"
    type: Literal["slack", "teams", "email", "webhook"]
    url: str | None = None
    secret: str | None = None
    to: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(default_factory=list)


class NotifyDoc(Doc):
    what = "a notify route"
    events: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(min_length=1)
    via: str
    to: Literal["owner", "manager", "channel"] = "channel"
    when: Any = None  # condition data


class AckTemplateDoc(Doc):
    what = "an acknowledgment template"
    template: str = Field(min_length=1)
    when: Any = None  # condition data


class AcknowledgeDoc(Doc):
    """Its templates are validated on their own, as the entries of a section are."""

    what = "acknowledge"
    via: str
    templates: list[Any] = Field(min_length=1)
    outcomes: list[Literal["assigned", "queued", "unassigned", "nurture"]] | None = None


class FieldMapDoc(Doc):
    what = "a field mapping"
    to: str = Field(min_length=1)
    transform: str | None = None


def _field_map(value: Any) -> Any:
    """`Email: email` means `Email: {to: email}`."""
    return {"to": value} if isinstance(value, str) else value


class IntakeDoc(Doc):
    what = "an intake mapping"
    fields: dict[str, Annotated[FieldMapDoc, BeforeValidator(_field_map)]] = Field(
        default_factory=dict
    )
    keep_unmapped: bool = True


class JunkDoc(Doc):
    what = "the junk section"
    honeypots: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(default_factory=list)
    refuse_disposable: bool = False
    unreachable: bool = True  # false: a lead with no usable email or phone is routed anyway
    blocked_domains: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(
        default_factory=list
    )
    blocked_patterns: dict[str, Annotated[list[str], BeforeValidator(_one_or_many)]] = Field(
        default_factory=dict
    )


class DedupeDoc(Doc):
    what = "the dedupe section"
    window: Duration
    by: list[Literal["email", "phone", "name"]] = Field(
        default=["email", "phone", "name"], min_length=1
    )


class AccountsDoc(Doc):
    what = "the accounts section"
    accept: float = Field(default=0.92, gt=0, le=1)
    review: float = Field(default=0.80, gt=0, le=1)


class ScoreRuleDoc(Doc):
    what = "a scoring rule"
    name: str = Field(min_length=1)
    when: Any = None  # condition data
    points: float


class ScoringDoc(Doc):
    what = "the scoring section"
    max: float | None = Field(default=100, ge=0)
    fit_max: float | None = Field(default=None, ge=0)
    intent_max: float | None = Field(default=None, ge=0)
    fit: list[Any] = Field(default_factory=list)
    intent: list[Any] = Field(default_factory=list)
    tiers: dict[str, float] = Field(default_factory=dict)


class DigestDoc(Doc):
    what = "the digest"
    at: str = Field(min_length=1)
    via: str | None = None
    channels: Annotated[list[str], BeforeValidator(_one_or_many)] = Field(default_factory=list)


class ReportsDoc(Doc):
    what = "the reports section"
    digest: DigestDoc | None = None


class PolicyDoc(Doc):
    """The top level; the entries of each section are validated with the models above."""

    what = "the policy"
    version: int
    timezone: str
    fallback: str | None = None
    calendars: dict[str, Any] | None = None
    territories: dict[str, Any] | None = None
    reps: list[Any] | None = None
    pools: dict[str, Any] | None = None
    rules: list[Any] | None = None
    sla: list[Any] | None = None
    channels: dict[str, Any] | None = None
    notify: list[Any] | None = None
    acknowledge: dict[str, Any] | None = None
    intake: dict[str, Any] | None = None
    junk: dict[str, Any] | None = None
    dedupe: dict[str, Any] | None = None
    accounts: dict[str, Any] | None = None
    scoring: dict[str, Any] | None = None
    reports: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    path: Path
    message: str
    at_key: bool  # the problem is the key itself (unknown, or a mapping that lacks something)


@dataclass(slots=True)
class Sections:
    """The entries that have the right shape, keyed by name or by index in the document."""

    version: int | None = None
    timezone: str | None = None
    fallback: str | None = None
    calendars: dict[str, CalendarDoc] = field(default_factory=dict)
    territories: dict[str, Any] = field(default_factory=dict)
    reps: dict[int, RepDoc] = field(default_factory=dict)
    pools: dict[str, PoolDoc] = field(default_factory=dict)
    rules: dict[int, RuleDoc] = field(default_factory=dict)
    sla: dict[int, SlaTierDoc] = field(default_factory=dict)
    channels: dict[str, ChannelDoc] = field(default_factory=dict)
    notify: dict[int, NotifyDoc] = field(default_factory=dict)
    acknowledge: AcknowledgeDoc | None = None
    ack_templates: dict[int, AckTemplateDoc] = field(default_factory=dict)
    intake: dict[str, IntakeDoc] = field(default_factory=dict)
    junk: JunkDoc | None = None
    dedupe: DedupeDoc | None = None
    accounts: AccountsDoc | None = None
    scoring: ScoringDoc | None = None
    reports: ReportsDoc | None = None
    score_rules: dict[tuple[str, int], ScoreRuleDoc] = field(default_factory=dict)
    # every name written, even in entries with errors, so that they cause no "unknown" errors
    rep_ids: list[str] = field(default_factory=list)
    names: dict[str, list[str]] = field(default_factory=dict)
    invalid: set[str] = field(default_factory=set)  # sections with an entry of the wrong shape


def read_document(data: Any) -> tuple[Sections, list[SchemaIssue]]:
    """The well-formed parts of the document, and a shape error for every other part."""
    sections = Sections()
    if not isinstance(data, dict):
        expected = "a policy is a mapping with version, timezone, reps, pools and rules"
        got = "an empty document" if data is None else describe(data)
        return sections, [SchemaIssue((), f"{expected}, got {got}", False)]
    issues = _validate(PolicyDoc, data, ())
    bad = {issue.path[0] for issue in issues if len(issue.path) == 1}
    top = {k: v for k, v in data.items() if k not in bad}  # strict: what passed is unchanged
    sections.version, sections.timezone = top.get("version"), top.get("timezone")
    sections.fallback = top.get("fallback")
    for section in ("calendars", "territories", "pools", "channels"):
        entries = top.get(section) or {}
        sections.names[section] = [k for k in entries if isinstance(k, str)]
    sections.territories = {k: top["territories"][k] for k in sections.names["territories"]}
    for name in sections.names["calendars"]:
        doc = top["calendars"][name]
        issues += _entry(CalendarDoc, doc, ("calendars", name), sections.calendars, name)
    for name in sections.names["pools"]:
        issues += _entry(PoolDoc, top["pools"][name], ("pools", name), sections.pools, name)
    for i, doc in enumerate(top.get("reps") or []):
        issues += _entry(RepDoc, doc, ("reps", i), sections.reps, i)
        if isinstance(doc, dict) and isinstance(doc.get("id"), str) and doc["id"]:
            sections.rep_ids.append(doc["id"])
    for i, doc in enumerate(top.get("rules") or []):
        issues += _entry(RuleDoc, doc, ("rules", i), sections.rules, i)
    for i, doc in enumerate(top.get("sla") or []):
        issues += _entry(SlaTierDoc, doc, ("sla", i), sections.sla, i)
    for name in sections.names["channels"]:
        doc = top["channels"][name]
        issues += _entry(ChannelDoc, doc, ("channels", name), sections.channels, name)
    for i, doc in enumerate(top.get("notify") or []):
        issues += _entry(NotifyDoc, doc, ("notify", i), sections.notify, i)
    if top.get("acknowledge") is not None:
        found: dict[str, AcknowledgeDoc] = {}
        issues += _entry(AcknowledgeDoc, top["acknowledge"], ("acknowledge",), found, "doc")
        sections.acknowledge = found.get("doc")
        templates = top["acknowledge"].get("templates")
        for i, doc in enumerate(templates if isinstance(templates, list) else []):
            at = ("acknowledge", "templates", i)
            issues += _entry(AckTemplateDoc, doc, at, sections.ack_templates, i)
    issues += _quality_sections(top, sections)
    if top.get("reports") is not None:
        found_reports: dict[str, ReportsDoc] = {}
        issues += _entry(ReportsDoc, top["reports"], ("reports",), found_reports, "doc")
        sections.reports = found_reports.get("doc")
    sections.invalid = {str(issue.path[0]) for issue in issues if issue.path}
    return sections, issues


def _quality_sections(top: dict[str, Any], sections: Sections) -> list[SchemaIssue]:
    """intake, junk, dedupe, accounts and scoring: what happens to a lead before routing."""
    issues: list[SchemaIssue] = []
    for name, doc in (top.get("intake") or {}).items():
        if isinstance(name, str):
            issues += _entry(IntakeDoc, doc, ("intake", name), sections.intake, name)
    singles: dict[str, Any] = {}
    for key, model in (
        ("junk", JunkDoc),
        ("dedupe", DedupeDoc),
        ("accounts", AccountsDoc),
        ("scoring", ScoringDoc),
    ):
        if top.get(key) is not None:
            issues += _entry(model, top[key], (key,), singles, key)
    sections.junk, sections.dedupe = singles.get("junk"), singles.get("dedupe")
    sections.accounts, sections.scoring = singles.get("accounts"), singles.get("scoring")
    scoring = top.get("scoring")
    for kind in ("fit", "intent"):
        rules = scoring.get(kind) if isinstance(scoring, dict) else None
        for i, doc in enumerate(rules if isinstance(rules, list) else []):
            at = ("scoring", kind, i)
            issues += _entry(ScoreRuleDoc, doc, at, sections.score_rules, (kind, i))
    return issues


def _entry(
    model: type[Doc], data: Any, at: Path, into: dict[Any, Any], key: Any
) -> list[SchemaIssue]:
    try:
        into[key] = model.model_validate(data)
    except ValidationError as exc:
        return [_explain(model, error, at) for error in exc.errors()]
    return []


def _validate(model: type[Doc], data: Any, at: Path) -> list[SchemaIssue]:
    try:
        model.model_validate(data)
    except ValidationError as exc:
        return [_explain(model, error, at) for error in exc.errors()]
    return []


def _explain(model: type[Doc], error: ErrorDetails, at: Path) -> SchemaIssue:
    """A Pydantic error as a message a RevOps person can act on, at the path it concerns."""
    loc = tuple(error["loc"])
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx", {})
    if loc and loc[-1] == "[key]":
        return SchemaIssue((*at, *loc[:-1]), f"expected text as a key, got {describe(value)}", True)
    if kind == "missing":
        inside = _model_at(model, loc[:-1])
        where = f" in {inside.what}" if inside else ""
        return SchemaIssue((*at, *loc[:-1]), f"missing required key '{loc[-1]}'{where}", True)
    if kind == "extra_forbidden":
        return SchemaIssue((*at, *loc), _unknown_key(model, loc), True)
    message = _MESSAGES.get(kind)
    if kind == "greater_than_equal" and "caps" in loc:
        message = "a cap cannot be negative: expected 0 or more, got {value}"
    elif kind == "greater_than_equal" and loc[-1:] == ("weight",):
        message = "a weight is a whole number of 1 or more, got {value}"
    elif kind == "greater_than_equal":
        message = f"expected {ctx.get('ge')} or more, got {{value}}"
    elif kind == "literal_error":
        message = f"expected {ctx.get('expected')}, got {{value}}"
    if message is None:
        message = error["msg"].removeprefix("Value error, ")
    return SchemaIssue((*at, *loc), message.format(value=describe(value)), False)


_MESSAGES = {
    "string_type": "expected text, got {value}",
    "string_too_short": "expected text, got an empty value",
    "int_type": "expected a whole number, got {value}",
    "float_type": "expected a number, got {value}",
    "bool_type": "expected true or false, got {value}",
    "dict_type": "expected a mapping, got {value}",
    "model_type": "expected a mapping, got {value}",
    "list_type": "expected a list, got {value}",
}


def _unknown_key(model: type[Doc], loc: tuple[Any, ...]) -> str:
    key = loc[-1]
    inside = _model_at(model, loc[:-1])
    if inside is None:
        return f"unknown key {key!r}"
    allowed = [info.alias or name for name, info in inside.model_fields.items()]
    message = f"unknown key {key!r} in {inside.what}"
    close = difflib.get_close_matches(str(key), allowed, n=1)
    if close:
        message += f"; did you mean '{close[0]}'?"
    return f"{message} (expected one of: {', '.join(allowed)})"


def _model_at(model: type[Doc], loc: tuple[Any, ...]) -> type[Doc] | None:
    """The model that validates the mapping at `loc`, found by following field annotations."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, Doc):
            fields = {info.alias or name: info for name, info in annotation.model_fields.items()}
            annotation = fields[part].annotation if part in fields else None
        elif get_origin(annotation) in (list, dict):
            annotation = get_args(annotation)[-1]
        else:
            return None
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, Doc) else None


def _unwrap(annotation: Any) -> Any:
    """The type inside `Annotated[...]` and `X | None`."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            args = [a for a in get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation
            annotation = args[0]
        else:
            return annotation
