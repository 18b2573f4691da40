"""The inbox says a rep's time off in days as they would say it: the end day is included."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from leadflow.console.pages.inbox import time_off_in_words

NY = ZoneInfo("America/New_York")


def at(day: int, hour: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=NY)


@pytest.mark.parametrize(
    ("start", "end", "words"),
    [
        (at(24), at(26), "Thu Dec 24 – Fri Dec 25"),
        (at(24), at(25), "Thu Dec 24"),
        (at(24), at(26, 12), "Thu Dec 24 – Sat Dec 26, 12:00"),
        (at(24, 9), at(24, 13), "Thu Dec 24, 09:00 – 13:00"),
        (at(24, 13), at(26), "Thu Dec 24, 13:00 – Fri Dec 25"),
        (at(5, month=1, year=2027), at(9, month=1, year=2027), "Tue Jan 5, 2027 – Fri Jan 8, 2027"),
    ],
)
def test_time_off_in_words(start: datetime, end: datetime, words: str) -> None:
    assert time_off_in_words(start, end, this_year=2026) == words
