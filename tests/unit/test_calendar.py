from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.core.calendar import (
    Calendar,
    CalendarError,
    from_epoch,
    local_day,
    next_day_start,
    next_week_start,
    parse_days,
    parse_interval,
    parse_local,
    to_epoch,
    validate_holiday_code,
)

NY = "America/New_York"
HOUR = 3600.0
WEEKDAYS_WITH_LUNCH = ((540, 750), (810, 1050))  # 09:00-12:30, 13:30-17:30


def at(text: str, tz: str = NY) -> float:
    return to_epoch(parse_local(text, tz))


def us_east(**overrides: object) -> Calendar:
    spec: dict[str, object] = {
        "name": "us-east",
        "timezone": NY,
        "hours": {day: WEEKDAYS_WITH_LUNCH for day in range(5)},
        "holidays": ("US",),
        "exceptions": {date(2026, 12, 24): ((540, 720),), date(2026, 12, 31): ()},
    }
    spec.update(overrides)
    return Calendar(**spec)  # type: ignore[arg-type]


def nine_to_five(**overrides: object) -> Calendar:
    spec: dict[str, object] = {
        "name": "nine-to-five",
        "timezone": NY,
        "hours": {day: ((540, 1020),) for day in range(7)},
    }
    spec.update(overrides)
    return Calendar(**spec)  # type: ignore[arg-type]


CAL = us_east()


# parse_interval


def test_interval_is_minutes_after_local_midnight() -> None:
    assert parse_interval("09:00-12:30") == (540, 750)


def test_interval_may_end_at_24_00() -> None:
    assert parse_interval("22:00-24:00") == (1320, 1440)


def test_interval_accepts_one_digit_hours_and_spaces() -> None:
    assert parse_interval(" 9:00 - 17:30 ") == (540, 1050)


def test_interval_that_is_not_hh_mm_says_the_expected_form() -> None:
    with pytest.raises(CalendarError, match=r"interval '9-5' is not HH:MM-HH:MM, e.g. 09:00-17:30"):
        parse_interval("9-5")


def test_interval_with_hour_25_is_out_of_range() -> None:
    with pytest.raises(CalendarError, match=r"interval 25:00-26:00 is out of range"):
        parse_interval("25:00-26:00")


def test_interval_with_minute_60_is_out_of_range() -> None:
    with pytest.raises(CalendarError, match=r"expected 00:00 to 24:00"):
        parse_interval("09:60-10:00")


def test_interval_cannot_start_at_24_00() -> None:
    with pytest.raises(CalendarError, match=r"interval 24:00-24:00 is out of range"):
        parse_interval("24:00-24:00")


def test_interval_that_ends_before_it_starts_says_so_and_shows_a_night_shift() -> None:
    with pytest.raises(CalendarError, match=r"interval 17:00-09:00 ends before it starts.*24:00"):
        parse_interval("17:00-09:00")


def test_interval_that_ends_when_it_starts_is_empty() -> None:
    with pytest.raises(CalendarError, match=r"interval 09:00-09:00 is empty"):
        parse_interval("09:00-09:00")


# parse_days


def test_day_range_covers_both_ends() -> None:
    assert parse_days("mon-fri") == (0, 1, 2, 3, 4)


def test_single_day_is_one_weekday() -> None:
    assert parse_days("sat") == (5,)


def test_day_list_keeps_its_days() -> None:
    assert parse_days("mon,wed,fri") == (0, 2, 4)


def test_day_range_wraps_past_sunday() -> None:
    assert parse_days("fri-mon") == (4, 5, 6, 0)


def test_daily_is_every_day() -> None:
    assert parse_days("daily") == (0, 1, 2, 3, 4, 5, 6)


def test_days_are_case_insensitive() -> None:
    assert parse_days("Mon-FRI") == (0, 1, 2, 3, 4)


def test_days_listed_twice_count_once() -> None:
    assert parse_days("mon-wed, tue") == (0, 1, 2)


def test_unknown_day_is_named_in_the_error() -> None:
    with pytest.raises(CalendarError, match=r"unknown day 'monday'"):
        parse_days("monday-fri")


