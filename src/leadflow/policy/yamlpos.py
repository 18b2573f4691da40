"""YAML to plain data, with the line and column of every value and every mapping key.

A policy error is only useful when it points at the line to fix, and PyYAML's ready-made
loaders forget positions; so this module composes nodes and builds the data itself.

It also reads scalars as YAML 1.2's core schema does, not as PyYAML's YAML 1.1 does: a policy
is full of country codes, times and dates, and 1.1 turns `NO` into false, `12:30` into 750
and `2026-12-24` into a date. Here only `true`/`false` are booleans, only `null`, `~` and
nothing are null, only decimal numbers are numbers, and everything else is text.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader, ReaderError
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

Path = tuple[Hashable, ...]
Position = tuple[int, int]  # (line, column), both 1-based

MAX_VALUES = 100_000  # aliases can make a small text expand exponentially ("billion laughs")

_TAG = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOATS = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}


class YamlError(ValueError):
    """The text is not YAML this module can read; `line` and `column` are 1-based, or None."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem in a document that could still be read, such as a duplicate key."""

    message: str
    path: Path
    position: Position


@dataclass(slots=True)
class Positions:
    """Where each path of the data was written: its value and, in a mapping, its key."""

    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def find(self, path: Path, *, key: bool = False) -> Position | None:
        """The position of `path` (its key's when `key` and it has one), else its nearest parent's.

        Paths that are not in the document (a missing field, say) still get a useful line.
        """
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if key and prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return None


@dataclass(frozen=True, slots=True)
class Document:
    data: Any
    positions: Positions
    issues: tuple[Issue, ...]


def parse(text: str) -> Document:
    """Parse one YAML document; `YamlError` when it cannot be read at all."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc) from None
    except ReaderError as exc:  # a control character: located by offset, not by mark
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - text.rfind("\n", 0, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        message = f"invalid YAML: the control character U+{code:04X} is not allowed"
        raise YamlError(message, line, column) from None
    builder = _Builder()
    data = None if node is None else builder.build(node, ())
    return Document(data, builder.positions, tuple(builder.issues))


def compose(text: str) -> Node | None:
    """The document's node tree, with marks (positions in the text), read as `parse` reads it:
    for editing a text in place (`service.policy_reps`) without writing the rest again."""
    try:
        loader = _Loader(text)
        try:
            return loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc) from None


def _marked_error(exc: yaml.MarkedYAMLError) -> YamlError:
    mark = exc.problem_mark or exc.context_mark
    message = f"invalid YAML: {exc.problem or exc.context}"
    if exc.problem and exc.context and exc.problem.startswith("but "):
        message = f"invalid YAML: {exc.context}, {exc.problem}"
    elif exc.problem and exc.context:
        message += f" ({exc.context}"
        if exc.context_mark is not None and exc.context_mark is not mark:
            message += f" that starts at line {exc.context_mark.line + 1}"
            message += f", column {exc.context_mark.column + 1}"
        message += ")"
    if mark is None:
        return YamlError(message)
    return YamlError(message, mark.line + 1, mark.column + 1)


class _Loader(Reader, Scanner, Parser, Composer, BaseResolver):
    """PyYAML's pipeline up to nodes, with core-schema tags and aliases placed where used."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)

    def resolve(self, kind: type[Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:  # only plain scalars are resolved; quoted ones are text
            return _TAG + (_core_type(value) if implicit[0] else "str")
        return _TAG + ("seq" if kind is SequenceNode else "map")

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if not self.check_event(AliasEvent):
            return super().compose_node(parent, index)
        mark = self.current_event.start_mark  # the alias, which check_event has just read
        node = super().compose_node(parent, index)
        alias = copy.copy(node)
        if alias is not None:  # an error under an alias points at the alias, not the anchor
            alias.start_mark = mark
        return alias


def _core_type(text: str) -> str:
    """The YAML 1.2 core schema type of a plain scalar."""
    lowered = text.lower()
    if lowered in ("null", "~", ""):
        return "null"
    if lowered in ("true", "false"):
        return "bool"
    if _INT.fullmatch(text):
        return "int"
    if _FLOAT.fullmatch(text) or lowered in _SPECIAL_FLOATS:
        return "float"
    return "str"


def _scalar(tag: str, text: str) -> Any:
    """The value of a scalar with a core tag; ValueError for text the tag cannot read."""
    kind = tag.removeprefix(_TAG)
    if not tag.startswith(_TAG) or kind not in ("str", "null", "bool", "int", "float"):
        raise ValueError(f"unsupported YAML tag {tag!r}")
    if kind == "str":
        return text
    lowered = text.lower()
    if kind == "null" and lowered in ("null", "~", ""):
        return None
    if kind == "bool" and lowered in ("true", "false"):
        return lowered == "true"
    if kind == "int" and _INT.fullmatch(text):
        return int(text)
    if kind == "float" and lowered in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[lowered]
    if kind == "float" and (_FLOAT.fullmatch(text) or _INT.fullmatch(text)):
        return float(text)
    raise ValueError(f"{text!r} is not a valid !!{kind}")


def _position(node: Node) -> Position:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns nodes into dicts, lists and scalars, recording positions and readable problems."""

    def __init__(self) -> None:
        self.positions = Positions()
        self.issues: list[Issue] = []
        self._open: set[int] = set()  # collections being built: an alias to one is a cycle
        self._count = 0

    def build(self, node: Node, path: Path) -> Any:
        self._count += 1
        if self._count > MAX_VALUES:
            line, column = _position(node)
            raise YamlError(f"the document has more than {MAX_VALUES} values", line, column)
        self.positions.values[path] = _position(node)
        if isinstance(node, ScalarNode):
            try:
                return _scalar(node.tag, node.value)
            except ValueError as exc:
                return self._unreadable(node, path, str(exc))
        if not node.tag.startswith(_TAG) or node.tag.removeprefix(_TAG) not in ("seq", "map"):
            return self._unreadable(node, path, f"unsupported YAML tag {node.tag!r}")
        if id(node.value) in self._open:
            return self._unreadable(node, path, "an alias refers to a value that contains it")
        self._open.add(id(node.value))
        try:
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            return self._mapping(node, path)
        finally:
            self._open.discard(id(node.value))

    def _mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self._unreadable(key_node, path, "a mapping key must be a single value")
                continue
            try:
                key = _scalar(key_node.tag, key_node.value)
            except ValueError as exc:
                self._unreadable(key_node, path, str(exc))
                continue
            if key in result:
                first = self.positions.keys[(*path, key)]
                message = f"duplicate key {key!r} (first at line {first[0]})"
                self.issues.append(Issue(message, (*path, key), _position(key_node)))
                continue
            self.positions.keys[(*path, key)] = _position(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def _unreadable(self, node: Node, path: Path, message: str) -> None:
        self.issues.append(Issue(message, path, _position(node)))
        return None
