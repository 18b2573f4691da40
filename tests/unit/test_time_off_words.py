"""Times a person reads on the console: time off in days (the end day included), and when next."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from leadflow.console.words import day_and_time, time_off

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
def test_time_off(start: datetime, end: datetime, words: str) -> None:
    assert time_off(start, end, this_year=2026) == words


@pytest.mark.parametrize(
    ("at_", "words"),
    [
        (at(7, 9), "today 09:00"),
        (at(8, 9), "tomorrow 09:00"),
        (at(9, 9), "Wed 09:00"),
        (at(13, 9), "Sun 09:00"),
        (at(14, 9), "Dec 14, 09:00"),
        (at(1, 9, month=1, year=2027), "Jan 1, 09:00"),
    ],
)
def test_when_a_rep_next_starts_is_said_from_today(at_: datetime, words: str) -> None:
    monday_night = at(7, 1)  # Mon Dec 7, 01:00
    assert day_and_time(at_, monday_night) == words
