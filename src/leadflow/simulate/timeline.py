"""The timeline of a simulation: leads and events read from files, as one stream in time order.

``leadflow simulate`` replays history. LEADS (CSV or JSONL) holds the leads; EVENTS (JSONL)
holds what else happened: more leads, status changes, reps' availability. This module reads
both into typed items and merges them, so that the simulator applies them one after another.

Invariants this module keeps:

- Every item carries its file and 1-based line, and every error names the file, the line and
  the field: ``leads.csv line 17: received_at: '2026-13-01' is not an ISO 8601 date-time``.
- Times are epoch seconds (UTC). Text without an offset is wall time in the policy's time zone,
  read exactly as ``core.calendar.parse_local`` reads it (a DST gap resolves to its end).
- The order is (time, the events file before LEADS, file order): ties are stable.
- Memory does not grow with the number of rows: a file already in time order is streamed, any
  other is sorted on disk in chunks. So lead ids are not checked for repeats across the file (a
  set of every id would grow with the leads); a repeated id is replayed as another arrival.
"""

from __future__ import annotations

import codecs
import csv
import heapq
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from datetime import datetime
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson

from leadflow.core.calendar import parse_local, to_epoch
from leadflow.core.policy import Caps

STATUSES = ("contacted", "won", "lost", "closed")
PRESENCES = ("available", "away")
REP_CHANGES = ("active", "time_off", "caps", "presence")
_CAP_NAMES = tuple(f.name for f in dataclass_fields(Caps))
_SPILL_BATCH = 1024  # items per line of a spill file; the merge holds one batch per sorted run
_NAIVE_EPOCH = datetime(1970, 1, 1)


class TimelineError(ValueError):
    """A leads or events file that cannot be read.

    The message stands on its own and names the file and the line; ``path``, ``line`` and
    ``field`` (None when the whole line is wrong) say the same for a program.
    """

    def __init__(self, path: Path, line: int, field: str | None, problem: str) -> None:
        super().__init__(f"{path.name} line {line}: {problem}")
        self.path = path
        self.line = line
        self.field = field


@dataclass(frozen=True, slots=True)
class LeadArrival:
    """A lead arrives: a row of LEADS or a ``lead.received`` event."""

    at: float  # epoch seconds, UTC
    lead_id: str
    fields: dict[str, Any]  # every column except id and received_at, nested by dots
    line: int  # 1-based; for CSV the physical line where the record starts
    source: str  # file name


@dataclass(frozen=True, slots=True)
class LeadStatus:
    """A lead was contacted, won, lost or closed."""

    at: float
    lead_id: str
    status: str
    line: int
    source: str


@dataclass(frozen=True, slots=True)
class RepUpdate:
    """A rep's availability changed; ``changes`` holds only the keys the event gave."""

    at: float
    rep: str
    changes: dict[str, Any]
    line: int
    source: str


TimelineItem = LeadArrival | LeadStatus | RepUpdate
_Keyed = tuple[float, int, int, TimelineItem]  # (at, file rank, position in the file, item)


def read_leads(path: Path, default_tz: str) -> Iterator[LeadArrival]:
    """The leads of a CSV or JSONL file, streamed in file order."""
    return _leads(path, _WallClock(default_tz))


def read_events(path: Path, default_tz: str) -> Iterator[TimelineItem]:
    """The items of an events JSONL file, streamed in file order."""
    return _events(path, _WallClock(default_tz))


