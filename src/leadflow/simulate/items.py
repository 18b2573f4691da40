"""The items of a timeline, and the error for a leads or events file that cannot be read.

The readers make these items, `ordering` sorts them and the simulator applies them; all import
them from here, so that none of those modules imports another in a circle. The error helpers
sit next to `TimelineError` so that every message is built the same way: file, line, field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

# What a ``lead.status`` event may say: every outcome that meets an SLA (`core.sla.MEETS`),
# and ``closed``, which ends a lead without saying how.
STATUSES = ("contacted", "meeting_booked", "qualified", "disqualified", "won", "lost", "closed")
PRESENCES = ("available", "away")
REP_CHANGES = ("active", "time_off", "caps", "presence")


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
    fields: dict[str, Any]  # every column except id, received_at and first_touch_at, nested
    line: int  # 1-based; for CSV the physical line where the record starts
    source: str  # file name
    first_touch: float | None = None  # its history's first_touch_at; None: never touched


@dataclass(frozen=True, slots=True)
class LeadStatus:
    """A lead was contacted, booked a meeting, qualified, disqualified, won, lost or closed."""

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
