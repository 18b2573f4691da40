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


class ConditionError(ValueError):
    """A condition that cannot be compiled; `path` locates it inside the condition data."""

    def __init__(self, message: str, path: Path = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


class Facts:
    """A lead's fields as conditions read them, each looked up and normalized once per lead.

    Many rules read the same few fields (country, score, employees); routing a lead through
    fifty rules must not parse "1200" fifty times. Three views, filled on first use:
    `raw[path]` (the value, None when missing), `keys[path]` (the comparison key: see `_key`;
    a list becomes a tuple of keys; None when missing) and `texts[path]` (folded text or None).
    """

    __slots__ = ("keys", "raw", "texts")

    def __init__(self, fields: Fields) -> None:
        self.raw = _Raw(fields)
        self.keys = _Keys(self.raw)
        self.texts = _Texts(self.raw)


class _Raw(dict[str, Any]):
    __slots__ = ("fields",)

    def __init__(self, fields: Fields) -> None:
        super().__init__()
        self.fields = fields

    def __missing__(self, path: str) -> Any:
        value = lookup(self.fields, path)
        if value == "" or value == []:
            value = None
        self[path] = value
        return value


class _Keys(dict[str, Any]):
    __slots__ = ("raw",)

    def __init__(self, raw: _Raw) -> None:
        super().__init__()
        self.raw = raw

    def __missing__(self, path: str) -> Any:
        value = self.raw[path]
        if isinstance(value, list):
            keys = tuple(_key(v) for v in value if v is not None and v != "")
            key: Any = keys or None
        else:
            key = None if value is None else _key(value)
        self[path] = key
        return key


class _Texts(dict[str, Any]):
    __slots__ = ("raw",)

    def __init__(self, raw: _Raw) -> None:
        super().__init__()
        self.raw = raw

    def __missing__(self, path: str) -> Any:
        value = self.raw[path]
        text = value.casefold() if isinstance(value, str) else None
        self[path] = text
        return text


Predicate = Callable[[Facts], bool]


@dataclass(frozen=True, slots=True)
class Condition:
    """A compiled condition: the predicate, and the field paths it reads (for the record)."""

    holds: Predicate  # on Facts: what decide() calls, sharing one Facts across every rule
    paths: tuple[str, ...]
    source: Any  # the data as written, for the decision record and the UI

    def test(self, fields: Fields) -> bool:
        """Whether the condition holds for these lead fields."""
        return self.holds(Facts(fields))

    def saw(self, fields: Fields) -> dict[str, Any]:
        """The value of every field this condition reads, as the lead had it."""
        raw = Facts(fields).raw
        return {p: raw[p] for p in self.paths}


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
    holds = _compile(data, territories or {}, paths, ())
    return Condition(holds=holds, paths=tuple(dict.fromkeys(paths)), source=data)


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
        return _any_of([t.holds for t in found])
    paths.append(key)
    if isinstance(value, Mapping):
        if not value:
            raise ConditionError(f"no operator for field '{key}'", at)
        tests = [_compile_op(key, str(op), arg, (*at, op)) for op, arg in value.items()]
        return tests[0] if len(tests) == 1 else _all_of(tests)
    if value is None:
        raise ConditionError(f"'{key}: null' is ambiguous: write {{{key}: {{exists: false}}}}", at)
    return _compile_op(key, "in" if isinstance(value, list) else "eq", value, at)


def _compile_op(path: str, op: str, arg: Any, at: Path) -> Predicate:
    """One operator on one field, as a single flat closure over the lead's `Facts`."""
    if op not in OPERATORS:
        expected = ", ".join(OPERATORS)
        raise ConditionError(f"unknown operator '{op}' (expected one of {expected})", at)
    if op == "exists":
        if not isinstance(arg, bool):
            raise ConditionError("'exists' takes true or false", at)
        if arg:
            return lambda f: f.keys[path] is not None
        return lambda f: f.keys[path] is None
    if op in ("in", "not_in"):
        if not isinstance(arg, list) or not arg:
            raise ConditionError(f"'{op}' takes a non-empty list", at)
        for i, v in enumerate(arg):
            _scalar(op, v, (*at, i))
        wanted = frozenset(_key(v) for v in arg)

        def is_in(f: Facts) -> bool:
            k = f.keys[path]
            if type(k) is tuple:
                return not wanted.isdisjoint(k)
            return k in wanted

        if op == "in":
            return is_in
        return lambda f: f.keys[path] is not None and not is_in(f)
    if op in ("eq", "ne"):
        _scalar(op, arg, at)
        want = _key(arg)

        def equals(f: Facts) -> bool:
            k = f.keys[path]
            return want in k if type(k) is tuple else k == want

        if op == "eq":
            return equals
        return lambda f: f.keys[path] is not None and not equals(f)
    if op in ("gt", "gte", "lt", "lte", "between"):
        return _ordered(path, op, arg, at)
    if op == "matches":
        if not isinstance(arg, str):
            raise ConditionError("'matches' takes a regular expression as text", at)
        try:
            search = re.compile(arg, re.IGNORECASE).search
        except re.error as exc:
            raise ConditionError(f"bad regular expression {arg!r}: {exc}", at) from None

        def matches(f: Facts) -> bool:
            v = f.raw[path]
            if isinstance(v, list):
                return any(isinstance(x, str) and search(x) is not None for x in v)
            return isinstance(v, str) and search(v) is not None

        return matches
    # contains, starts_with, ends_with
    if not isinstance(arg, str | int | float) or isinstance(arg, bool):
        raise ConditionError(f"'{op}' takes text", at)
    needle = str(arg).casefold()
    if op == "contains":
        element = _key(arg)

        def contains(f: Facts) -> bool:
            k = f.keys[path]
            if type(k) is tuple:
                return element in k
            text = f.texts[path]
            return text is not None and needle in text

        return contains
    if op == "starts_with":
        return lambda f: (t := f.texts[path]) is not None and t.startswith(needle)
    return lambda f: (t := f.texts[path]) is not None and t.endswith(needle)


def _ordered(path: str, op: str, arg: Any, at: Path) -> Predicate:
    """gt/gte/lt/lte/between: numbers with numbers (text that reads as one too), text with text."""
    if op == "between":
        if not (isinstance(arg, list) and len(arg) == 2):
            raise ConditionError("'between' takes [low, high]", at)
        low: Any = _bound(op, arg[0], (*at, 0))  # Any: the kind check below makes them comparable
        high: Any = _bound(op, arg[1], (*at, 1))
        if type(low) is not type(high):
            raise ConditionError("'between' takes two numbers or two texts", at)
        kind = type(low)
        return lambda f: type(k := f.keys[path]) is kind and low <= k <= high
    bound: Any = _bound(op, arg, at)  # compared only with keys of its own kind
    kind = type(bound)
    if op == "gt":
        return lambda f: type(k := f.keys[path]) is kind and k > bound
    if op == "gte":
        return lambda f: type(k := f.keys[path]) is kind and k >= bound
    if op == "lt":
        return lambda f: type(k := f.keys[path]) is kind and k < bound
    return lambda f: type(k := f.keys[path]) is kind and k <= bound


def _bound(op: str, arg: Any, at: Path) -> float | str:
    _scalar(op, arg, at)
    if isinstance(arg, bool):
        raise ConditionError(f"'{op}' compares numbers or text, not true/false", at)
    key = _key(arg)
    assert isinstance(key, float | str)
    return key


def _scalar(op: str, arg: Any, at: Path) -> None:
    if isinstance(arg, Mapping | list) or arg is None:
        what = "a list of single values" if op in ("in", "not_in") else "a single value"
        raise ConditionError(f"'{op}' takes {what}", at)


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
    return object()  # a mapping or other structure: present, and equal to nothing


def _number(text: str) -> float | None:
    if text and (text[0].isdigit() or text[0] in "+-. "):
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _all_of(tests: list[Predicate]) -> Predicate:
    if len(tests) == 2:
        a, b = tests
        return lambda f: a(f) and b(f)
    checks = tuple(tests)

    def every(f: Facts) -> bool:
        for test in checks:  # noqa: SIM110 -- a loop is faster than all(genexpr) here
            if not test(f):
                return False
        return True

    return every


def _any_of(tests: list[Predicate]) -> Predicate:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        a, b = tests
        return lambda f: a(f) or b(f)
    checks = tuple(tests)

    def some(f: Facts) -> bool:
        for test in checks:  # noqa: SIM110 -- as in every()
            if test(f):
                return True
        return False

    return some