def timeline(
    leads: Path,
    events: Path | None,
    default_tz: str,
    *,
    chunk_size: int = 200_000,
    tmpdir: Path | None = None,
    optimistic: bool = False,
) -> Iterator[TimelineItem]:
    """All items of both files in time order, events first at the same instant, else file order.

    A file already in time order (checked by a quick first pass over its times) is streamed.
    Any other is sorted on disk: runs of `chunk_size` items are sorted and spilled to one
    temporary file in `tmpdir`, then merged. With `optimistic`, the files are streamed with no
    first pass, and `NotInTimeOrder` is raised at the first item that goes back in time: the
    caller starts over without it (a sorted file is then read once, not twice).
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    clock = _WallClock(default_tz)

    def ordered(items: Iterator[TimelineItem], times: _Times, name: str) -> Iterator[TimelineItem]:
        if optimistic:
            return _never_back(items)
        return _in_time_order(items, times, name, chunk_size, tmpdir)

    leads_in_order = ordered(_leads(leads, clock), lambda: _lead_times(leads, clock), leads.name)
    if events is None:
        return leads_in_order
    events_in_order = ordered(
        _events(events, clock), lambda: _event_times(events, clock), events.name
    )
    merged = heapq.merge(_ranked(events_in_order, 0), _ranked(leads_in_order, 1))
    return (entry[3] for entry in merged)


def count_rows(path: Path) -> int | None:
    """About how many leads or events a file holds (its lines, less a CSV header), for progress.

    None when that cannot be known cheaply, e.g. for a pipe.
    """
    try:
        if not path.is_file():
            return None
        lines, last = 0, b"\n"
        with path.open("rb") as file:
            while block := file.read(1 << 20):
                lines += block.count(b"\n")
                last = block[-1:]
        csv_header = 0 if _is_jsonl(path) else 1
    except OSError:
        return None
    if last != b"\n":
        lines += 1
    return max(lines - csv_header, 0)


# Time


class _WallClock:
    """Epoch seconds of ISO 8601 text; text without an offset is wall time in one time zone.

    It agrees with ``core.calendar.parse_local`` everywhere, and it is on the hot path, so the
    UTC offset of each local hour is cached once it is known to hold for the whole hour. Only
    an hour that holds a DST change takes the exact, slower path.
    """

    def __init__(self, tz: str) -> None:
        try:
            self._zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}: expected an IANA name") from exc
        self._tz = tz
        self._bases: dict[int, datetime | None] = {}  # local hour -> wall time at epoch 0

    def epoch(self, value: object) -> float | None:
        """Epoch seconds of `value`, or None when it is not an ISO 8601 date or date-time."""
        if not isinstance(value, str):
            return None
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
        if moment.tzinfo is not None:
            return moment.timestamp()
        hour = moment.toordinal() * 24 + moment.hour  # cheaper than a datetime key
        try:
            base = self._bases[hour]
        except KeyError:
            base = self._bases[hour] = self._steady_base(moment)
        if base is None:
            return to_epoch(parse_local(value, self._tz))
        return (moment - base).total_seconds()

    def _steady_base(self, moment: datetime) -> datetime | None:
        """Wall time at epoch 0 under the offset of this hour; None if the offset changes in it."""
        hour = moment.replace(minute=0, second=0, microsecond=0)
        last = moment.replace(minute=59, second=59, microsecond=999_999)
        offsets = {
            wall.replace(tzinfo=self._zone, fold=fold).utcoffset()
            for wall in (hour, last)
            for fold in (0, 1)
        }
        offset = offsets.pop()
        if offsets or offset is None:
            return None
        return _NAIVE_EPOCH + offset


# Leads


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
            end = rows.line_num
            for row in rows:
                line, end = end + 1, rows.line_num
                if len(row) > width:
                    problem = f"{len(row)} cells, but the header has {width} columns"
                    raise TimelineError(path, line, None, problem)
                fields = {name: cell for name, cell in zip(names, row, strict=False) if cell}
                lead_id = fields.pop("id", "").strip()
                received = fields.pop("received_at", "")
                if not lead_id or not received:
                    if not lead_id and not received and not fields:
                        continue  # a blank line, or a row of empty cells
                    missing = "received_at" if lead_id else "id"
                    raise TimelineError(path, line, missing, f"a lead needs {missing}")
                at = clock.epoch(received)
                if at is None:
                    raise _not_a_time(path, line, "received_at", received)
                if nested:
                    _nest_columns(fields, nested)
                if unnamed and "" in fields:
                    column = next(i for i, n in enumerate(names) if not n and row[i]) + 1
                    problem = f"column {column} has a value but no name in the header"
                    raise TimelineError(path, line, None, problem)
                yield LeadArrival(at, lead_id, fields, line, source)
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
    for required in ("id", "received_at"):
        if required not in names:
            raise TimelineError(path, line, required, f"the header has no {required} column")
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
    if "." in "".join(obj):  # one scan of all the keys: dotted names are rare
        obj = _nest_keys(obj, path, line, prefix)
    return LeadArrival(at, lead_id, obj, line, source)


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


# Events


def _events(path: Path, clock: _WallClock) -> Iterator[TimelineItem]:
    for line, obj in _json_objects(path):
        kind = obj.get("type")
        if kind is None:
            raise TimelineError(path, line, "type", "an event needs type")
        read = _EVENT_READERS.get(kind) if isinstance(kind, str) else None
        if read is None:
            known = ", ".join(_EVENT_READERS)
            raise _bad(path, line, "type", f"unknown event type {kind!r}; expected one of {known}")
        if obj.get("at") is None:
            raise TimelineError(path, line, "at", f"{kind} needs at")
        at = clock.epoch(obj["at"])
        if at is None:
            raise _not_a_time(path, line, "at", obj["at"])
        yield read(obj, at, path, line, clock)


def _lead_received(
    obj: dict[str, Any], at: float, path: Path, line: int, clock: _WallClock
) -> LeadArrival:
    """A lead; its own received_at, if it has one, is when it arrives, else the event's at."""
    lead = obj.get("lead")
    if lead is None:
        raise TimelineError(path, line, "lead", "lead.received needs lead")
    if not isinstance(lead, dict):
        raise _bad(path, line, "lead", f"expected an object, got {_json_kind(lead)}")
    return _json_lead(lead, path, line, clock, path.name, "lead.received", "lead.", at)


