"""Epoch seconds of the times in leads and events files, with wall time read in one zone.

Every time in both files goes through `_WallClock`, so it is on the hot path of a simulation
and caches the offset of each local hour; it still agrees exactly with
``core.calendar.parse_local``, which it falls back on in an hour that holds a DST change.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from leadflow.core.calendar import parse_local, to_epoch

_NAIVE_EPOCH = datetime(1970, 1, 1)


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