def test_range_of_three_days_is_refused() -> None:
    with pytest.raises(CalendarError, match=r"'mon-wed-fri' is not a range"):
        parse_days("mon-wed-fri")


# holiday codes and calendar validation


def test_known_country_and_subdivision_codes_are_accepted() -> None:
    for code in ("US", "US-NY", "DE-BY", "GB-SCT", "us-ny"):
        validate_holiday_code(code)


def test_unknown_country_code_says_what_is_expected() -> None:
    with pytest.raises(
        CalendarError,
        match=r"unknown holiday calendar 'XX': expected an ISO country code such as US "
        r"or a subdivision such as US-NY",
    ):
        validate_holiday_code("XX")


def test_unknown_subdivision_is_named_with_its_country() -> None:
    with pytest.raises(CalendarError, match=r"'US-ZZ': US has no subdivision 'ZZ'"):
        validate_holiday_code("US-ZZ")


def test_calendar_with_unknown_time_zone_is_refused() -> None:
    with pytest.raises(CalendarError, match=r"unknown time zone 'Mars/Olympus'"):
        nine_to_five(timezone="Mars/Olympus")


def test_calendar_with_overlapping_intervals_is_refused() -> None:
    with pytest.raises(CalendarError, match=r"'bad', mon: .*without overlap"):
        Calendar("bad", NY, {0: ((540, 780), (720, 1020))})


def test_calendar_with_unknown_holiday_code_is_refused() -> None:
    with pytest.raises(CalendarError, match=r"unknown holiday calendar 'XX'"):
        nine_to_five(holidays=("XX",))


# is_open


def test_open_in_the_morning_of_a_weekday() -> None:
    assert CAL.is_open(at("2026-11-24T10:00"))


def test_closed_over_lunch() -> None:
    assert not CAL.is_open(at("2026-11-24T13:00"))


def test_open_at_the_first_instant_of_an_interval() -> None:
    assert CAL.is_open(at("2026-11-24T13:30"))


def test_closed_at_the_end_of_an_interval() -> None:
    assert not CAL.is_open(at("2026-11-24T17:30"))


def test_closed_at_night() -> None:
    assert not CAL.is_open(at("2026-11-24T23:00"))


def test_closed_on_a_saturday() -> None:
    assert not CAL.is_open(at("2026-11-21T10:00"))


def test_closed_on_thanksgiving() -> None:
    assert not CAL.is_open(at("2026-11-26T10:00"))


def test_subdivision_holiday_closes_only_that_subdivision() -> None:
    lincolns_birthday = at("2026-02-12T10:00")
    assert not us_east(holidays=("US-NY",)).is_open(lincolns_birthday)
    assert us_east(holidays=("US",)).is_open(lincolns_birthday)


def test_exception_with_shorter_hours_closes_early() -> None:
    assert CAL.is_open(at("2026-12-24T11:00"))
    assert not CAL.is_open(at("2026-12-24T12:15"))


def test_exception_with_no_hours_closes_the_day() -> None:
    assert not CAL.is_open(at("2026-12-31T10:00"))


def test_exception_overrides_a_holiday() -> None:
    cal = us_east(exceptions={date(2026, 11, 26): ((540, 720),)})
    assert cal.is_open(at("2026-11-26T10:00"))


def test_repeated_answer_from_the_last_window_matches_a_fresh_calendar() -> None:
    cal = us_east()
    times = [at("2026-11-24T10:00") + i * 600.0 for i in range(100)]
    answers = [cal.is_open(t) for t in times]
    assert answers == [us_east().is_open(t) for t in times]


# daylight saving time


def test_hours_stay_local_on_spring_forward_day() -> None:
    cal = nine_to_five()
    assert not cal.is_open(at("2026-03-08T12:30:00Z"))  # 08:30 EDT
    assert cal.is_open(at("2026-03-08T13:00:00Z"))  # 09:00 EDT


def test_hours_stay_local_on_fall_back_day() -> None:
    cal = nine_to_five()
    assert not cal.is_open(at("2026-11-01T13:30:00Z"))  # 08:30 EST
    assert cal.is_open(at("2026-11-01T14:00:00Z"))  # 09:00 EST