def _lead_status(
    obj: dict[str, Any], at: float, path: Path, line: int, clock: _WallClock
) -> LeadStatus:
    lead_id = _json_id(obj.get("lead_id"), path, line, "lead.status", "lead_id")
    status = obj.get("status")
    if status is None:
        raise TimelineError(path, line, "status", "lead.status needs status")
    if status not in STATUSES:
        raise _bad(path, line, "status", f"{status!r} is not one of {', '.join(STATUSES)}")
    return LeadStatus(at, lead_id, status, line, path.name)


def _rep_updated(
    obj: dict[str, Any], at: float, path: Path, line: int, clock: _WallClock
) -> RepUpdate:
    """A rep's new availability. Unknown keys are refused: a misspelt one would change nothing.

    time_off and caps are checked here, so that the error names this line, and kept as written:
    the simulator reads them as the policy's own ``time_off`` and ``caps`` are read.
    """
    rep = obj.get("rep")
    if rep is None or (isinstance(rep, str) and not rep.strip()):
        raise TimelineError(path, line, "rep", "rep.updated needs rep")
    if not isinstance(rep, str):
        raise _bad(path, line, "rep", f"expected text, got {_json_kind(rep)}")
    for key in obj:
        if key not in ("at", "type", "rep", *REP_CHANGES):
            expected = ", ".join(REP_CHANGES)
            raise _bad(path, line, key, f"rep.updated has no such key; expected {expected}")
    changes = {key: obj[key] for key in REP_CHANGES if key in obj}
    if "active" in changes and not isinstance(changes["active"], bool):
        raise _bad(path, line, "active", f"expected true or false, got {changes['active']!r}")
    if "presence" in changes and changes["presence"] not in PRESENCES:
        presence, expected = changes["presence"], " or ".join(PRESENCES)
        raise _bad(path, line, "presence", f"{presence!r} is not {expected}")
    if "caps" in changes:
        _check_caps(changes["caps"], path, line)
    if "time_off" in changes:
        _check_time_off(changes["time_off"], path, line, clock)
    return RepUpdate(at, rep.strip(), changes, line, path.name)


def _check_caps(caps: object, path: Path, line: int) -> None:
    if not isinstance(caps, dict):
        raise _bad(path, line, "caps", f"expected an object, got {_json_kind(caps)}")
    for name, limit in caps.items():
        if name not in _CAP_NAMES:
            raise _bad(path, line, f"caps.{name}", f"no such cap; expected {', '.join(_CAP_NAMES)}")
        if limit is not None and (type(limit) is not int or limit < 0):
            raise _bad(path, line, f"caps.{name}", f"expected a whole number ≥ 0, got {limit!r}")


def _check_time_off(periods: object, path: Path, line: int, clock: _WallClock) -> None:
    if not isinstance(periods, list):
        raise _bad(path, line, "time_off", f"expected a list, got {_json_kind(periods)}")
    for i, period in enumerate(periods):
        where = f"time_off[{i}]"
        if not isinstance(period, dict):
            raise _bad(path, line, where, f"expected {{from, to}}, got {_json_kind(period)}")
        bounds = []
        for end in ("from", "to"):
            if period.get(end) is None:
                raise TimelineError(path, line, f"{where}.{end}", f"{where} needs {end}")
            bound = clock.epoch(period[end])
            if bound is None:
                raise _not_a_time(path, line, f"{where}.{end}", period[end])
            bounds.append(bound)
        if bounds[1] < bounds[0]:
            raise _bad(path, line, where, "ends before it starts")


_EventReader = Callable[[dict[str, Any], float, Path, int, _WallClock], TimelineItem]
_EVENT_READERS: dict[str, _EventReader] = {
    "lead.received": _lead_received,
    "lead.status": _lead_status,
    "rep.updated": _rep_updated,
}


# Errors


