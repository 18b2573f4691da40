"""The condition language: data in, a predicate out. Nothing a user writes is ever `eval`-ed.

A condition is a mapping:

- ``{field: value}``: the field equals the value; ``{field: [a, b]}``: it is one of them;
- ``{field: {op: value}}`` with an operator of `OPERATORS` (several operators: all must hold);
- ``{all: [...]}``, ``{any: [...]}``, ``{not: {...}}``, ``{territory: NAME}``;
- several keys in one mapping: all of them must hold.

Fields are paths into the lead (``account.owner``). The rules it keeps:

- A condition on a missing field (absent, null or an empty string) is false, never an exception;
  only ``{exists: false}`` holds for it.
- Text compares case-insensitively (``US`` equals ``us``), as in CRM assignment rules.
- A number compares with a number, and with text that reads as one (CSV cells are text);
  any other mix of types is false.
- A list-valued field holds for ``eq``/``in``/``contains`` when one of its elements does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Fields = Mapping[str, Any]
Predicate = Callable[[Fields], bool]
Path = tuple[str | int, ...]

OPERATORS = (
    "eq",
    "ne",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "contains",
    "starts_with",
    "ends_with",
    "matches",
    "exists",
)
COMBINATORS = ("all", "any", "not", "territory")
_MISSING = object()


class ConditionError(ValueError):
    """A condition that cannot be compiled; `path` locates it inside the condition data."""

    def __init__(self, message: str, path: Path = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled condition: `test(fields)`, and the field paths it reads (for the record)."""

    test: Predicate
    paths: tuple[str, ...]
    source: Any  # the data as written, for the decision record and the UI

    def saw(self, fields: Fields) -> dict[str, Any]:
        """The value of every field this condition reads, as the lead had it."""
        return {p: lookup(fields, p) for p in self.paths}


def lookup(fields: Fields, path: str) -> Any:
    """The value at a dotted path, or None when any step is missing."""
    if "." not in path:
        return fields.get(path)
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
        if value is None:
            return None
    return value


def compile_condition(data: Any, territories: Mapping[str, Condition] | None = None) -> Condition:
    """Compile condition data into a `Condition`; `ConditionError` says what and where."""
    paths: list[str] = []
    test = _compile(data, territories or {}, paths, ())
    return Condition(test=test, paths=tuple(dict.fromkeys(paths)), source=data)


def _compile(
    data: Any, territories: Mapping[str, Condition], paths: list[str], at: Path
) -> Predicate:
    if not isinstance(data, Mapping) or not data:
        raise ConditionError("a condition is a non-empty mapping such as {country: US}", at)
    parts = [_compile_key(k, v, territories, paths, (*at, k)) for k, v in data.items()]
    return parts[0] if len(parts) == 1 else _all_of(parts)


def _compile_key(
    key: Any, value: Any, territories: Mapping[str, Condition], paths: list[str], at: Path
) -> Predicate:
    if not isinstance(key, str) or not key:
        raise ConditionError(f"a condition key must be a field name, got {key!r}", at)
    if key in ("all", "any"):
        if not isinstance(value, Sequence) or isinstance(value, str) or not value:
            raise ConditionError(f"'{key}' takes a non-empty list of conditions", at)
        subs = [_compile(v, territories, paths, (*at, i)) for i, v in enumerate(value)]
        return _all_of(subs) if key == "all" else _any_of(subs)
    if key == "not":
        inner = _compile(value, territories, paths, at)
        return lambda f: not inner(f)
    if key == "territory":
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, Sequence) or not names:
            raise ConditionError("'territory' takes a territory name or a list of names", at)
        found = []
        for i, name in enumerate(names):
            if name not in territories:
                where = at if isinstance(value, str) else (*at, i)
                known = ", ".join(sorted(territories)) or "none are defined"
                raise ConditionError(f"unknown territory {name!r} (known: {known})", where)
            found.append(territories[name])
            paths.extend(territories[name].paths)
        return _any_of([t.test for t in found])
    paths.append(key)
    get = _getter(key)
    if isinstance(value, Mapping):
        if not value:
            raise ConditionError(f"no operator for field '{key}'", at)
        tests = [_compile_op(get, str(op), arg, (*at, op)) for op, arg in value.items()]
        return tests[0] if len(tests) == 1 else _all_of(tests)
    if value is None:
        raise ConditionError(f"'{key}: null' is ambiguous: write {{{key}: {{exists: false}}}}", at)
    op = "in" if isinstance(value, list) else "eq"
    return _compile_op(get, op, value, at)


