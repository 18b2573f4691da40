"""When a manager's weekly digest is sent, and which week it covers.

A digest is sent once a week at a local wall time ("monday 08:00") in the manager's own time
zone, and covers the seven local days before the day it is sent: sent on Monday 23 Nov 2026 at
08:00, it covers Monday 16 to Sunday 22 November. Nothing here reads a clock.

Invariants:
- the send instant is the local wall time, so 08:00 stays 08:00 on the wall across a DST change
  (13:00 UTC in New York's winter, 12:00 UTC in its summer);
- a wall time that does not exist (spring forward, 02:30 in New York on 8 Mar 2026) is the
  instant after the gap's start by as much (03:30); a repeated one (fall back) is the first;
- the week a send covers is found from the send instant alone, so every worker agrees on it.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ABBREVIATIONS = {day[:3]: i for i, day in enumerate(WEEKDAYS)}
_AT = re.compile(r"\s*([A-Za-z]+)\s+(\d{1,2}):(\d{2})\s*")


class ScheduleError(ValueError):
    """An `at` that is not a weekday and a time; the message says what is expected."""


@dataclass(frozen=True, slots=True)
class Weekly:
    """A weekly instant on the wall: `weekday` 0 is Monday; `text` as the policy wrote it."""

    weekday: int
    at: time
    text: str

    @classmethod
    def parse(cls, text: str) -> Weekly:
        """`monday 08:00`, `Mon 8:00`, `friday 17:30` (a 24-hour clock)."""
        expected = 'expected a weekday and a 24-hour time, such as "monday 08:00"'
        found = _AT.fullmatch(text)
        if found is None:
            raise ScheduleError(f"{text!r} is not a weekly time: {expected}")
        name, hour, minute = found.group(1).lower(), int(found.group(2)), int(found.group(3))
        weekday = WEEKDAYS.index(name) if name in WEEKDAYS else _ABBREVIATIONS.get(name)
        if weekday is None:
            close = difflib.get_close_matches(name, WEEKDAYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ScheduleError(f"{found.group(1)!r} is not a weekday{hint}: {expected}")
        if hour > 23 or minute > 59:
            raise ScheduleError(f"{hour:02d}:{minute:02d} is not a time of day: {expected}")
        return cls(weekday, time(hour, minute), text.strip())

    def next_send(self, zone: str, after: datetime) -> datetime:
        """The first send instant (UTC) at or after `after`, on the wall of `zone`.

        Example: "monday 08:00" in America/New_York after Sun 1 Nov 2026 (the day DST ends)
        is Mon 2 Nov 13:00 UTC; after Mon 9 Mar 2026 00:00 UTC, Mon 9 Mar 12:00 UTC.
        """
        tz = ZoneInfo(zone)
        local = after.astimezone(tz)
        day = local.date() + timedelta(days=(self.weekday - local.weekday()) % 7)
        while True:
            send = wall(day, self.at, tz)
            if send >= after:
                return send
            day += timedelta(days=7)


def covers(send: datetime, zone: str) -> tuple[date, date]:
    """The local days (first, last, inclusive) a digest sent at `send` covers: the seven days
    before the day it is sent."""
    day = send.astimezone(ZoneInfo(zone)).date()
    return day - timedelta(days=7), day - timedelta(days=1)


def wall(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time (`fold=0`: read with the offset before a change,
    so a time in a spring gap lands as far past the gap's start, and a repeated one is the
    first)."""
    return datetime.combine(day, at, tz).astimezone(UTC)
