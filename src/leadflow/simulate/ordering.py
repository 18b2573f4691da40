"""Putting a stream of timeline items in time order, on disk when it is not already.

A file in time order is streamed as it is; any other is sorted in runs spilled to a temporary
file and merged, so memory does not grow with the number of rows. `NotInTimeOrder` lets a
caller stream optimistically and start over only when a file turns out not to be sorted.
"""

from __future__ import annotations

import csv
import heapq
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

import orjson

from leadflow.simulate.items import LeadArrival, LeadStatus, RepUpdate, TimelineItem

_SPILL_BATCH = 1024  # items per line of a spill file; the merge holds one batch per sorted run
_Keyed = tuple[float, int, int, TimelineItem]  # (at, file rank, position in the file, item)


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
        for kind, at, key, data, line, *touch in orjson.loads(batch):
            if kind == 0:
                yield LeadArrival(at, key, data, line, source, *touch)
            elif kind == 1:
                yield LeadStatus(at, key, data, line, source)
            else:
                yield RepUpdate(at, key, data, line, source)


def _spill_row(item: TimelineItem) -> tuple[Any, ...]:
    """An item as JSON (its source is the run's): all its values come from JSON or CSV text."""
    if isinstance(item, LeadArrival):
        if item.first_touch is not None:
            return 0, item.at, item.lead_id, item.fields, item.line, item.first_touch
        return 0, item.at, item.lead_id, item.fields, item.line
    if isinstance(item, LeadStatus):
        return 1, item.at, item.lead_id, item.status, item.line
    return 2, item.at, item.rep, item.changes, item.line
