"""Calendars and time off in a policy: working hours, exceptions, holidays and reps' absences.

Both turn dates and wall-clock times, read in a zone (the calendar's or rep's, else the
policy's), into what the core works with: a `Calendar`, and `Period`s in epoch seconds. Time
off also comes from outside a policy (a ``rep.updated`` event in a simulation), so it has an
entry of its own, `compile_time_off`, that raises rather than reports.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from leadflow.core.calendar import (
    DAY_NAMES,
    Calendar,
    CalendarError,
    parse_days,
    parse_interval,
    parse_local,
    to_epoch,
    validate_holiday_code,
)
from leadflow.core.policy import Period
from leadflow.policy.schema import CalendarDoc
from leadflow.policy.yamlpos import Path

if TYPE_CHECKING:
    from leadflow.policy.problems import Report

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
Intervals = tuple[tuple[int, int], ...]
ZoneCheck = Callable[[Path, str], bool]  # reports an unknown zone, says if it is known


class TimeOffError(ValueError):
    """Time off that cannot be read; `field` is `from` or `to`."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def time_off(start: str, end: str, timezone: str, note: str | None = None) -> Period:
    """Time off in a rep's zone: a date is a whole day (`to` included), a date-time exact.

    `2026-12-21` to `2026-12-31` is [21 Dec 00:00, 1 Jan 00:00); `2026-11-03T13:00` to
    `2026-11-03T17:30` is those four and a half hours. An offset in the text wins over the zone.
    """
    begins = _instant("from", start, timezone, day_end=False)
    ends = _instant("to", end, timezone, day_end=True)
    if ends <= begins:
        how = "ends before it starts" if ends < begins else "is empty: it ends when it starts"
        raise TimeOffError(f"time off {start} to {end} {how}", "to")
    return Period(begins, ends, f"{start}..{end}" + (f" ({note})" if note else ""))


def compile_time_off(periods: Any, timezone: str) -> tuple[Period, ...]:
    """Time off written as in a policy, `[{from, to, note?}]`, from outside one (an event)."""
    if not isinstance(periods, list):
        raise ValueError("time_off: expected a list of {from, to}")
    compiled = []
    for i, item in enumerate(periods):
        start, end = (item.get("from"), item.get("to")) if isinstance(item, dict) else (0, 0)
        if not isinstance(start, str) or not isinstance(end, str):
            raise ValueError(f"time_off[{i}]: expected {{from, to}} with dates or date-times")
        try:
            compiled.append(time_off(start, end, timezone, item.get("note")))
        except TimeOffError as exc:
            raise ValueError(f"time_off[{i}].{exc.field}: {exc}") from None
    return tuple(compiled)


def _instant(field: str, text: str, timezone: str, *, day_end: bool) -> float:
    try:
        if day_end and _DATE.fullmatch(text.strip()):
            following = date.fromisoformat(text.strip()) + timedelta(days=1)
            return to_epoch(parse_local(following.isoformat(), timezone))
        return to_epoch(parse_local(text, timezone))
    except ValueError:
        expected = "expected a date such as 2026-12-21 or a date-time such as 2026-12-21T13:00"
        raise TimeOffError(f"{expected}, got {text!r}", field) from None


def compile_calendar(
    name: str, doc: CalendarDoc, report: Report, zone: ZoneCheck, timezone: str
) -> Calendar | None:
    """A calendar of the policy, or None when it has an error (each one is in `report`).

    `zone` checks a time zone and reports it when unknown; `timezone` is the policy's, the
    zone of a calendar that names none.
    """
    at: Path = ("calendars", name)
    problems = len(report.problems)
    if doc.timezone is not None:
        zone((*at, "timezone"), doc.timezone)
    hours: dict[int, Intervals] = {}
    given_by: dict[int, str] = {}
    for spec, texts in doc.hours.items():
        try:
            days = parse_days(spec)
        except CalendarError as exc:
            report.error((*at, "hours", spec), str(exc), key=True)
            continue
        again = next((d for d in days if d in given_by), None)
        if again is not None:
            message = f"{DAY_NAMES[again]} is given twice, by {given_by[again]!r} and {spec!r}"
            report.error((*at, "hours", spec), message, key=True)
            continue
        intervals = _intervals(report, (*at, "hours", spec), texts)
        hours.update((d, intervals) for d in days)
        given_by.update((d, spec) for d in days)
    exceptions: dict[date, Intervals] = {}
    for text, texts in doc.exceptions.items():
        if not _DATE.fullmatch(text) or (day := _date(text)) is None:
            message = f"expected a date such as 2026-12-24 as an exception, got {text!r}"
            report.error((*at, "exceptions", text), message, key=True)
            continue
        exceptions[day] = _intervals(report, (*at, "exceptions", text), texts)
    for i, code in enumerate(doc.holidays):
        try:
            validate_holiday_code(code)
        except CalendarError as exc:
            report.error((*at, "holidays", i), str(exc))
    if len(report.problems) > problems:
        return None
    timezone = doc.timezone or timezone
    return Calendar(name, timezone, hours, tuple(doc.holidays), exceptions)


def _intervals(report: Report, path: Path, texts: list[str]) -> Intervals:
    """Sorted intervals of one day; overlapping ones are an error, as their meaning is lost."""
    parsed: list[tuple[tuple[int, int], int]] = []
    for i, text in enumerate(texts):
        try:
            parsed.append((parse_interval(text), i))
        except CalendarError as exc:
            report.error((*path, i), str(exc))
    parsed.sort()
    for (earlier, i), (later, j) in itertools.pairwise(parsed):
        if later[0] < earlier[1]:
            message = f"interval {texts[j]!r} overlaps {texts[i]!r} on {path[-1]}"
            report.error((*path, j), message)
    return tuple(interval for interval, _ in parsed)


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