def test_start_inside_the_spring_forward_gap_opens_when_the_gap_ends() -> None:
    cal = nine_to_five(hours={6: ((150, 240),)})  # sundays 02:30-04:00
    assert cal.next_open(at("2026-03-08T00:00")) == at("2026-03-08T07:00:00Z")  # 03:00 EDT


def test_night_on_fall_back_day_lasts_one_hour_longer() -> None:
    cal = nine_to_five(hours={6: ((0, 360),)})
    assert cal.business_seconds(at("2026-11-01T00:00"), at("2026-11-02T00:00")) == 7 * HOUR


# next_open and next_close


def test_next_open_is_now_when_open() -> None:
    t = at("2026-11-24T10:00")
    assert CAL.next_open(t) == t


def test_next_open_from_friday_evening_is_monday_nine_local() -> None:
    assert CAL.next_open(at("2026-11-20T18:00")) == at("2026-11-23T09:00")


def test_next_open_skips_a_holiday() -> None:
    assert CAL.next_open(at("2026-11-25T18:00")) == at("2026-11-27T09:00")


def test_next_open_is_none_when_never_open() -> None:
    assert nine_to_five(hours={}).next_open(at("2026-11-24T10:00")) is None


def test_next_close_is_the_end_of_the_current_interval() -> None:
    assert CAL.next_close(at("2026-11-24T10:00")) == at("2026-11-24T12:30")


def test_next_close_is_now_when_closed() -> None:
    t = at("2026-11-24T13:00")
    assert CAL.next_close(t) == t


def test_next_close_runs_through_a_night_shift_across_midnight() -> None:
    cal = nine_to_five(hours={0: ((1320, 1440),), 1: ((0, 360),)})
    assert cal.next_close(at("2026-11-23T23:00")) == at("2026-11-24T06:00")


def test_next_close_is_none_when_always_open() -> None:
    cal = nine_to_five(hours={day: ((0, 1440),) for day in range(7)})
    assert cal.next_close(at("2026-11-24T10:00")) is None


# open_intervals and business time


def test_open_intervals_are_clipped_to_the_range() -> None:
    got = list(CAL.open_intervals(at("2026-11-24T10:00"), at("2026-11-24T15:00")))
    assert got == [
        (at("2026-11-24T10:00"), at("2026-11-24T12:30")),
        (at("2026-11-24T13:30"), at("2026-11-24T15:00")),
    ]


def test_open_intervals_merge_a_night_shift_into_one() -> None:
    cal = nine_to_five(hours={0: ((1320, 1440),), 1: ((0, 360),)})
    got = list(cal.open_intervals(at("2026-11-23T00:00"), at("2026-11-25T00:00")))
    assert got == [(at("2026-11-23T22:00"), at("2026-11-24T06:00"))]


def test_business_seconds_across_a_night() -> None:
    assert CAL.business_seconds(at("2026-11-23T17:00"), at("2026-11-24T10:00")) == 1.5 * HOUR


def test_business_seconds_across_a_weekend() -> None:
    assert CAL.business_seconds(at("2026-11-20T17:00"), at("2026-11-23T10:00")) == 1.5 * HOUR


def test_business_seconds_across_a_holiday() -> None:
    assert CAL.business_seconds(at("2026-11-25T17:00"), at("2026-11-27T10:00")) == 1.5 * HOUR


def test_business_seconds_is_zero_when_end_is_not_after_start() -> None:
    t = at("2026-11-24T10:00")
    assert CAL.business_seconds(t, t - HOUR) == 0


def test_add_business_seconds_from_friday_afternoon_lands_on_monday() -> None:
    due = CAL.add_business_seconds(at("2026-11-20T17:00"), 2 * HOUR)
    assert due == at("2026-11-23T10:30")


def test_add_business_seconds_is_none_when_never_open() -> None:
    assert nine_to_five(hours={}).add_business_seconds(at("2026-11-24T10:00"), 60) is None


@settings(max_examples=200, deadline=None)
@given(
    start=st.floats(min_value=at("2026-01-01T00:00"), max_value=at("2027-12-31T00:00")),
    seconds=st.floats(min_value=0, max_value=60 * 8 * HOUR),
)
def test_add_business_seconds_is_the_inverse_of_business_seconds(
    start: float, seconds: float
) -> None:
    due = CAL.add_business_seconds(start, seconds)
    assert due is not None
    assert CAL.business_seconds(start, due) == pytest.approx(seconds, abs=1e-6)


