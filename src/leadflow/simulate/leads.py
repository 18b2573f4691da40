"""Reading LEADS: a CSV or JSONL file of leads, streamed as `LeadArrival` items.

A CSV header with dotted names (``company.size``) nests those columns, as dotted JSON keys
nest; every problem names the file, the line and the field. JSON objects are read here too,
as a ``lead.received`` event carries a lead written the same way as a JSONL row.

``id``, ``received_at`` and ``first_touch_at`` (when the lead was first touched; empty if it
never was) are the lead's history, kept apart from the fields that rules read. A CSV without an
``id`` column (an import's file: `leadflow import leads` needs none) names each lead by its
line, ``row-2`` for the first under the header, so that `explain` can find it.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from leadflow.simulate.items import LeadArrival, TimelineError, _bad, _json_kind, _not_a_time
from leadflow.simulate.wallclock import _WallClock

TOUCH = "first_touch_at"  # a lead's history, like received_at: not a field the rules read


def _leads(path: Path, clock: _WallClock) -> Iterator[LeadArrival]:
    if _is_jsonl(path):
        source = path.name
        for line, obj in _json_objects(path):
            yield _json_lead(obj, path, line, clock, source, "a lead", "", None)
    else:
        yield from _csv_leads(path, clock)


def _is_jsonl(path: Path) -> bool:
    """JSONL by extension (.jsonl, .ndjson), CSV by .csv, else by a first character of '{'."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return True
    if suffix == ".csv":
        return False
    with path.open("rb") as file:
        head = file.read(4096)
    return head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] == b"{"


def _csv_leads(path: Path, clock: _WallClock) -> Iterator[LeadArrival]:
    source = path.name
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = csv.reader(file, strict=True)  # an unclosed quote must not swallow the rest
        end = 0  # the line the last record ended on; the next one starts after it
        try:
            header_line, header = _csv_header(rows)
            if header is None:
                return
            names, nested = _csv_columns(path, header_line, header)
            width, unnamed = len(names), "" in names
            touches = TOUCH in names
            numbered = "id" not in names  # ids from the line: row-2, row-3, ...
            end = rows.line_num
            for row in rows:
                line, end = end + 1, rows.line_num
                if len(row) > width:
                    problem = f"{len(row)} cells, but the header has {width} columns"
                    raise TimelineError(path, line, None, problem)
                fields = {name: cell for name, cell in zip(names, row, strict=False) if cell}
                lead_id = f"row-{line}" if numbered else fields.pop("id", "").strip()
                received = fields.pop("received_at", "")
                if numbered and not received and not fields:
                    continue  # a blank line, or a row of empty cells
                if not lead_id or not received:
                    if not lead_id and not received and not fields:
                        continue  # a blank line, or a row of empty cells
                    missing = "received_at" if lead_id else "id"
                    raise TimelineError(path, line, missing, f"a lead needs {missing}")
                at = clock.epoch(received)
                if at is None:
                    raise _not_a_time(path, line, "received_at", received)
                touch = None
                if touches and (touched := fields.pop(TOUCH, None)) is not None:
                    touch = _first_touch(touched, at, clock, path, line, TOUCH)
                if nested:
                    _nest_columns(fields, nested)
                if unnamed and "" in fields:
                    column = next(i for i, n in enumerate(names) if not n and row[i]) + 1
                    problem = f"column {column} has a value but no name in the header"
                    raise TimelineError(path, line, None, problem)
                yield LeadArrival(at, lead_id, fields, line, source, touch)
        except csv.Error as exc:
            raise TimelineError(path, end + 1, None, f"not valid CSV: {exc}") from None
        except UnicodeDecodeError:
            raise TimelineError(path, _undecodable_line(path), None, "not UTF-8 text") from None


def _csv_header(rows: Iterator[list[str]]) -> tuple[int, list[str] | None]:
    """The first non-blank row and its line; (…, None) for a file without one."""
    line, header = 1, next(rows, None)
    while header == []:
        line, header = line + 1, next(rows, None)
    return line, header


_Nested = list[tuple[str, tuple[str, ...], str]]  # (column, parent keys, leaf key)


def _csv_columns(path: Path, line: int, header: list[str]) -> tuple[list[str], _Nested]:
    """The column names and where dotted ones nest; a header that cannot nest is refused."""
    names = [name.strip() for name in header]
    if "received_at" not in names:
        raise TimelineError(path, line, "received_at", "the header has no received_at column")
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise _bad(path, line, name, "the header has this column twice")
        seen.add(name)
    nested: _Nested = []
    for name in names:
        if "." not in name:
            continue
        *parents, leaf = name.split(".")
        if not leaf or "" in parents:
            raise _bad(path, line, name, "a dotted name needs a name between every two dots")
        for depth in range(1, len(parents) + 1):
            if (prefix := ".".join(parents[:depth])) in seen:
                raise _bad(path, line, name, f"cannot nest under {prefix!r}, a column too")
        nested.append((name, tuple(parents), leaf))
    return names, nested


