"""Loading a policy: how YAML is read, and what a valid document compiles to."""

from __future__ import annotations

import hashlib
import textwrap
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from leadflow.core.calendar import Calendar
from leadflow.core.policy import (
    ActionKind,
    Caps,
    Member,
    Period,
    Policy,
    Strategy,
    WhenUnavailable,
)
from leadflow.policy import PolicyError, check_policy, load_policy, load_policy_file
from leadflow.policy.compile import compile_time_off
from leadflow.policy.yamlpos import parse

EXAMPLE = Path(__file__).parents[2] / "examples" / "policy.yaml"

FULL = textwrap.dedent(
    """\
    version: 1
    timezone: America/New_York
    calendars:
      us-east:
        hours: {mon-fri: ["13:30-17:30", "09:00-12:30"], sat: ["10:00-14:00"]}
        holidays: US
        exceptions: {2026-12-24: ["09:00-12:00"], 2026-12-31: []}
      oslo:
        timezone: Europe/Oslo
        hours: {mon-thu: ["08:00-16:00"]}
        holidays: [NO, GB]
    territories:
      northeast: {country: US, state: [NY, NJ]}
      nordics: {country: [NO, SE]}
    reps:
      - id: alice
        name: Alice Adams
        email: alice@example.com
        calendar: us-east
        skills: [Healthcare, ES]
        caps: {per_day: 12, open: 40}
        time_off:
          - {from: 2026-12-21, to: 2026-12-31, note: winter}
          - {from: "2026-11-03T13:00", to: "2026-11-03T17:30"}
        manager: mona
      - id: ingrid
        name: Ingrid Berg
        calendar: oslo
        time_off: [{from: 2026-07-01, to: 2026-07-01}]
      - {id: carlos, name: Carlos Diaz, timezone: America/Chicago, active: false}
      - {id: mona, name: Mona Lund}
    pools:
      enterprise:
        strategy: weighted
        members: [alice, {rep: ingrid, weight: 3}]
        overflow: general
        caps: {per_week: 20}
        skills: [Enterprise, {from: language}]
        when_unavailable: hold
        respect_hours: false
      named:
        strategy: by_field
        field: account.owner_email
      general:
        strategy: least_loaded
        members: [alice, ingrid, carlos]
    rules:
      - name: owner
        when: {existing_owner: {exists: true}}
        assign: existing_owner
        else: general
        respect_hours: false
      - name: vip
        when: {territory: northeast}
        assign: alice
      - name: big
        when: {employees: {gte: 1000}}
        route: enterprise
      - name: low-fit
        when: {score: {lt: 30}}
        nurture: low-fit
    fallback: general
    """
)


def epoch(text: str, tz: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz)).timestamp()


@cache
def compiled() -> Policy:
    return load_policy(FULL)


def test_a_full_valid_policy_has_no_problems() -> None:
    policy, problems = check_policy(FULL)
    assert policy is not None
    assert problems == []


def test_the_policy_keeps_its_time_zone_version_and_fallback() -> None:
    policy = compiled()
    assert (policy.timezone, policy.format_version, policy.fallback) == (
        "America/New_York",
        1,
        "general",
    )


def test_the_digest_is_the_sha256_of_the_source_text() -> None:
    expected = "sha256:" + hashlib.sha256(FULL.encode("utf-8")).hexdigest()
    assert compiled().digest == expected


def test_sections_keep_the_order_of_the_document() -> None:
    policy = compiled()
    assert list(policy.reps) == ["alice", "ingrid", "carlos", "mona"]
    assert list(policy.pools) == ["enterprise", "named", "general"]
    assert [rule.name for rule in policy.rules] == ["owner", "vip", "big", "low-fit"]


def test_calendars_compile_to_calendar_objects_in_their_zone() -> None:
    calendars = compiled().calendars
    assert all(isinstance(c, Calendar) for c in calendars.values())
    assert calendars["us-east"].timezone == "America/New_York"  # the policy's zone
    assert calendars["oslo"].timezone == "Europe/Oslo"


def test_calendar_hours_are_sorted_minutes_per_weekday() -> None:
    us_east = compiled().calendars["us-east"]
    assert us_east.hours[0] == ((540, 750), (810, 1050))
    assert us_east.hours[5] == ((600, 840),)
    assert 6 not in us_east.hours


def test_calendar_holidays_and_exceptions_are_kept() -> None:
    calendars = compiled().calendars
    assert calendars["us-east"].holidays == ("US",)
    assert calendars["oslo"].holidays == ("NO", "GB")
    exceptions = {d.isoformat(): v for d, v in calendars["us-east"].exceptions.items()}
    assert exceptions == {"2026-12-24": ((540, 720),), "2026-12-31": ()}


