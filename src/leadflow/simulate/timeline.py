"""The timeline of a simulation: leads and events read from files, as one stream in time order.

``leadflow simulate`` replays history. LEADS (CSV or JSONL) holds the leads; EVENTS (JSONL)
holds what else happened: more leads, status changes, reps' availability. This module reads
both into typed items and merges them, so that the simulator applies them one after another.
It is the public face: the item types and `TimelineError` are in `items`, the readers in
`leads`, `events` and `wallclock`, the sorting in `ordering`.

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

import heapq
from collections.abc import Iterator
from pathlib import Path

from leadflow.simulate.events import _event_times, _events
from leadflow.simulate.items import (
    PRESENCES,
    REP_CHANGES,
    STATUSES,
    LeadArrival,
    LeadStatus,
    RepUpdate,
    TimelineError,
    TimelineItem,
)
from leadflow.simulate.leads import _is_jsonl, _lead_times, _leads
from leadflow.simulate.ordering import (
    NotInTimeOrder,
    _in_time_order,
    _never_back,
    _ranked,
    _Times,
)
from leadflow.simulate.wallclock import _WallClock

__all__ = [
    "PRESENCES",
    "REP_CHANGES",
    "STATUSES",
    "LeadArrival",
    "LeadStatus",
    "NotInTimeOrder",
    "RepUpdate",
    "TimelineError",
    "TimelineItem",
    "count_rows",
    "read_events",
    "read_leads",
    "timeline",
]


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
