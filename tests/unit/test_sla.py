"""The SLA clock on a fixed clock: which tier applies, when the touch is due, what a breach does.

The calendar is 09:00-17:00 Monday to Friday in New York. 2026-01-16 is a Friday, and Monday
2026-01-19 is Martin Luther King Jr. Day, a US public holiday.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from leadflow.core.calendar import from_epoch, to_epoch
from leadflow.core.policy import Period, Policy
from leadflow.core.sla import (
    MEETS,
    Breach,
    Clock,
    SlaTier,
    elapsed,
    format_duration,
    on_breach,
    parse_duration,
    start_clock,
    tier_for,
)
from leadflow.policy import load_policy

TZ = "America/New_York"
NY = ZoneInfo(TZ)
HOUR = 3600.0

POLICY = load_policy(
    textwrap.dedent("""
    version: 1
    timezone: America/New_York
    calendars:
      office: {hours: {mon-fri: ["09:00-17:00"]}}
      office-us: {hours: {mon-fri: ["09:00-17:00"]}, holidays: US}
      closed: {hours: {}}
    reps:
      - {id: alice, name: Alice, calendar: office}
      - {id: holly, name: Holly, calendar: office-us}
      - id: tom
        name: Tom
        calendar: office
        time_off: [{from: "2026-01-19", to: "2026-01-19"}]
      - {id: nick, name: Nick}
      - {id: olga, name: Olga, time_off: [{from: "2026-01-17T10:30", to: "2026-01-17T11:30"}]}
      - {id: cleo, name: Cleo, calendar: closed}
    pools:
      team: {strategy: round_robin, members: [alice, holly, tom, nick, olga, cleo]}
    fallback: team
    sla:
      - {name: hot, when: {score: {gte: 80}}, first_touch: 5m}
      - {name: enterprise, when: {employees: {gte: 1000}}, first_touch: 1h}
    """)
)


def at(text: str) -> float:
    """Epoch seconds of a New York wall time such as '2026-01-16 16:30'."""
    return to_epoch(datetime.fromisoformat(text).replace(tzinfo=NY))


def wall(t: float) -> str:
    """A New York wall time, as `at` reads it."""
    return from_epoch(t, TZ).strftime("%Y-%m-%d %H:%M")


def tier(
    first_touch: str = "2h", business_hours: bool = True, remind: tuple[str, ...] = ()
) -> SlaTier:
    return SlaTier(
        name="test",
        when=None,
        first_touch=parse_duration(first_touch),
        business_hours=business_hours,
        remind=tuple(parse_duration(r) for r in remind),
    )


def due(rep: str, start: str, sla: SlaTier | None = None, **kwargs: tuple[Period, ...]) -> str:
    return wall(start_clock(POLICY, sla or tier(), rep, at(start), **kwargs).due)


def with_tiers(policy: Policy, *tiers: SlaTier) -> Policy:
    return replace(policy, sla=tiers)


# Durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1d2h3m4s", 93784)],
)
def test_a_duration_reads_as_seconds(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_duration_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="a duration must be longer than zero, got '0m'"):
        parse_duration("0m")


@pytest.mark.parametrize("text", ["-5m", "5", "5 minutes", "m", "", "30m1h", "1.5h", "5M"])
def test_a_duration_that_is_not_numbers_with_units_largest_first_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected a duration such as 30s, 5m, 2h, 1d or 1h30m"):
        parse_duration(text)


@pytest.mark.parametrize(("seconds", "text"), [(300, "5m"), (5400, "1h30m"), (90061, "1d1h1m1s")])
def test_a_duration_is_written_back_as_the_policy_writes_it(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


# Which tier applies


def test_the_first_tier_whose_condition_holds_applies() -> None:
    found = tier_for(POLICY, {"score": 90, "employees": 5000})
    assert found is not None and found.name == "hot"


def test_a_later_tier_applies_when_the_earlier_ones_do_not_hold() -> None:
    found = tier_for(POLICY, {"score": 10, "employees": "5000"})
    assert found is not None and found.name == "enterprise"


def test_a_lead_that_no_tier_holds_for_has_no_sla() -> None:
    assert tier_for(POLICY, {"score": 10}) is None


def test_a_tier_without_a_condition_applies_to_every_lead() -> None:
    policy = with_tiers(POLICY, tier())
    found = tier_for(policy, {})
    assert found is not None and found.name == "test"


def test_a_policy_without_tiers_gives_no_lead_an_sla() -> None:
    assert tier_for(with_tiers(POLICY), {"score": 99}) is None


def test_the_outcomes_that_meet_the_sla_are_the_touches_and_the_closes() -> None:
    assert {"contacted", "meeting_booked", "qualified", "disqualified", "won", "lost"} == MEETS


# Wall time


def test_in_wall_time_the_deadline_is_the_first_touch_after_the_start_even_at_night() -> None:
    assert due("alice", "2026-01-16 23:00", tier("2h", business_hours=False)) == "2026-01-17 01:00"


def test_in_wall_time_the_reps_time_off_does_not_stop_the_clock() -> None:
    sla = tier("2h", business_hours=False)
    assert due("tom", "2026-01-19 09:00", sla) == "2026-01-19 11:00"


def test_in_wall_time_reminders_are_offsets_from_the_start() -> None:
    clock = start_clock(POLICY, tier("1h", False, ("15m", "45m")), "alice", at("2026-01-17 03:00"))
    assert [wall(t) for t in clock.reminders] == ["2026-01-17 03:15", "2026-01-17 03:45"]


def test_a_wall_time_clock_keeps_its_tier_start_and_basis() -> None:
    clock = start_clock(POLICY, tier("1h", False), "alice", at("2026-01-17 03:00"))
    assert clock == Clock("test", at("2026-01-17 03:00"), at("2026-01-17 04:00"), (), False, False)


# Business time


def test_in_business_time_a_deadline_inside_working_hours_is_the_first_touch_later() -> None:
    assert due("alice", "2026-01-14 10:00") == "2026-01-14 12:00"


def test_in_business_time_the_night_does_not_count() -> None:
    assert due("alice", "2026-01-14 16:30") == "2026-01-15 10:30"


def test_in_business_time_the_weekend_does_not_count() -> None:
    assert due("alice", "2026-01-16 16:30") == "2026-01-19 10:30"


def test_in_business_time_a_public_holiday_does_not_count() -> None:
    assert due("holly", "2026-01-16 16:30") == "2026-01-20 10:30"


def test_a_lead_assigned_after_hours_starts_counting_when_the_calendar_opens() -> None:
    assert due("alice", "2026-01-14 20:00") == "2026-01-15 11:00"


def test_in_business_time_the_reps_time_off_in_the_policy_does_not_count() -> None:
    assert due("tom", "2026-01-16 16:30") == "2026-01-20 10:30"


def test_runtime_time_off_passed_in_is_counted_instead_of_the_policys() -> None:
    off = (Period(at("2026-01-15 09:00"), at("2026-01-15 10:00")),)
    assert due("alice", "2026-01-14 16:30", time_off=off) == "2026-01-15 11:30"


def test_runtime_time_off_passed_in_replaces_the_policys_time_off() -> None:
    assert due("tom", "2026-01-16 16:30", time_off=()) == "2026-01-19 10:30"


def test_time_off_in_the_middle_of_the_day_pushes_the_deadline_by_its_length() -> None:
    off = (Period(at("2026-01-14 10:30"), at("2026-01-14 11:15")),)
    assert due("alice", "2026-01-14 10:00", time_off=off) == "2026-01-14 12:45"


def test_overlapping_periods_of_time_off_count_once() -> None:
    off = (
        Period(at("2026-01-14 10:30"), at("2026-01-14 11:15")),
        Period(at("2026-01-14 11:00"), at("2026-01-14 11:30")),
    )
    assert due("alice", "2026-01-14 10:00", time_off=off) == "2026-01-14 13:00"


def test_a_rep_without_a_calendar_works_at_any_hour() -> None:
    assert due("nick", "2026-01-17 22:00") == "2026-01-18 00:00"


def test_a_rep_without_a_calendar_does_not_work_during_time_off() -> None:
    assert due("olga", "2026-01-17 10:00") == "2026-01-17 13:00"


def test_a_rep_the_policy_no_longer_knows_is_counted_as_always_working() -> None:
    assert due("gone", "2026-01-17 22:00") == "2026-01-18 00:00"


def test_a_business_time_clock_has_no_working_time_flag_when_working_time_is_found() -> None:
    clock = start_clock(POLICY, tier(), "alice", at("2026-01-16 16:30"))
    assert (clock.business_hours, clock.no_working_time) == (True, False)


def test_a_rep_whose_calendar_never_opens_falls_back_to_wall_time() -> None:
    assert due("cleo", "2026-01-14 10:00") == "2026-01-14 12:00"


def test_a_wall_time_fallback_is_flagged() -> None:
    clock = start_clock(POLICY, tier(), "cleo", at("2026-01-14 10:00"))
    assert clock.no_working_time


def test_a_rep_off_past_the_horizon_falls_back_to_wall_time_and_is_flagged() -> None:
    off = (Period(at("2026-01-01 00:00"), at("2028-01-01 00:00")),)
    clock = start_clock(POLICY, tier(), "alice", at("2026-01-14 10:00"), off)
    assert (wall(clock.due), clock.no_working_time) == ("2026-01-14 12:00", True)


def test_reminders_in_business_time_skip_the_weekend_too() -> None:
    clock = start_clock(POLICY, tier("2h", True, ("1h30m",)), "alice", at("2026-01-16 16:30"))
    assert [wall(t) for t in clock.reminders] == ["2026-01-19 10:00"]


def test_a_reminder_that_falls_on_the_end_of_a_working_day_is_due_then() -> None:
    clock = start_clock(POLICY, tier("2h", True, ("30m",)), "alice", at("2026-01-16 16:30"))
    assert [wall(t) for t in clock.reminders] == ["2026-01-16 17:00"]


def test_reminders_are_ascending_and_before_the_deadline() -> None:
    clock = start_clock(POLICY, tier("3h", True, ("1h", "2h")), "holly", at("2026-01-16 15:00"))
    assert [*clock.reminders, clock.due] == sorted({*clock.reminders, clock.due})


# Elapsed time, for reporting the time to first touch


def test_elapsed_wall_time_is_the_time_between() -> None:
    spent = elapsed(POLICY, False, "alice", at("2026-01-16 16:30"), at("2026-01-19 10:30"))
    assert spent == 66 * HOUR


def test_elapsed_business_time_counts_only_working_time() -> None:
    spent = elapsed(POLICY, True, "alice", at("2026-01-16 16:30"), at("2026-01-19 10:30"))
    assert spent == 2 * HOUR


def test_elapsed_business_time_leaves_out_holidays() -> None:
    spent = elapsed(POLICY, True, "holly", at("2026-01-16 16:30"), at("2026-01-20 10:30"))
    assert spent == 2 * HOUR


def test_elapsed_business_time_leaves_out_time_off() -> None:
    off = (Period(at("2026-01-14 10:00"), at("2026-01-14 11:00")),)
    spent = elapsed(POLICY, True, "alice", at("2026-01-14 09:00"), at("2026-01-14 12:00"), off)
    assert spent == 2 * HOUR


def test_elapsed_time_is_zero_when_the_end_is_not_after_the_start() -> None:
    assert elapsed(POLICY, False, "alice", at("2026-01-14 12:00"), at("2026-01-14 11:00")) == 0


def test_elapsed_business_time_and_the_deadline_agree() -> None:
    start = at("2026-01-16 16:30")
    clock = start_clock(POLICY, tier("5h"), "holly", start)
    assert elapsed(POLICY, True, "holly", start, clock.due) == 5 * HOUR


# What a breach does

REASSIGN_AND_TELL = SlaTier("hot", None, 300, on_breach=frozenset({"reassign", "notify_manager"}))
REASSIGN = SlaTier("hot", None, 300, on_breach=frozenset({"reassign"}), max_reassignments=2)
NEXT_REP = Breach(reassign=True, overflow=False, notify_manager=False, escalated=False)
NEXT_REP_AND_TELL = Breach(reassign=True, overflow=False, notify_manager=True, escalated=False)
ESCALATE = Breach(reassign=False, overflow=True, notify_manager=True, escalated=True)


@pytest.mark.parametrize(
    ("reassignments", "expected"),
    [(0, NEXT_REP), (1, NEXT_REP), (2, ESCALATE), (3, ESCALATE)],
    ids=["first", "second", "at-max", "past-max"],
)
def test_a_reassigning_tier_reassigns_up_to_its_max_then_escalates(
    reassignments: int, expected: Breach
) -> None:
    assert on_breach(REASSIGN, reassignments) == expected


@pytest.mark.parametrize(
    ("reassignments", "expected"),
    [(0, NEXT_REP_AND_TELL), (1, NEXT_REP_AND_TELL), (2, ESCALATE), (3, ESCALATE)],
    ids=["first", "second", "at-max", "past-max"],
)
def test_a_tier_that_also_notifies_tells_the_manager_of_every_breach(
    reassignments: int, expected: Breach
) -> None:
    tier_ = SlaTier("hot", None, 300, on_breach=REASSIGN_AND_TELL.on_breach, max_reassignments=2)
    assert on_breach(tier_, reassignments) == expected


def test_a_reassigning_tier_with_no_reassignments_allowed_escalates_at_the_first_breach() -> None:
    assert on_breach(REASSIGN_AND_TELL, 0) == ESCALATE


def test_a_tier_that_only_notifies_tells_the_manager_and_moves_nothing() -> None:
    tier_ = SlaTier("default", None, 3600, on_breach=frozenset({"notify_manager"}))
    assert on_breach(tier_, 5) == Breach(False, False, True, False)


def test_a_tier_with_no_breach_action_does_nothing_on_a_breach() -> None:
    assert on_breach(SlaTier("quiet", None, 3600), 0) == Breach(False, False, False, False)