def test_territories_compile_to_conditions() -> None:
    northeast = compiled().territories["northeast"]
    assert northeast.test({"country": "us", "state": "NJ"})
    assert not northeast.test({"country": "US", "state": "CA"})


def test_a_rep_keeps_name_email_calendar_caps_and_manager() -> None:
    alice = compiled().reps["alice"]
    assert (alice.name, alice.email, alice.calendar, alice.manager) == (
        "Alice Adams",
        "alice@example.com",
        "us-east",
        "mona",
    )
    assert alice.caps == Caps(per_day=12, per_week=None, open=40)


def test_skills_are_lower_cased() -> None:
    assert compiled().reps["alice"].skills == frozenset({"healthcare", "es"})


def test_whole_day_time_off_runs_to_the_start_of_the_day_after_in_the_rep_zone() -> None:
    winter = compiled().reps["alice"].time_off[0]
    ny = "America/New_York"
    assert winter == Period(
        epoch("2026-12-21T00:00", ny),
        epoch("2027-01-01T00:00", ny),
        "2026-12-21..2026-12-31 (winter)",
    )


def test_part_day_time_off_ends_exactly_at_its_to() -> None:
    dentist = compiled().reps["alice"].time_off[1]
    ny = "America/New_York"
    assert (dentist.start, dentist.end) == (
        epoch("2026-11-03T13:00", ny),
        epoch("2026-11-03T17:30", ny),
    )


def test_time_off_of_a_rep_with_a_calendar_is_in_the_calendar_zone() -> None:
    ingrid = compiled().reps["ingrid"]
    assert ingrid.timezone == "Europe/Oslo"
    day = ingrid.time_off[0]
    assert (day.start, day.end) == (
        epoch("2026-07-01T00:00", "Europe/Oslo"),
        epoch("2026-07-02T00:00", "Europe/Oslo"),
    )


def test_a_rep_timezone_wins_over_the_policy_zone() -> None:
    assert compiled().reps["carlos"].timezone == "America/Chicago"


def test_a_rep_without_calendar_or_zone_takes_the_policy_zone() -> None:
    assert compiled().reps["mona"].timezone == "America/New_York"


def test_active_defaults_to_true_and_can_be_turned_off() -> None:
    reps = compiled().reps
    assert (reps["alice"].active, reps["carlos"].active) == (True, False)


def test_pool_members_keep_their_weights_with_one_as_the_default() -> None:
    enterprise = compiled().pools["enterprise"]
    assert enterprise.members == (Member("alice", 1), Member("ingrid", 3))


def test_pools_compile_their_strategy_and_options() -> None:
    pools = compiled().pools
    enterprise = pools["enterprise"]
    assert [p.strategy for p in pools.values()] == [
        Strategy.WEIGHTED,
        Strategy.BY_FIELD,
        Strategy.LEAST_LOADED,
    ]
    assert (enterprise.overflow, enterprise.respect_hours) == ("general", False)
    assert enterprise.when_unavailable is WhenUnavailable.HOLD
    assert enterprise.caps == Caps(per_week=20)


def test_pool_defaults_are_overflow_on_unavailable_and_respect_hours() -> None:
    general = compiled().pools["general"]
    assert general.when_unavailable is WhenUnavailable.OVERFLOW
    assert (general.respect_hours, general.overflow, general.caps) == (True, None, Caps())


def test_pool_skills_split_into_fixed_lower_cased_skills_and_lead_fields() -> None:
    enterprise = compiled().pools["enterprise"]
    assert enterprise.skills == frozenset({"enterprise"})
    assert enterprise.skills_from == ("language",)


def test_a_by_field_pool_keeps_its_field_and_may_have_no_members() -> None:
    named = compiled().pools["named"]
    assert (named.field, named.members) == ("account.owner_email", ())


def test_rules_compile_to_actions_and_targets() -> None:
    rules = compiled().rules
    assert [(r.action, r.target) for r in rules] == [
        (ActionKind.ASSIGN, "existing_owner"),
        (ActionKind.ASSIGN, "alice"),
        (ActionKind.ROUTE, "enterprise"),
        (ActionKind.NURTURE, "low-fit"),
    ]


def test_an_assign_rule_keeps_else_and_respect_hours() -> None:
    owner, vip = compiled().rules[:2]
    assert (owner.else_pool, owner.respect_hours) == ("general", False)
    assert (vip.else_pool, vip.respect_hours) == (None, True)


