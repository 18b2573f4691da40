"""Working time: when a rep's calendar is open, and business time between two instants.

Invariants this module keeps:

- Time is epoch seconds (UTC) as ``float``; open time is a union of half-open ``[start, end)``.
- Hours are local wall-clock times. Each local day's intervals are built from local datetimes, so
  on a DST change day 09:00-17:00 is still 09:00-17:00 on the wall. A local time that does not
  exist (spring forward) resolves to the first instant after the gap (02:30 -> 03:00 on
  2026-03-08 in America/New_York), which keeps every interval in order; an ambiguous local
  time (fall back) means its first occurrence (``fold=0``).
- A date's exception replaces its weekly hours and its holidays; a holiday closes the whole day.
- Nothing here reads a clock or the network; ``holidays`` and ``zoneinfo`` data are read lazily
  and cached, so a calendar answers ``is_open`` with a bisect over arrays built once per block.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HORIZON = 400 * 86400.0  # how far next_open, next_close and add_business_seconds look ahead
_BLOCK = 7 * 86400.0  # cache granularity: UTC-aligned weeks, found from t by one division
_INTERVAL = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")

Intervals = tuple[tuple[int, int], ...]
_Window = tuple[float, float, bool]  # [lo, hi) is all open or all closed


class CalendarError(ValueError):
    """A calendar spec that cannot work; the message says what is expected."""


def parse_days(spec: str) -> tuple[int, ...]:
    """Weekdays (0 = Monday) named by 'mon-fri', 'sat', 'mon,wed,fri', 'fri-mon' or 'daily'.

    A range walks forward and wraps past Sunday, so 'fri-mon' is a long weekend shift.
    """
    text = spec.strip().lower()
    if text == "daily":
        return tuple(range(7))
    days: list[int] = []
    for part in text.split(","):
        names = [name.strip() for name in part.split("-")]
        unknown = [name for name in names if name not in DAY_NAMES]
        if unknown or len(names) > 2:
            what = f"unknown day {unknown[0]!r}" if unknown else f"{part.strip()!r} is not a range"
            raise CalendarError(
                f"days {spec!r}: {what}; expected mon..sun, a list such as mon,wed, "
                "a range such as mon-fri, or daily"
            )
        first, last = DAY_NAMES.index(names[0]), DAY_NAMES.index(names[-1])
        walk = [(first + i) % 7 for i in range((last - first) % 7 + 1)]
        days.extend(d for d in walk if d not in days)
    return tuple(days)


def parse_interval(spec: str) -> tuple[int, int]:
    """Minutes after local midnight of 'HH:MM-HH:MM'; 24:00 may end an interval.

    An interval never crosses midnight: a night shift is 22:00-24:00 one day and 00:00-06:00
    the next, which the calendar merges into one open stretch.
    """
    match = _INTERVAL.fullmatch(spec)
    if match is None:
        raise CalendarError(f"interval {spec!r} is not HH:MM-HH:MM, e.g. 09:00-17:30")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    text = f"{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}"
    if m1 > 59 or m2 > 59 or start > 1439 or end > 1440:
        raise CalendarError(f"interval {text} is out of range: expected 00:00 to 24:00")
    if end < start:
        raise CalendarError(
            f"interval {text} ends before it starts; a night shift is two intervals, "
            "22:00-24:00 and 00:00-06:00 on the next day"
        )
    if end == start:
        raise CalendarError(f"interval {text} is empty: it ends when it starts")
    return start, end


def validate_holiday_code(code: str) -> None:
    """Raise CalendarError unless ``holidays`` knows this country or country-subdivision."""
    _holiday_source(code)


_SOURCES: dict[str, tuple[str, str | None]] = {}
_HOLIDAYS: dict[tuple[str, int], frozenset[int]] = {}


def _holiday_source(code: str) -> tuple[str, str | None]:
    """(country, subdivision) as ``holidays`` spells them, for 'US', 'us-ny', 'GB-SCT'."""
    if code not in _SOURCES:
        supported: dict[str, list[str]] = holidays_lib.list_supported_countries()
        country, _, sub = code.strip().partition("-")
        country = country.upper()
        if country not in supported:
            raise CalendarError(
                f"unknown holiday calendar {code!r}: expected an ISO country code such as US "
                "or a subdivision such as US-NY"
            )
        subdiv = next((s for s in supported[country] if s.upper() == sub.upper()), None)
        if sub and subdiv is None:
            raise CalendarError(
                f"unknown holiday calendar {code!r}: {country} has no subdivision {sub!r}"
            )
        _SOURCES[code] = (country, subdiv)
    return _SOURCES[code]


def _holiday_ordinals(code: str, year: int) -> frozenset[int]:
    key = (code, year)
    if key not in _HOLIDAYS:
        country, subdiv = _holiday_source(code)
        days = holidays_lib.country_holidays(country, subdiv=subdiv, years=year)
        _HOLIDAYS[key] = frozenset(d.toordinal() for d in days if d.year == year)
    return _HOLIDAYS[key]


_ZONES: dict[str, ZoneInfo] = {}


def _zone(tz: str) -> ZoneInfo:
    if tz not in _ZONES:
        try:
            _ZONES[tz] = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            msg = f"unknown time zone {tz!r}: expected an IANA name such as America/New_York"
            raise CalendarError(msg) from exc
    return _ZONES[tz]


def _local_epoch(zone: ZoneInfo, wall: datetime) -> float:
    """Epoch of a naive local wall time; a time in a DST gap gives the end of the gap."""
    t = wall.replace(tzinfo=zone).timestamp()
    if datetime.fromtimestamp(t, zone).replace(tzinfo=None) == wall:
        return t
    # In the gap fold=0 and fold=1 land on either side of the transition: find it to the second.
    lo = wall.replace(tzinfo=zone, fold=1).timestamp()
    lo, hi = min(lo, t), max(lo, t)
    before = datetime.fromtimestamp(lo, zone).utcoffset()
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == before:
            lo = mid
        else:
            hi = mid
    return hi


def _midnight(zone: ZoneInfo, ordinal: int) -> float:
    return _local_epoch(zone, datetime.combine(date.fromordinal(ordinal), time()))


@dataclass(frozen=True, slots=True)
class Calendar:
    """A named working time: weekly local hours, public holidays and per-date exceptions.

    Open intervals are built lazily per UTC-aligned week and kept as sorted arrays of epochs,
    so ``is_open`` is a bisect; the window (open or closed) it last saw answers repeats at once.
    """

    name: str
    timezone: str
    hours: Mapping[int, Intervals]
    holidays: tuple[str, ...] = ()
    exceptions: Mapping[date, Intervals] = field(default_factory=dict)
    _blocks: dict[int, tuple[list[float], list[float]]] = field(
        init=False, compare=False, repr=False, default_factory=dict
    )
    _last: list[_Window] = field(
        init=False, compare=False, repr=False, default_factory=lambda: [(0.0, 0.0, False)]
    )

    def __post_init__(self) -> None:
        _zone(self.timezone)
        for code in self.holidays:
            validate_holiday_code(code)
        if any(day not in range(7) for day in self.hours):
            raise CalendarError(f"calendar {self.name!r}: weekdays are 0 (mon) to 6 (sun)")
        named = {DAY_NAMES[day]: intervals for day, intervals in self.hours.items()}
        named.update((day.isoformat(), iv) for day, iv in self.exceptions.items())
        for where, intervals in named.items():
            ends = [0] + [minute for interval in intervals for minute in interval] + [1440]
            if ends != sorted(ends) or any(a >= b for a, b in intervals):
                raise CalendarError(
                    f"calendar {self.name!r}, {where}: intervals must lie within 00:00-24:00, "
                    "in order and without overlap"
                )

    def is_open(self, t: float) -> bool:
        """Whether t falls in open time."""
        lo, hi, is_open = self._last[0]
        if lo <= t < hi:
            return is_open
        window = self._window(t)
        self._last[0] = window  # one atomic store, so threads never see a torn window
        return window[2]

    def next_open(self, t: float) -> float | None:
        """t if open, else the start of the next open interval; None if none within 400 days."""
        limit = t + HORIZON
        while t <= limit:
            _, hi, is_open = self._window(t)
            if is_open:
                return t
            t = hi
        return None

    def next_close(self, t: float) -> float | None:
        """t if closed, else the end of the open stretch (across midnight); None past 400 days."""
        limit = t + HORIZON
        while t <= limit:
            _, hi, is_open = self._window(t)
            if not is_open:
                return t
            t = hi
        return None

    def open_intervals(self, start: float, end: float) -> Iterator[tuple[float, float]]:
        """Open intervals clipped to [start, end), in order, adjacent ones merged."""
        pending: tuple[float, float] | None = None
        t = start
        while t < end:
            _, hi, is_open = self._window(t)
            if is_open:
                if pending is not None and pending[1] == t:
                    pending = (pending[0], min(hi, end))
                else:
                    if pending is not None:
                        yield pending
                    pending = (t, min(hi, end))
            t = hi
        if pending is not None:
            yield pending

    def business_seconds(self, start: float, end: float) -> float:
        """Open time between start and end; 0 if end <= start."""
        return sum(e - s for s, e in self.open_intervals(start, end))

    def add_business_seconds(self, start: float, seconds: float) -> float | None:
        """The instant by which ``seconds`` of open time have passed since start.

        The inverse of business_seconds: an SLA of 2 business hours from Friday 16:30 on
        09:00-17:00 weekdays is due Monday 10:30. None if not reached within 400 days.
        """
        if seconds <= 0:
            return start
        remaining = seconds
        for s, e in self.open_intervals(start, start + HORIZON):
            if e - s >= remaining:
                return s + remaining
            remaining -= e - s
        return None

    def _window(self, t: float) -> _Window:
        """The largest stretch around t, within t's block, that is all open or all closed."""
        k = int(t // _BLOCK)
        starts, ends = self._blocks.get(k) or self._build(k)
        i = bisect_right(starts, t) - 1
        if i >= 0 and t < ends[i]:
            return starts[i], ends[i], True
        lo = ends[i] if i >= 0 else k * _BLOCK
        hi = starts[i + 1] if i + 1 < len(starts) else (k + 1) * _BLOCK
        return lo, hi, False

    def _build(self, k: int) -> tuple[list[float], list[float]]:
        """Open intervals overlapping block k, merged across midnights, as (starts, ends)."""
        zone = _zone(self.timezone)
        b0, b1 = k * _BLOCK, (k + 1) * _BLOCK
        first = datetime.fromtimestamp(b0, zone).toordinal() - 1  # a day each side, to merge
        last = datetime.fromtimestamp(b1, zone).toordinal() + 1
        starts: list[float] = []
        ends: list[float] = []
        for ordinal in range(first, last + 1):
            day = date.fromordinal(ordinal)
            midnight = datetime.combine(day, time())
            for a, b in self._day_hours(day):
                s = _local_epoch(zone, midnight + timedelta(minutes=a))
                e = _local_epoch(zone, midnight + timedelta(minutes=b))
                if ends and s <= ends[-1]:
                    ends[-1] = max(ends[-1], e)
                elif s < e:
                    starts.append(s)
                    ends.append(e)
        keep = [i for i in range(len(starts)) if ends[i] > b0 and starts[i] < b1]
        block = ([starts[i] for i in keep], [ends[i] for i in keep])
        self._blocks[k] = block
        return block

    def _day_hours(self, day: date) -> Intervals:
        if day in self.exceptions:
            return self.exceptions[day]
        ordinal = day.toordinal()
        if any(ordinal in _holiday_ordinals(code, day.year) for code in self.holidays):
            return ()
        return self.hours.get(day.weekday(), ())


_DAYS: dict[str, tuple[float, float, int, int]] = {}  # tz -> the last local day looked up


def local_day(tz: str, t: float) -> tuple[int, int]:
    """(date ordinal, ordinal of that week's Monday) of instant t in time zone tz.

    Per-day and per-week caps count in the rep's own time zone; the last day seen per zone is
    kept as an epoch window, so calls within one day cost a lookup and two comparisons.
    """
    cached = _DAYS.get(tz)
    if cached is not None and cached[0] <= t < cached[1]:
        return cached[2], cached[3]
    zone = _zone(tz)
    ordinal = datetime.fromtimestamp(t, zone).toordinal()
    monday = ordinal - date.fromordinal(ordinal).weekday()
    start, end = _midnight(zone, ordinal), _midnight(zone, ordinal + 1)
    if start <= t < end:  # false only in zones whose clocks fall back across midnight
        _DAYS[tz] = (start, end, ordinal, monday)
    return ordinal, monday


def next_day_start(tz: str, t: float) -> float:
    """Epoch of the next local midnight after t: when per-day caps reset."""
    return _midnight(_zone(tz), local_day(tz, t)[0] + 1)


def next_week_start(tz: str, t: float) -> float:
    """Epoch of the next local Monday 00:00 after t: when per-week caps reset."""
    return _midnight(_zone(tz), local_day(tz, t)[1] + 7)


def to_epoch(dt: datetime) -> float:
    """Epoch seconds of an aware datetime; a naive one is refused, since its instant is unknown."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt.isoformat()}: expected one with a time zone")
    return dt.timestamp()


def from_epoch(t: float, tz: str = "UTC") -> datetime:
    """The aware datetime of instant t in time zone tz."""
    return datetime.fromtimestamp(t, _zone(tz))


def parse_local(text: str, tz: str) -> datetime:
    """An ISO 8601 date-time or date; without an offset it is local time in tz.

    A date alone means local midnight, so time off 'from 2026-12-21' starts when that day does.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not an ISO 8601 date or date-time") from None
    if parsed.tzinfo is not None:
        return parsed
    return from_epoch(_local_epoch(_zone(tz), parsed), tz)