def _compile_op(get: Callable[[Fields], Any], op: str, arg: Any, at: Path) -> Predicate:
    if op not in OPERATORS:
        expected = ", ".join(OPERATORS)
        raise ConditionError(f"unknown operator '{op}' (expected one of {expected})", at)
    if op == "exists":
        if not isinstance(arg, bool):
            raise ConditionError("'exists' takes true or false", at)
        return (lambda f: _present(get(f))) if arg else (lambda f: not _present(get(f)))
    if op in ("in", "not_in"):
        if not isinstance(arg, list) or not arg:
            raise ConditionError(f"'{op}' takes a non-empty list", at)
        for i, v in enumerate(arg):
            _scalar(op, v, (*at, i))
        keys = {_key(v) for v in arg}
        if op == "in":
            return lambda f: _each(get(f), lambda v: _key(v) in keys)
        return lambda f: _present(v := get(f)) and not _each(v, lambda x: _key(x) in keys)
    if op in ("eq", "ne"):
        _scalar(op, arg, at)
        want = _key(arg)
        if op == "eq":
            return lambda f: _each(get(f), lambda v: _key(v) == want)
        return lambda f: _present(v := get(f)) and not _each(v, lambda x: _key(x) == want)
    if op in ("gt", "gte", "lt", "lte"):
        _scalar(op, arg, at)
        if isinstance(arg, bool):
            raise ConditionError(f"'{op}' compares numbers or text, not true/false", at)
        return _ordered(get, op, arg)
    if op == "between":
        if not (isinstance(arg, list) and len(arg) == 2):
            raise ConditionError("'between' takes [low, high]", at)
        low, high = _ordered(get, "gte", arg[0]), _ordered(get, "lte", arg[1])
        return lambda f: low(f) and high(f)
    if op == "matches":
        if not isinstance(arg, str):
            raise ConditionError("'matches' takes a regular expression as text", at)
        try:
            pattern = re.compile(arg, re.IGNORECASE)
        except re.error as exc:
            raise ConditionError(f"bad regular expression {arg!r}: {exc}", at) from None
        return lambda f: _each(get(f), lambda v: isinstance(v, str) and bool(pattern.search(v)))
    # contains, starts_with, ends_with
    if not isinstance(arg, str | int | float) or isinstance(arg, bool):
        raise ConditionError(f"'{op}' takes text", at)
    needle = str(arg).casefold()
    if op == "contains":

        def contains(f: Fields) -> bool:
            v = get(f)
            if isinstance(v, list):
                return any(_key(x) == _key(arg) for x in v)
            return isinstance(v, str) and needle in v.casefold()

        return contains
    if op == "starts_with":
        return lambda f: isinstance(v := get(f), str) and v.casefold().startswith(needle)
    return lambda f: isinstance(v := get(f), str) and v.casefold().endswith(needle)


def _scalar(op: str, arg: Any, at: Path) -> None:
    if isinstance(arg, Mapping | list) or arg is None:
        what = "a list of single values" if op in ("in", "not_in") else "a single value"
        raise ConditionError(f"'{op}' takes {what}", at)


def _getter(path: str) -> Callable[[Fields], Any]:
    if "." not in path:
        return lambda f: f.get(path)
    return lambda f: lookup(f, path)


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def _each(value: Any, test: Callable[[Any], bool]) -> bool:
    """The test on a value, or on any element of a list value; a missing value fails."""
    if value is None or value == "":
        return False
    if isinstance(value, list):
        return any(test(v) for v in value if v is not None and v != "")
    return test(value)


def _key(value: Any) -> Any:
    """A comparison key: text folded and numbers unified, so that 'US' == 'us' and '10' == 10.

    A boolean keys as the text 'true'/'false' (a CSV cell reads `true`), never as 1 or 0.
    """
    if isinstance(value, str):
        number = _number(value)
        return value.strip().casefold() if number is None else number
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return float(value)
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value and (value[0].isdigit() or value[0] in "+-."):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _ordered(get: Callable[[Fields], Any], op: str, arg: Any) -> Predicate:
    number = _number(arg)
    cmp = _COMPARE[op]
    if number is not None:

        def numeric(f: Fields) -> bool:
            v = _number(get(f))
            return v is not None and cmp(v, number)

        return numeric
    text = str(arg).casefold()

    def textual(f: Fields) -> bool:
        v = get(f)
        return isinstance(v, str) and v != "" and cmp(v.casefold(), text)

    return textual


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _all_of(tests: list[Predicate]) -> Predicate:
    if len(tests) == 2:
        a, b = tests
        return lambda f: a(f) and b(f)
    return lambda f: all(t(f) for t in tests)


def _any_of(tests: list[Predicate]) -> Predicate:
    if len(tests) == 1:
        return tests[0]
    return lambda f: any(t(f) for t in tests)