def _bad(path: Path, line: int, field: str, problem: str) -> TimelineError:
    return TimelineError(path, line, field, f"{field}: {problem}")


def _not_a_time(path: Path, line: int, field: str, value: object) -> TimelineError:
    return _bad(path, line, field, f"{value!r} is not an ISO 8601 date-time")


def _json_kind(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return orjson.dumps(value).decode()
    kinds = {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


# Order


def _ranked(items: Iterable[TimelineItem], rank: int) -> Iterator[_Keyed]:
    for seq, item in enumerate(items):
        yield item.at, rank, seq, item


class NotInTimeOrder(Exception):
    """An optimistic `timeline` met an item earlier than the one before it."""


_Times = Callable[[], Iterator[float | None]]


def _never_back(items: Iterator[TimelineItem]) -> Iterator[TimelineItem]:
    last = -math.inf
    for item in items:
        if item.at < last:
            raise NotInTimeOrder(f"{item.source} line {item.line}")
        last = item.at
        yield item


def _in_time_order(
    items: Iterator[TimelineItem],
    times: _Times,
    source: str,
    chunk_size: int,
    tmpdir: Path | None,
) -> Iterator[TimelineItem]:
    """`items` sorted by time, stably: as they come if `times()` is ascending, else sorted."""
    if _ascending(times):
        yield from items
    else:
        yield from _external_sort(items, source, chunk_size, tmpdir)


def _ascending(times: Callable[[], Iterator[float | None]]) -> bool:
    """Whether the times never go back; a time that cannot be read counts as going back."""
    last = -math.inf
    try:
        for at in times():
            if at is None or at < last:
                return False
            last = at
    except (ValueError, csv.Error):
        return False  # the full read reports it, at its line, in file order
    return True


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


def _event_times(path: Path, clock: _WallClock) -> Iterator[float | None]:
    for _, obj in _json_objects(path):
        lead = obj.get("lead") if obj.get("type") == "lead.received" else None
        received = lead.get("received_at") if isinstance(lead, dict) else None
        yield clock.epoch(obj.get("at") if received is None else received)


def _external_sort(
    items: Iterator[TimelineItem], source: str, chunk_size: int, tmpdir: Path | None
) -> Iterator[TimelineItem]:
    """Sorts runs of `chunk_size` items in memory, spills them to one file and merges them.

    Both steps are stable (``sorted``, and ``heapq.merge`` over the runs in file order), so
    items at the same instant keep their file order. Memory: one chunk, then one batch per run.
    """
    chunk = sorted(islice(items, chunk_size), key=_time_of)
    following = next(items, None)
    if following is None:  # it all fits in one chunk
        yield from chunk
        return
    items = chain([following], items)
    with tempfile.TemporaryFile(dir=tmpdir) as spill:
        runs: list[tuple[int, int]] = []
        while chunk:
            runs.append(_write_run(spill, chunk))
            chunk = []
            chunk = sorted(islice(items, chunk_size), key=_time_of)
        batch_runs = [_read_run(spill, start, end, source) for start, end in runs]
        yield from heapq.merge(*batch_runs, key=_time_of)


def _time_of(item: TimelineItem) -> float:
    return item.at


def _write_run(spill: IO[bytes], chunk: list[TimelineItem]) -> tuple[int, int]:
    start = spill.seek(0, 2)
    for i in range(0, len(chunk), _SPILL_BATCH):
        spill.write(orjson.dumps([_spill_row(item) for item in chunk[i : i + _SPILL_BATCH]]))
        spill.write(b"\n")  # orjson never writes a raw newline, so each batch is one line
    return start, spill.tell()


def _read_run(spill: IO[bytes], start: int, end: int, source: str) -> Iterator[TimelineItem]:
    """The items of one run; runs share the file, so each remembers where it stopped."""
    offset = start
    while offset < end:
        spill.seek(offset)
        batch = spill.readline()
        offset += len(batch)
        for kind, at, key, data, line in orjson.loads(batch):
            if kind == 0:
                yield LeadArrival(at, key, data, line, source)
            elif kind == 1:
                yield LeadStatus(at, key, data, line, source)
            else:
                yield RepUpdate(at, key, data, line, source)


def _spill_row(item: TimelineItem) -> tuple[int, float, str, Any, int]:
    """An item as JSON (its source is the run's): all its values come from JSON or CSV text."""
    if isinstance(item, LeadArrival):
        return 0, item.at, item.lead_id, item.fields, item.line
    if isinstance(item, LeadStatus):
        return 1, item.at, item.lead_id, item.status, item.line
    return 2, item.at, item.rep, item.changes, item.line
