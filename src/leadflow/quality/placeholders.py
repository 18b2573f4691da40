"""Placeholders: values that stand for "no value", such as a form's "-- Select --" or "N/A".

A lead's field holds a placeholder when, ignoring case, spaces and punctuation (so that "N/A",
"n.a." and "NA" are one value), it is one of:

- nothing at all: None, "", whitespace, an empty list or mapping, a float NaN;
- only punctuation: "-", "--", "?", ".", "...";
- a word of a form or a CRM export that means nothing was chosen: "select", "-- select --",
  "please select", "select one", "choose", "please choose", "n/a", "na", "none", "null",
  "nil", "undefined", "unknown", "not provided", "not available", "not applicable",
  "not specified", "unspecified";
- a word typed to get past a required field: "test", "testing", "asdf", "qwerty", "x",
  "xx", "xxx", "xxxx".

The whole value must be one of these: "test" in a company or name field is a placeholder,
"Test Ltd" is a company. Never placeholders: "0" (a count), "no" and "false" (answers), and
"nan", which is a given name as well as what a spreadsheet writes for an empty cell.
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from typing import Any

PLACEHOLDERS = frozenset(
    {
        "select",
        "selectone",
        "pleaseselect",
        "choose",
        "chooseone",
        "pleasechoose",
        "na",
        "none",
        "null",
        "nil",
        "undefined",
        "unknown",
        "notprovided",
        "notavailable",
        "notapplicable",
        "notspecified",
        "unspecified",
        "test",
        "testing",
        "asdf",
        "qwerty",
        "x",
        "xx",
        "xxx",
        "xxxx",
    }
)
_LONGEST = max(map(len, PLACEHOLDERS))
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")
_ASCII_PUNCTUATION = string.punctuation + string.whitespace
_FIRST_LETTERS = frozenset(word[0] for word in PLACEHOLDERS)
_LAST_LETTERS = frozenset(word[-1] for word in PLACEHOLDERS)


def is_placeholder(value: object) -> bool:
    """Whether a value means "no value" (see the module's list): '-- Select --' -> True."""
    if isinstance(value, str):
        return _is_placeholder_text(value)
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, dict | list | tuple | set | frozenset | Mapping):
        return not value
    return False


def _is_placeholder_text(text: str) -> bool:
    # Most values are real; the quick refusals spare them the regex.
    if text.isalnum():  # one plain word: no punctuation to drop
        return text.lower() in PLACEHOLDERS
    if len(text) > 3 * _LONGEST:  # too long to be one, even with spaces and dashes
        return False
    core = text.strip(_ASCII_PUNCTUATION)
    if not core:
        return True
    if core[0].isalnum() and core[0].lower() not in _FIRST_LETTERS:
        return False
    if core[-1].isalnum() and core[-1].lower() not in _LAST_LETTERS:
        return False
    squashed = _NOT_LETTER_OR_DIGIT.sub("", core).lower()
    return not squashed or squashed in PLACEHOLDERS


def strip_placeholders(fields: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The fields with text stripped and placeholder values dropped, and the dotted paths of
    those dropped.

    Nested mappings (`custom`, `account`) are cleaned the same way, and one left empty is
    dropped with them: {"custom": {"budget": "n/a"}} -> ({}, ["custom.budget"]).
    """
    kept: dict[str, Any] = {}
    cleared: list[str] = []
    for name, value in fields.items():
        if isinstance(value, str):
            value = value.strip()
            if _is_placeholder_text(value):
                cleared.append(name)
            else:
                kept[name] = value
        elif isinstance(value, dict | Mapping) and value:
            inner, inner_cleared = strip_placeholders(value)
            cleared.extend(f"{name}.{path}" for path in inner_cleared)
            if inner:
                kept[name] = inner
        elif is_placeholder(value):
            cleared.append(name)
        else:
            kept[name] = value
    return kept, cleared