def _nest_columns(fields: dict[str, Any], nested: _Nested) -> None:
    for name, parents, leaf in nested:
        value = fields.pop(name, None)
        if value is not None:
            node = fields
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value


def _undecodable_line(path: Path) -> int:
    with path.open("rb") as file:
        for line, raw in enumerate(file, 1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                return line
    return 1


def _json_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, object) for each non-blank line of a JSONL file."""
    with path.open("rb") as file:
        for line, raw in enumerate(file, 1):
            if line == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            if not raw or raw.isspace():
                continue
            try:
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise TimelineError(path, line, None, f"not valid JSON: {exc}") from None
            if not isinstance(value, dict):
                problem = f"expected a JSON object, got {_json_kind(value)}"
                raise TimelineError(path, line, None, problem)
            yield line, value


def _json_lead(
    obj: dict[str, Any],
    path: Path,
    line: int,
    clock: _WallClock,
    source: str,
    what: str,
    prefix: str,
    default_at: float | None,
) -> LeadArrival:
    """A lead from a JSON object; `what` and `prefix` say where it sits, for errors."""
    lead_id = _json_id(obj.pop("id", None), path, line, what, prefix + "id")
    received = obj.pop("received_at", None)
    if received is not None:
        at = clock.epoch(received)
        if at is None:
            raise _not_a_time(path, line, prefix + "received_at", received)
    elif default_at is not None:
        at = default_at
    else:
        raise TimelineError(path, line, "received_at", f"{what} needs received_at")
    touch = None
    if (touched := obj.pop(TOUCH, None)) is not None:
        touch = _first_touch(touched, at, clock, path, line, prefix + TOUCH)
    if "." in "".join(obj):  # one scan of all the keys: dotted names are rare
        obj = _nest_keys(obj, path, line, prefix)
    return LeadArrival(at, lead_id, obj, line, source, touch)


def _first_touch(
    value: object, received: float, clock: _WallClock, path: Path, line: int, field: str
) -> float | None:
    """When a lead was first touched, from its history: None when it never was (empty).

    A touch before the lead was received is refused: it is a mistake in the history (often a
    time zone), and counting it would make the lead meet its SLA at once.
    """
    if isinstance(value, str) and not value.strip():
        return None
    touch = clock.epoch(value)
    if touch is None:
        raise _not_a_time(path, line, field, value)
    if touch < received:
        raise _bad(path, line, field, f"{value!r} is before the lead was received")
    return touch


def _json_id(value: object, path: Path, line: int, what: str, field: str) -> str:
    """A lead id from JSON: non-empty text, or a whole number (as text)."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if value is None or value == "":
        raise TimelineError(path, line, field, f"{what} needs {field}")
    raise _bad(path, line, field, f"expected text or a whole number, got {_json_kind(value)}")


def _nest_keys(obj: dict[str, Any], path: Path, line: int, prefix: str) -> dict[str, Any]:
    fields = {key: value for key, value in obj.items() if "." not in key}
    for key, value in obj.items():
        if "." not in key:
            continue
        *parents, leaf = key.split(".")
        if not leaf or "" in parents:
            raise _bad(
                path, line, prefix + key, "a dotted name needs a name between every two dots"
            )
        node = fields
        for depth, part in enumerate(parents, 1):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                above = ".".join(parents[:depth])
                raise _bad(path, line, prefix + key, f"cannot nest under {above!r}, not an object")
            node = child
        if leaf in node:
            raise _bad(path, line, prefix + key, "given twice, once dotted and once nested")
        node[leaf] = value
    return fields


def records_touches(path: Path) -> bool:
    """Whether LEADS records first touches: a first_touch_at column, or key in any JSONL row.

    A column whose cells are all empty still does: it says nobody was touched.
    """
    if not _is_jsonl(path):
        with path.open(encoding="utf-8-sig", newline="") as file:
            try:
                _, header = _csv_header(csv.reader(file, strict=True))
            except (csv.Error, UnicodeDecodeError):
                return False  # the full read reports it, at its line
        return TOUCH in (name.strip() for name in header or ())
    key, tail = f'"{TOUCH}"'.encode(), b""
    with path.open("rb") as file:  # a byte search: far cheaper than reading every row
        while block := file.read(1 << 20):
            if key in tail + block:
                return True
            tail = block[-len(key) :]
    return False


def _lead_times(path: Path, clock: _WallClock) -> Iterator[float | None]:
    """The received_at of each lead, read as cheaply as possible (other columns unchecked)."""
    if _is_jsonl(path):
        for _, obj in _json_objects(path):
            yield clock.epoch(obj.get("received_at"))
        return
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = csv.reader(file, strict=True)  # an unclosed quote must not swallow the rest
        _, header = _csv_header(rows)
        names = [name.strip() for name in header or ()]
        if "received_at" not in names:
            return
        column, epoch = names.index("received_at"), clock.epoch
        for row in rows:
            if len(row) > column and row[column]:
                yield epoch(row[column])
