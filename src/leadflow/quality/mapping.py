"""Intake mappings: how one source's field names and formats become a lead's fields.

A form, a CSV export or a webhook names fields its own way ("Email Address", "Company Size").
A policy maps them per source; `apply_mapping` turns a raw submission into lead fields:

- a mapped field goes to its target, converted by its transform; the target may be a path
  ("account.owner" is the `owner` of the nested `account`);
- a field the mapping does not name, whose name reads as a lead field ("First Name" ->
  `first_name`), goes to that field;
- every other field goes under `custom` with its name as received, so that nothing is lost.

Incoming names match case-insensitively and ignoring surrounding spaces. Values arrive as JSON
gives them: a list of one value is that value, an empty list or mapping is no value, and text
is stripped. A value that its transform cannot convert is dropped and noted (`Unreadable`:
the field, the value as text, the transform, why): every door that maps a lead puts the note
on it, in its timeline and its decision record. A second value for a field that already has
one is kept under `custom` with its own name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson

_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
_TRUE = frozenset({"yes", "y", "true", "1", "on", "checked"})
_FALSE = frozenset({"no", "n", "false", "0", "off", "unchecked"})
_SEPARATORS = re.compile(r"[\s\-]+")


def _number(value: Any) -> int | float:
    """'1,200' -> 1200, '12.5' -> 12.5, 7.0 -> 7: an int whenever the value is whole."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        value = float(value.replace(",", ""))
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a number: {value!r}")
        return int(value) if value.is_integer() else value
    return value


def _integer(value: Any) -> int:
    number = _number(value)
    if isinstance(number, float):
        raise ValueError(f"not a whole number: {value!r}")
    return number


def _boolean(value: Any) -> bool:
    """yes/no, true/false, 1/0, y/n, on/off, checked/unchecked, as forms send them."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"not yes or no: {value!r}")


def _digits(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # 4155550123.0 from JSON is the digits 4155550123
    found = re.sub(r"[^0-9]", "", str(value)) if isinstance(value, str | int) else ""
    if not found:
        raise ValueError(f"no digits in {value!r}")
    return found


def _text(change: Callable[[str], str]) -> Callable[[Any], Any]:
    """A text transform that leaves other values (numbers, booleans) as they are."""
    return lambda value: change(value) if isinstance(value, str) else value


_APPLY: dict[str, Callable[[Any], Any]] = {
    "lower": _text(str.lower),
    "upper": _text(str.upper),
    "title": _text(str.title),
    "strip": _text(str.strip),
    "number": _number,
    "integer": _integer,
    "boolean": _boolean,
    "digits": _digits,
}
TRANSFORMS = frozenset(_APPLY)  # the names a policy may use


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A value a transform could not read: dropped from the lead's fields, noted on the lead.

    Example: `Company Size: lots` mapped to employees with `integer` ->
    field 'Company Size', value 'lots', transform 'integer', to 'employees',
    reason "not a number: 'lots'".
    """

    kind: ClassVar[str] = "unreadable_value"  # the note's kind, as /metrics counts it
    field: str  # the incoming name, as the sender wrote it
    value: str  # the value as text, cut to 200 characters
    transform: str
    to: str  # the lead field it was mapped to
    reason: str

    def record(self) -> dict[str, str]:
        """The note as the lead's timeline and decision record keep it (JSON)."""
        return {
            "kind": self.kind,
            "field": self.field,
            "value": self.value,
            "transform": self.transform,
            "to": self.to,
            "reason": self.reason,
        }

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


def as_text(value: Any) -> str:
    """A received value as a person reads it: text as it is, anything else as JSON."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = orjson.dumps(value).decode()
        except TypeError:
            text = repr(value)
    return text if len(text) <= 200 else text[:199] + "…"


@dataclass(frozen=True)
class FieldMap:
    """Where one incoming field goes (`to`, a lead field or a path) and how it is converted."""

    to: str
    transform: str | None = None

    def __post_init__(self) -> None:
        if self.transform is not None and self.transform not in _APPLY:
            raise ValueError(
                f"unknown transform {self.transform!r}; expected one of {sorted(TRANSFORMS)}"
            )


@dataclass(frozen=True)
class IntakeMapping:
    """One source's mapping: incoming field name -> FieldMap.

    With `keep_unmapped` false, fields the mapping does not name are dropped: the source sends
    more than the lead should hold.
    """

    source: str
    fields: Mapping[str, FieldMap]
    keep_unmapped: bool = True


def lead_field_name(name: str) -> str:
    """An incoming name as a lead field name: ' First Name ' -> 'first_name'."""
    return _SEPARATORS.sub("_", name.strip().lower())


def apply_mapping(
    raw: Mapping[str, Any], mapping: IntakeMapping | None, known: frozenset[str]
) -> tuple[dict[str, Any], list[Unreadable]]:
    """The lead fields of a raw submission, and the values its transforms could not read.

    `known` holds the lead field names an unmapped incoming name may land on. Without a
    mapping, every field is placed by that rule alone.
    """
    mapped = {
        name.strip().lower(): rule for name, rule in (mapping.fields if mapping else {}).items()
    }
    keep_unmapped = mapping is None or mapping.keep_unmapped
    fields: dict[str, Any] = {}
    unreadable: list[Unreadable] = []
    extra: dict[str, Any] = {}
    # Mapped fields first, so that one named by the mapping wins over one that merely reads
    # as the same lead field.
    ordered = sorted(raw.items(), key=lambda item: str(item[0]).strip().lower() not in mapped)
    for name, given in ordered:
        value = _unwrapped(given)
        if isinstance(value, list | Mapping) and not value:
            continue
        rule = mapped.get(str(name).strip().lower())
        if rule is None and not keep_unmapped:
            continue
        if rule is None:
            target = lead_field_name(str(name))
            if name == "custom" and isinstance(value, Mapping):  # already custom fields
                for inner, inner_value in value.items():
                    extra.setdefault(inner, inner_value)
                continue
            if target not in known or target == "custom":
                extra.setdefault(name, value)
                continue
        else:
            target = rule.to
            if rule.transform is not None:
                try:
                    value = _APPLY[rule.transform](value)
                except ValueError as error:
                    note = Unreadable(str(name), as_text(value), rule.transform, target, str(error))
                    unreadable.append(note)
                    continue
        if not _place(fields, target, value):
            extra.setdefault(name, value)
    if extra:
        custom = fields.setdefault("custom", {})
        if isinstance(custom, dict):
            for name, value in extra.items():
                custom.setdefault(name, value)
    return fields, unreadable


def _unwrapped(value: Any) -> Any:
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value.strip() if isinstance(value, str) else value


def _place(fields: dict[str, Any], path: str, value: Any) -> bool:
    """Put a value at a dotted path, creating nested mappings; False if something is there."""
    *parents, leaf = path.split(".")
    here = fields
    for part in parents:
        inner = here.setdefault(part, {})
        if not isinstance(inner, dict):
            return False
        here = inner
    if leaf in here:
        return False
    here[leaf] = value
    return True


# The fields a lead has by name (the API's lead schema): a column of one of these names maps to
# it without a mapping; any other column is kept under `custom`.
LEAD_FIELDS = frozenset(
    {
        "external_id", "received_at", "first_name", "last_name", "name", "email", "phone",
        "company", "title", "website", "country", "state", "city", "industry", "employees",
        "score", "language", "existing_owner", "requested_rep", "source",
    }
)  # fmt: skip