def test_rule_conditions_can_use_territories() -> None:
    vip = compiled().rules[1]
    assert vip.when is not None
    assert vip.when.test({"country": "US", "state": "NY"})
    assert not vip.when.test({"country": "US", "state": "TX"})


def test_a_rule_without_when_always_holds() -> None:
    policy = load_policy(FULL.replace("    when: {score: {lt: 30}}\n", ""))
    assert policy.rules[-1].when is None


# How YAML is read: YAML 1.2 core scalars, not YAML 1.1


def test_country_no_stays_the_text_no() -> None:
    assert parse("country: NO").data == {"country": "NO"}


def test_yes_and_on_stay_text() -> None:
    assert parse("a: yes\nb: on\nc: off").data == {"a": "yes", "b": "on", "c": "off"}


def test_a_clock_time_stays_text() -> None:
    assert parse("at: 12:30").data == {"at": "12:30"}


def test_a_date_stays_text() -> None:
    assert parse("day: 2026-12-24").data == {"day": "2026-12-24"}


def test_true_and_false_in_any_case_are_booleans() -> None:
    assert parse("a: true\nb: False\nc: TRUE").data == {"a": True, "b": False, "c": True}


def test_null_tilde_and_nothing_are_null() -> None:
    assert parse("a: null\nb: ~\nc:").data == {"a": None, "b": None, "c": None}


def test_decimal_numbers_are_numbers() -> None:
    assert parse("a: 12\nb: -3\nc: 1.5\nd: 2e3").data == {"a": 12, "b": -3, "c": 1.5, "d": 2000.0}


def test_non_decimal_numbers_stay_text() -> None:
    assert parse("a: 0x1F\nb: 1_000").data == {"a": "0x1F", "b": "1_000"}


def test_quoted_scalars_are_always_text() -> None:
    assert parse("a: 'true'\nb: \"12\"\nc: 'null'").data == {"a": "true", "b": "12", "c": "null"}


def test_norway_in_a_condition_matches_norwegian_leads() -> None:
    nordics = compiled().territories["nordics"]
    assert nordics.test({"country": "NO"})


def test_positions_of_values_and_keys_are_one_based() -> None:
    document = parse("a:\n  b: [x, y]\n")
    assert document.positions.values[("a", "b", 1)] == (2, 10)
    assert document.positions.keys[("a", "b")] == (2, 3)


def test_an_alias_is_placed_where_it_is_used() -> None:
    document = parse("a: &hours [x]\nb: *hours\n")
    assert document.data == {"a": ["x"], "b": ["x"]}
    assert document.positions.values[("b",)] == (2, 4)


# load_policy, load_policy_file, compile_time_off


def test_load_policy_raises_policy_error_with_every_problem() -> None:
    with pytest.raises(PolicyError) as raised:
        load_policy("version: 3\ntimezone: Nowhere/City\n", "p.yaml")
    assert [p.line for p in raised.value.problems] == [1, 1, 2]
    assert str(raised.value).splitlines()[0] == "p.yaml:1:1: warning: no fallback: " + (
        "a lead that no rule places is left unassigned; add 'fallback: POOL' to send it to a pool"
    )


def test_load_policy_returns_a_policy_that_only_has_warnings() -> None:
    policy = load_policy("version: 1\ntimezone: UTC\n")
    assert (policy.reps, policy.pools, policy.rules, policy.fallback) == ({}, {}, (), None)


def test_load_policy_file_names_the_file_in_its_errors(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("version: 1\ntimezone: UTC\nfallback: nowhere\n")
    with pytest.raises(PolicyError, match=r"broken\.yaml:3:11: error: unknown pool 'nowhere'"):
        load_policy_file(path)


def test_the_example_policy_loads_without_problems() -> None:
    policy, problems = check_policy(EXAMPLE.read_text(encoding="utf-8"))
    assert policy is not None
    assert problems == []


def test_time_off_from_an_event_compiles_like_the_policy() -> None:
    periods = compile_time_off([{"from": "2026-12-21", "to": "2026-12-21"}], "Europe/Oslo")
    oslo = "Europe/Oslo"
    label = "2026-12-21..2026-12-21"
    assert periods == (
        Period(epoch("2026-12-21T00:00", oslo), epoch("2026-12-22T00:00", oslo), label),
    )


def test_time_off_from_an_event_that_ends_before_it_starts_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"time_off\[0\]\.to: .* ends before it starts"):
        compile_time_off([{"from": "2026-12-21T10:00", "to": "2026-12-21T09:00"}], "UTC")
