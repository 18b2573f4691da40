"""A report's period in a named time zone: its buckets, the period before it, hours of the week.

`Period(start, end, zone)` runs from local midnight of `start` to local midnight after `end`
(both dates inclusive, as a person says "from the 1st to the 7th"). Its buckets (day, week from
Monday, month) and the hour × weekday cells are intervals of UTC instants, found by walking
local wall time, so a day of 23 or 25 hours (a DST change) is one day, and a lead at 23:59 on a
Sunday is in that Sunday's day and week. The database is then asked which interval a lead's
UTC instant falls in: no time-zone arithmetic is needed in SQL, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BUCKETS = ("day", "week", "month")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
QUARTER = timedelta(minutes=15)
MAX_DAYS = 3 * 366  # a longer period is refused: its hour cells alone would be 26,000+


class PeriodError(ValueError):
    """A period that cannot be: `field` names what is wrong (from, to, tz, bucket)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Interval:
    label: str  # 2026-12-07 (day), 2026-W50 (week), 2026-12 (month), Mon 09 (hour cell)
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    zone: str

    @classmethod
    def of(cls, start: date, end: date, zone: str) -> Period:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PeriodError("tz", f"no time zone {zone!r}") from None
        if start > end:
            raise PeriodError("from", f"{start} is after to={end}")
        if (end - start).days >= MAX_DAYS:
            raise PeriodError("to", f"a period may be at most {MAX_DAYS} days long")
        return cls(start, end, zone)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def utc_start(self) -> datetime:
        return self._midnight(self.start)

    @property
    def utc_end(self) -> datetime:
        return self._midnight(self.end + timedelta(days=1))

    def previous(self) -> Period:
        """The period of the same length that ends the day before this one starts."""
        length = timedelta(days=self.days)
        return Period(self.start - length, self.start - timedelta(days=1), self.zone)

    def buckets(self, size: str) -> list[Interval]:
        """The period cut into days, weeks (Monday first) or months, clipped to the period."""
        if size not in BUCKETS:
            raise PeriodError("bucket", f"expected one of {', '.join(BUCKETS)}, got {size!r}")
        out = []
        day = self.start
        while day <= self.end:
            if size == "day":
                nxt, label = day + timedelta(days=1), day.isoformat()
            elif size == "week":
                nxt = day + timedelta(days=7 - day.weekday())
                year, week, _ = day.isocalendar()
                label = f"{year}-W{week:02d}"
            else:
                nxt = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
                label = f"{day:%Y-%m}"
            nxt = min(nxt, self.end + timedelta(days=1))
            out.append(Interval(label, self._midnight(day), self._midnight(nxt)))
            day = nxt
        return out

    def hour_cells(self) -> list[Interval]:
        """Every local hour of the period as an interval, labelled by weekday and hour.

        Found by walking UTC in quarter hours (every zone's offset is a multiple of one) and
        joining the runs of one local hour: the wall hour that happens twice at the autumn DST
        change is one cell of two hours; the one skipped in spring has none.
        """
        tz = self.tz
        out: list[Interval] = []
        at, end = self.utc_start, self.utc_end
        while at < end:
            local = at.astimezone(tz)
            label = f"{WEEKDAYS[local.weekday()]} {local.hour:02d}"
            nxt = at + QUARTER
            if out and out[-1].label == label and out[-1].end == at:
                out[-1] = Interval(label, out[-1].start, nxt)
            else:
                out.append(Interval(label, at, nxt))
            at = nxt
        return out

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.tz).astimezone(UTC)