# local days and weeks


def test_one_instant_is_a_different_date_in_tokyo_and_los_angeles() -> None:
    t = at("2026-11-20T20:00:00Z")
    assert local_day("Asia/Tokyo", t)[0] == date(2026, 11, 21).toordinal()
    assert local_day("America/Los_Angeles", t)[0] == date(2026, 11, 20).toordinal()


def test_local_day_gives_the_monday_of_its_week() -> None:
    assert local_day(NY, at("2026-11-21T10:00"))[1] == date(2026, 11, 16).toordinal()


def test_local_day_moves_on_at_local_midnight() -> None:
    assert local_day(NY, at("2026-11-24T23:59:59"))[0] == date(2026, 11, 24).toordinal()
    assert local_day(NY, at("2026-11-25T00:00"))[0] == date(2026, 11, 25).toordinal()


def test_next_day_start_is_the_next_local_midnight() -> None:
    assert next_day_start(NY, at("2026-11-20T15:00")) == at("2026-11-21T05:00:00Z")


def test_day_of_spring_forward_is_23_hours_long() -> None:
    midnight = at("2026-03-08T00:00")
    assert next_day_start(NY, midnight) - midnight == 23 * HOUR


def test_next_week_start_is_the_next_local_monday_midnight() -> None:
    assert next_week_start(NY, at("2026-11-25T12:00")) == at("2026-11-30T00:00")


def test_next_week_start_from_monday_midnight_is_a_week_later() -> None:
    assert next_week_start(NY, at("2026-11-23T00:00")) == at("2026-11-30T00:00")


# conversions


def test_to_epoch_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match=r"naive datetime 2026-11-24T10:00:00"):
        to_epoch(datetime(2026, 11, 24, 10))


def test_from_epoch_gives_local_time_in_the_zone() -> None:
    got = from_epoch(at("2026-11-24T15:00:00Z"), NY)
    assert (got.hour, got.utcoffset()) == (10, timedelta(hours=-5))


def test_from_epoch_defaults_to_utc() -> None:
    assert from_epoch(0.0).utcoffset() == timedelta(0)


def test_parse_local_keeps_an_explicit_offset() -> None:
    got = parse_local("2026-11-24T10:00:00+01:00", NY)
    assert got.utcoffset() == timedelta(hours=1)


def test_parse_local_reads_z_as_utc() -> None:
    got = parse_local("2026-11-24T10:00:00Z", NY)
    assert got == datetime(2026, 11, 24, 10, tzinfo=UTC)


def test_parse_local_without_offset_is_wall_time_in_the_zone() -> None:
    got = parse_local("2026-11-24T10:00", NY)
    assert to_epoch(got) == to_epoch(datetime(2026, 11, 24, 15, tzinfo=UTC))


def test_parse_local_of_a_date_is_local_midnight() -> None:
    assert parse_local("2026-12-21", NY) == parse_local("2026-12-21T00:00", NY)


def test_parse_local_names_the_text_it_could_not_read() -> None:
    with pytest.raises(ValueError, match=r"'next tuesday' is not an ISO 8601"):
        parse_local("next tuesday", NY)


def _open_by_wall_clock(t: float) -> bool:
    local = from_epoch(t, NY)
    minute = local.hour * 60 + local.minute + local.second / 60
    day = local.date()
    if day in CAL.exceptions:
        hours = CAL.exceptions[day]
    elif day in holidays.country_holidays("US", years=day.year):
        hours = ()
    else:
        hours = CAL.hours.get(day.weekday(), ())
    return any(start <= minute < end for start, end in hours)


@settings(max_examples=500, deadline=None)
@given(t=st.integers(min_value=int(at("2025-12-01T00:00")), max_value=int(at("2027-02-01T00:00"))))
def test_is_open_agrees_with_reading_the_wall_clock(t: int) -> None:
    assert CAL.is_open(float(t)) == _open_by_wall_clock(float(t))
