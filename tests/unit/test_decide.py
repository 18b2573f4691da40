"""`decide`: which rule acts, who gets the lead, and what the decision record says about it."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import textwrap
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.core import (
    Caps,
    Decision,
    Lead,
    Outcome,
    Period,
    Policy,
    RoutingState,
    assign_held,
    decide,
)
from leadflow.core.calendar import to_epoch
from leadflow.policy import load_policy

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY_10 = datetime(2026, 11, 16, 10, 0, tzinfo=NY)  # inside us-east working time
MONDAY_20 = datetime(2026, 11, 16, 20, 0, tzinfo=NY)  # outside it
HEADER = """
version: 1
timezone: America/New_York
calendars:
  us-east: {hours: {mon-fri: ["09:00-17:00"]}}
  tokyo: {timezone: Asia/Tokyo, hours: {mon-fri: ["09:00-17:00"]}}
  emea: {timezone: Europe/London, hours: {mon-fri: ["09:00-17:00"]}}
"""
_ids = itertools.count(1)


def policy_from(body: str) -> Policy:
    """A policy from YAML: the calendars above, then `body` (reps, pools, rules, fallback)."""
    return load_policy(textwrap.dedent(HEADER) + textwrap.dedent(body))


def lead(previous_owners: Iterable[str] = (), **fields: Any) -> Lead:
    return Lead(f"lead-{next(_ids)}", fields, frozenset(previous_owners))


def route(
    policy: Policy, state: RoutingState, leads: int | Iterable[Lead], at: datetime
) -> list[Decision]:
    """Decide each lead in turn, a minute apart from `at`, applying each decision's changes."""
    stream = [lead() for _ in range(leads)] if isinstance(leads, int) else list(leads)
    decisions = []
    for i, one in enumerate(stream):
        decision = decide(one, policy, state, at + timedelta(minutes=i))
        state.apply(decision.changes)
        decisions.append(decision)
    return decisions


def route_one(policy: Policy, state: RoutingState, one: Lead, at: datetime) -> Decision:
    (decision,) = route(policy, state, [one], at)
    return decision


def candidates(decision: Decision, pool: str) -> dict[str, str | None]:
    """Each candidate of `pool` in the record, with the reason it was excluded (None: eligible)."""
    (entry,) = [p for p in decision.record["pools"] if p["pool"] == pool]
    return {c["rep"]: c.get("reason") for c in entry["candidates"]}


def with_rep(policy: Policy, rep_id: str, **changes: Any) -> Policy:
    rep = dataclasses.replace(policy.reps[rep_id], **changes)
    return dataclasses.replace(policy, reps={**policy.reps, rep_id: rep})


def with_pool(policy: Policy, name: str, **changes: Any) -> Policy:
    pool = dataclasses.replace(policy.pools[name], **changes)
    return dataclasses.replace(policy, pools={**policy.pools, name: pool})


def contains(data: Any, wanted: dict[str, Any]) -> bool:
    """Whether `wanted` appears as a mapping anywhere inside `data`."""
    if data == wanted:
        return True
    if isinstance(data, dict):
        return any(contains(v, wanted) for v in data.values())
    if isinstance(data, list | tuple):
        return any(contains(v, wanted) for v in data)
    return False


# rules

RULES = policy_from("""
    reps:
      - {id: alice, name: Alice, email: alice@example.com, calendar: us-east}
      - {id: bob, name: Bob, email: bob@example.com, calendar: us-east}
    pools:
      enterprise: {strategy: round_robin, members: [alice]}
      general: {strategy: round_robin, members: [bob]}
    rules:
      - {name: big, when: {employees: {gte: 1000}}, route: enterprise}
      - {name: us, when: {country: US}, route: general}
      - {name: low-fit, when: {score: {lt: 30}}, nurture: low-fit}
    fallback: general
""")


def test_the_first_matching_rule_wins() -> None:
    decision = route_one(RULES, RoutingState(), lead(employees=5000, country="US"), MONDAY_10)
    assert (decision.rule, decision.pool, decision.rep) == ("big", "enterprise", "alice")


def test_a_rule_whose_condition_fails_is_passed_over() -> None:
    decision = route_one(RULES, RoutingState(), lead(employees=20, country="US"), MONDAY_10)
    assert (decision.rule, decision.pool, decision.rep) == ("us", "general", "bob")


def test_the_record_lists_each_rule_tried_with_the_values_its_condition_saw() -> None:
    decision = route_one(RULES, RoutingState(), lead(employees="20", country="us"), MONDAY_10)
    assert decision.record["rules"] == [
        {"rule": "big", "matched": False, "reads": ("employees",)},
        {"rule": "us", "matched": True, "reads": ("country",), "action": {"route": "general"}},
    ]
    assert decision.record["saw"] == {"employees": "20", "country": "us"}
    assert decision.record["matched_rule"] == "us"


def test_the_record_shows_a_missing_field_as_none() -> None:
    decision = route_one(RULES, RoutingState(), lead(score=10), MONDAY_10)
    assert [r["reads"] for r in decision.record["rules"]] == [
        ("employees",),
        ("country",),
        ("score",),
    ]
    assert decision.record["saw"] == {"employees": None, "country": None, "score": 10}


def test_a_nurture_rule_gives_the_nurture_outcome_with_its_track_and_no_rep() -> None:
    decision = route_one(RULES, RoutingState(), lead(score=10), MONDAY_10)
    assert (decision.outcome, decision.reason, decision.rep) == (Outcome.NURTURE, "low-fit", None)
    assert decision.changes == ()


def test_a_lead_that_no_rule_matches_goes_to_the_fallback_pool() -> None:
    decision = route_one(RULES, RoutingState(), lead(country="DE", score=50), MONDAY_10)
    assert (decision.outcome, decision.pool, decision.rep) == (Outcome.ASSIGNED, "general", "bob")
    assert decision.record["fallback"] == {"reason": "no_rule_matched", "pool": "general"}
    assert decision.record["pools"][0]["via"] == "fallback"


def test_the_decision_carries_the_digest_of_the_source_text() -> None:
    text = textwrap.dedent("""
        version: 1
        timezone: UTC
        reps: [{id: alice, name: Alice}]
        pools: {team: {strategy: round_robin, members: [alice]}}
        rules: [{name: all, route: team}]
    """)
    policy = load_policy(text)
    decision = route_one(policy, RoutingState(), lead(), MONDAY_10)
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert decision.record["policy"] == {"version": None, "digest": digest}


def test_the_decision_carries_the_published_version() -> None:
    policy = dataclasses.replace(RULES, published_version=7)
    decision = route_one(policy, RoutingState(), lead(country="US"), MONDAY_10)
    assert decision.record["policy"] == {"version": 7, "digest": RULES.digest}


# assign

ASSIGN = policy_from("""
    reps:
      - {id: alice, name: Alice, email: alice@example.com, calendar: us-east}
      - {id: bob, name: Bob, email: bob@example.com, calendar: us-east}
      - {id: carol, name: Carol, email: carol@example.com, calendar: us-east}
    pools:
      team: {strategy: round_robin, members: [bob, carol]}
      rest: {strategy: round_robin, members: [carol]}
    rules:
      - {name: owner, when: {existing_owner: {exists: true}}, assign: existing_owner}
      - {name: account, when: {account.owner: {exists: true}}, assign: account_owner}
      - {name: vip, when: {vip: true}, assign: alice, else: team}
      - {name: named, when: {tier: gold}, assign: alice}
      - {name: after-hours, when: {tier: night}, assign: alice, respect_hours: false}
      - {name: rest, route: rest}
""")


def test_assign_gives_the_lead_to_the_named_rep_when_eligible() -> None:
    decision = route_one(ASSIGN, RoutingState(), lead(tier="gold"), MONDAY_10)
    assert (decision.outcome, decision.rep, decision.pool, decision.rule) == (
        Outcome.ASSIGNED,
        "alice",
        None,
        "named",
    )


def test_assign_to_an_ineligible_rep_falls_to_the_rules_else_pool() -> None:
    state = RoutingState()
    state.update_rep("alice", {"presence": "away"})
    decision = route_one(ASSIGN, state, lead(vip=True), MONDAY_10)
    assert (decision.rule, decision.pool, decision.rep) == ("vip", "team", "bob")
    assert decision.record["pools"][0]["via"] == "else:vip"


def test_assign_to_an_ineligible_rep_records_why_the_rep_was_passed_over() -> None:
    state = RoutingState()
    state.update_rep("alice", {"presence": "away"})
    decision = route_one(ASSIGN, state, lead(vip=True), MONDAY_10)
    vip = decision.record["rules"][-1]
    assert vip["assign"] == {"rep": "alice", "eligible": False, "reason": "away"}


def test_assign_without_else_to_an_ineligible_rep_falls_to_the_next_rule() -> None:
    state = RoutingState()
    state.update_rep("alice", {"presence": "away"})
    decision = route_one(ASSIGN, state, lead(tier="gold"), MONDAY_10)
    assert (decision.rule, decision.pool, decision.rep) == ("rest", "rest", "carol")
    named = next(r for r in decision.record["rules"] if r["rule"] == "named")
    assert named["assign"] == {"rep": "alice", "eligible": False, "reason": "away"}
    assert named["result"] == "not_placed: rep not eligible, next rule"


def test_assign_respects_the_reps_working_hours() -> None:
    decision = route_one(ASSIGN, RoutingState(), lead(tier="gold"), MONDAY_20)
    named = next(r for r in decision.record["rules"] if r["rule"] == "named")
    assert named["assign"] == {"rep": "alice", "eligible": False, "reason": "outside_hours"}
    assert decision.rule == "rest"


def test_assign_with_respect_hours_false_ignores_working_hours() -> None:
    decision = route_one(ASSIGN, RoutingState(), lead(tier="night"), MONDAY_20)
    assert (decision.rule, decision.rep) == ("after-hours", "alice")


def test_assign_existing_owner_gives_the_lead_to_the_rep_named_by_id() -> None:
    decision = route_one(ASSIGN, RoutingState(), lead(existing_owner="carol"), MONDAY_10)
    assert (decision.rule, decision.rep, decision.pool) == ("owner", "carol", None)


def test_assign_existing_owner_gives_the_lead_to_the_rep_named_by_email() -> None:
    one = lead(existing_owner="Carol@Example.com")
    decision = route_one(ASSIGN, RoutingState(), one, MONDAY_10)
    assert (decision.rule, decision.rep) == ("owner", "carol")


def test_assign_account_owner_reads_the_account_owner_field() -> None:
    one = lead(account={"owner": "bob@example.com", "name": "Acme"})
    decision = route_one(ASSIGN, RoutingState(), one, MONDAY_10)
    assert (decision.rule, decision.rep) == ("account", "bob")


def test_assign_existing_owner_naming_no_known_rep_falls_to_the_next_rule() -> None:
    decision = route_one(ASSIGN, RoutingState(), lead(existing_owner="zoe"), MONDAY_10)
    owner = decision.record["rules"][0]
    assert owner["assign"] == {"rep": None, "eligible": False, "reason": "no rep in existing_owner"}
    assert (decision.rule, decision.rep) == ("rest", "carol")


def test_assign_existing_owner_who_is_a_previous_owner_is_passed_over() -> None:
    one = lead(existing_owner="carol", previous_owners=["carol"])
    decision = route_one(ASSIGN, RoutingState(), one, MONDAY_10)
    owner = decision.record["rules"][0]
    assert owner["assign"] == {"rep": "carol", "eligible": False, "reason": "previous_owner"}


def test_a_direct_assignment_counts_toward_the_reps_caps() -> None:
    policy = with_rep(ASSIGN, "alice", caps=Caps(per_day=1))
    first, second = route(policy, RoutingState(), [lead(tier="gold"), lead(tier="gold")], MONDAY_10)
    assert (first.rep, second.rep) == ("alice", "carol")
    named = next(r for r in second.record["rules"] if r["rule"] == "named")
    assert named["assign"]["reason"] == "cap_per_day 1/1"


# candidates and why each one is excluded

TEAM = policy_from("""
    reps:
      - {id: alice, name: Alice, calendar: us-east}
      - {id: bob, name: Bob, calendar: us-east, skills: [enterprise]}
    pools:
      team: {strategy: round_robin, members: [alice, bob]}
      setup: {strategy: by_field, field: owner}
    rules:
      - {name: setup, when: {owner: {exists: true}}, route: setup}
      - {name: everyone, route: team}
""")


def give(policy: Policy, state: RoutingState, rep: str, n: int, at: datetime) -> None:
    """Give `rep` n leads directly (not through `team`), a minute apart from `at`."""
    decisions = route(policy, state, [lead(owner=rep) for _ in range(n)], at)
    assert [d.rep for d in decisions] == [rep] * n


def test_the_record_lists_every_candidate_in_member_order_with_its_verdict() -> None:
    state = RoutingState()
    state.update_rep("alice", {"presence": "away"})
    decision = route_one(TEAM, state, lead(), MONDAY_10)
    assert decision.record["pools"][0]["candidates"] == [
        {"rep": "alice", "eligible": False, "reason": "away"},
        {"rep": "bob", "eligible": True},
    ]


def test_an_inactive_rep_is_excluded_as_inactive() -> None:
    decision = route_one(with_rep(TEAM, "alice", active=False), RoutingState(), lead(), MONDAY_10)
    assert candidates(decision, "team") == {"alice": "inactive", "bob": None}
    assert decision.rep == "bob"


def test_a_rep_deactivated_at_runtime_is_excluded_as_inactive() -> None:
    state = RoutingState()
    state.update_rep("alice", {"active": False})
    decision = route_one(TEAM, state, lead(), MONDAY_10)
    assert candidates(decision, "team") == {"alice": "inactive", "bob": None}


def test_an_away_rep_is_excluded_as_away() -> None:
    state = RoutingState()
    state.update_rep("alice", {"presence": "away"})
    decision = route_one(TEAM, state, lead(), MONDAY_10)
    assert candidates(decision, "team") == {"alice": "away", "bob": None}
    assert decision.rep == "bob"


def test_a_rep_on_time_off_is_excluded_as_time_off() -> None:
    start = to_epoch(MONDAY_10 - timedelta(hours=1))
    policy = with_rep(TEAM, "alice", time_off=(Period(start, start + 7200),))
    decision = route_one(policy, RoutingState(), lead(), MONDAY_10)
    assert candidates(decision, "team") == {"alice": "time_off", "bob": None}
    assert decision.rep == "bob"


def test_time_off_ends_exactly_at_its_end() -> None:
    end = to_epoch(MONDAY_10)
    policy = with_rep(TEAM, "alice", time_off=(Period(end - 3600, end),))
    decision = route_one(policy, RoutingState(), lead(), MONDAY_10)
    assert decision.rep == "alice"


def test_time_off_from_yaml_covers_the_whole_last_day() -> None:
    policy = policy_from("""
        reps:
          - {id: alice, name: Alice, time_off: [{from: "2026-11-16", to: "2026-11-17"}]}
          - {id: bob, name: Bob}
        pools: {team: {strategy: round_robin, members: [alice, bob]}}
        rules: [{name: everyone, route: team}]
    """)
    late = datetime(2026, 11, 17, 23, 59, tzinfo=NY)
    after = datetime(2026, 11, 18, 0, 0, tzinfo=NY)
    assert route_one(policy, RoutingState(), lead(), late).rep == "bob"
    assert route_one(policy, RoutingState(), lead(), after).rep == "alice"


def test_a_rep_outside_working_hours_is_excluded_as_outside_hours() -> None:
    policy = with_rep(TEAM, "alice", calendar="tokyo", timezone="Asia/Tokyo")
    decision = route_one(policy, RoutingState(), lead(), MONDAY_10)  # 00:00 in Tokyo
    assert candidates(decision, "team") == {"alice": "outside_hours", "bob": None}
    assert decision.rep == "bob"


def test_a_rep_at_the_daily_cap_is_excluded_with_the_count() -> None:
    policy = with_rep(TEAM, "alice", caps=Caps(per_day=12))
    state = RoutingState()
    give(policy, state, "alice", 12, MONDAY_10 - timedelta(minutes=30))
    decision = route_one(policy, state, lead(), MONDAY_10)
    assert candidates(decision, "team") == {"alice": "cap_per_day 12/12", "bob": None}


def test_a_rep_below_the_daily_cap_stays_eligible() -> None:
    policy = with_rep(TEAM, "alice", caps=Caps(per_day=12))
    state = RoutingState()
    give(policy, state, "alice", 11, MONDAY_10 - timedelta(minutes=30))
    assert route_one(policy, state, lead(), MONDAY_10).rep == "alice"


def test_a_rep_at_the_weekly_cap_is_excluded_on_a_later_day_of_the_week() -> None:
    policy = with_rep(TEAM, "alice", caps=Caps(per_week=3))
    state = RoutingState()
    give(policy, state, "alice", 3, MONDAY_10)
    decision = route_one(policy, state, lead(), MONDAY_10 + timedelta(days=3))
    assert candidates(decision, "team") == {"alice": "cap_per_week 3/3", "bob": None}


def test_the_weekly_cap_resets_on_monday_in_the_reps_time_zone() -> None:
    policy = with_rep(TEAM, "alice", caps=Caps(per_week=3))
    state = RoutingState()
    give(policy, state, "alice", 3, MONDAY_10)
    next_monday = datetime(2026, 11, 23, 0, 5, tzinfo=NY)
    decision = route_one(with_pool(policy, "team", respect_hours=False), state, lead(), next_monday)
    assert decision.rep == "alice"


def test_a_rep_at_the_open_cap_is_excluded_with_the_count() -> None:
    policy = with_rep(TEAM, "alice", caps=Caps(open=40))
    state = RoutingState()
    give(policy, state, "alice", 40, MONDAY_10 - timedelta(days=3))
    decision = route_one(policy, state, lead(), MONDAY_10)
    assert candidates(decision, "team") == {"alice": "cap_open 40/40", "bob": None}


def test_closing_a_lead_makes_room_under_the_open_cap() -> None:
    policy = with_rep(TEAM, "alice", caps=Caps(open=40))
    state = RoutingState()
    give(policy, state, "alice", 40, MONDAY_10 - timedelta(days=3))
    state.release("alice", "setup")
    assert route_one(policy, state, lead(), MONDAY_10).rep == "alice"


def test_runtime_caps_override_the_policys_caps() -> None:
    policy = with_rep(TEAM, "alice", caps=Caps(per_day=12))
    state = RoutingState()
    give(policy, state, "alice", 2, MONDAY_10 - timedelta(minutes=30))
    state.update_rep("alice", {"caps": Caps(per_day=2)})
    decision = route_one(policy, state, lead(), MONDAY_10)
    assert candidates(decision, "team") == {"alice": "cap_per_day 2/2", "bob": None}


def test_a_rep_at_the_pools_daily_cap_is_excluded_as_pool_cap_per_day() -> None:
    policy = with_pool(TEAM, "team", caps=Caps(per_day=2))
    state = RoutingState()
    state.update_rep("bob", {"presence": "away"})
    assert [d.rep for d in route(policy, state, 2, MONDAY_10)] == ["alice", "alice"]
    state.update_rep("bob", {"presence": "available"})
    decision = route_one(policy, state, lead(), MONDAY_10 + timedelta(minutes=30))
    assert candidates(decision, "team") == {"alice": "pool_cap_per_day 2/2", "bob": None}


def test_a_pool_cap_counts_only_assignments_made_from_that_pool() -> None:
    policy = with_pool(TEAM, "team", caps=Caps(per_day=2))
    state = RoutingState()
    give(policy, state, "alice", 5, MONDAY_10 - timedelta(minutes=30))
    assert route_one(policy, state, lead(), MONDAY_10).rep == "alice"


def test_a_rep_without_a_required_skill_is_excluded_as_skill_missing() -> None:
    policy = with_pool(TEAM, "team", skills=frozenset({"enterprise"}))
    decision = route_one(policy, RoutingState(), lead(), MONDAY_10)
    assert candidates(decision, "team") == {"alice": "skill_missing enterprise", "bob": None}
    assert decision.rep == "bob"


def test_a_previous_owner_is_excluded_as_previous_owner() -> None:
    decision = route_one(TEAM, RoutingState(), lead(previous_owners=["alice"]), MONDAY_10)
    assert candidates(decision, "team") == {"alice": "previous_owner", "bob": None}
    assert decision.rep == "bob"


def test_a_rep_on_time_off_is_skipped_and_rotation_does_not_stall() -> None:
    state = RoutingState()
    route(TEAM, state, 1, MONDAY_10)  # alice
    start = to_epoch(MONDAY_10)
    policy = with_rep(TEAM, "bob", time_off=(Period(start, start + 3600),))
    during = route(policy, state, 2, MONDAY_10 + timedelta(minutes=10))
    after = route(policy, state, 2, MONDAY_10 + timedelta(hours=2))
    assert [d.rep for d in during + after] == ["alice", "alice", "bob", "alice"]


# working hours

NIGHT = policy_from("""
    reps:
      - {id: alice, name: Alice, calendar: us-east}
    pools:
      day: {strategy: round_robin, members: [alice]}
      any-hour: {strategy: round_robin, members: [alice], respect_hours: false}
    rules:
      - {name: urgent, when: {urgent: true}, route: any-hour}
      - {name: normal, route: day}
""")


def test_a_pool_that_respects_hours_does_not_assign_after_hours() -> None:
    decision = route_one(NIGHT, RoutingState(), lead(), MONDAY_20)
    assert candidates(decision, "day") == {"alice": "outside_hours"}
    assert decision.outcome is Outcome.UNASSIGNED


def test_a_pool_with_respect_hours_false_ignores_working_hours() -> None:
    decision = route_one(NIGHT, RoutingState(), lead(urgent=True), MONDAY_20)
    assert (decision.pool, decision.rep) == ("any-hour", "alice")


def test_respect_hours_false_still_honours_time_off() -> None:
    start = to_epoch(MONDAY_20)
    policy = with_rep(NIGHT, "alice", time_off=(Period(start - 60, start + 60),))
    decision = route_one(policy, RoutingState(), lead(urgent=True), MONDAY_20)
    assert candidates(decision, "any-hour") == {"alice": "time_off"}


# caps count days in the rep's own time zone

LATE = policy_from("""
    reps:
      - {id: nyc, name: New York Rep, calendar: us-east, caps: {per_day: 1}}
      - {id: tokyo, name: Tokyo Rep, calendar: tokyo, caps: {per_day: 1}}
    pools:
      nyc: {strategy: round_robin, members: [nyc], respect_hours: false}
      tokyo: {strategy: round_robin, members: [tokyo], respect_hours: false}
    rules:
      - {name: nyc, when: {desk: nyc}, route: nyc}
      - {name: tokyo, when: {desk: tokyo}, route: tokyo}
""")
NY_2330 = datetime(2026, 11, 16, 23, 30, tzinfo=NY)  # Tuesday 13:30 in Tokyo
NY_0030 = datetime(2026, 11, 17, 0, 30, tzinfo=NY)  # Tuesday 14:30 in Tokyo
TOKYO_2330 = datetime(2026, 11, 17, 23, 30, tzinfo=TOKYO)  # Tuesday 09:30 in New York
TOKYO_0030 = datetime(2026, 11, 18, 0, 30, tzinfo=TOKYO)  # Tuesday 10:30 in New York


def test_a_new_york_reps_daily_cap_resets_at_new_york_midnight() -> None:
    state = RoutingState()
    first = route_one(LATE, state, lead(desk="nyc"), NY_2330)
    second = route_one(LATE, state, lead(desk="nyc"), NY_0030)
    assert (first.rep, second.rep) == ("nyc", "nyc")


def test_a_new_york_reps_daily_cap_holds_across_tokyo_midnight() -> None:
    state = RoutingState()
    first = route_one(LATE, state, lead(desk="nyc"), TOKYO_2330)
    second = route_one(LATE, state, lead(desk="nyc"), TOKYO_0030)
    assert (first.rep, second.rep) == ("nyc", None)
    assert candidates(second, "nyc") == {"nyc": "cap_per_day 1/1"}


def test_a_tokyo_reps_daily_cap_holds_across_new_york_midnight() -> None:
    state = RoutingState()
    first = route_one(LATE, state, lead(desk="tokyo"), NY_2330)
    second = route_one(LATE, state, lead(desk="tokyo"), NY_0030)
    assert (first.rep, second.rep) == ("tokyo", None)
    assert candidates(second, "tokyo") == {"tokyo": "cap_per_day 1/1"}


def test_a_tokyo_reps_daily_cap_resets_at_tokyo_midnight() -> None:
    state = RoutingState()
    first = route_one(LATE, state, lead(desk="tokyo"), TOKYO_2330)
    second = route_one(LATE, state, lead(desk="tokyo"), TOKYO_0030)
    assert (first.rep, second.rep) == ("tokyo", "tokyo")


# skills

SKILLS = policy_from("""
    reps:
      - {id: alice, name: Alice, skills: [enterprise]}
      - {id: dana, name: Dana, skills: [ES, enterprise]}
      - {id: greta, name: Greta, skills: [de]}
    pools:
      enterprise: {strategy: round_robin, members: [alice, dana, greta], skills: [enterprise]}
      language:
        strategy: round_robin
        members: [alice, dana, greta]
        skills: [{from: language}]
    rules:
      - {name: big, when: {employees: {gte: 1000}}, route: enterprise}
      - {name: everyone, route: language}
""")


def test_a_fixed_pool_skill_skips_reps_without_it() -> None:
    decisions = route(SKILLS, RoutingState(), [lead(employees=5000) for _ in range(3)], MONDAY_10)
    assert [d.rep for d in decisions] == ["alice", "dana", "alice"]


def test_a_skill_from_a_lead_field_picks_a_rep_with_that_skill_in_any_case() -> None:
    decision = route_one(SKILLS, RoutingState(), lead(language="es"), MONDAY_10)
    assert candidates(decision, "language") == {
        "alice": "skill_missing es",
        "dana": None,
        "greta": "skill_missing es",
    }
    assert decision.rep == "dana"


def test_a_skill_from_a_list_field_accepts_a_rep_with_any_of_them() -> None:
    decision = route_one(SKILLS, RoutingState(), lead(language=["DE", "es"]), MONDAY_10)
    assert candidates(decision, "language") == {
        "alice": "skill_missing de|es",
        "dana": None,
        "greta": None,
    }


def test_a_lead_without_the_skill_field_requires_no_skill() -> None:
    decision = route_one(SKILLS, RoutingState(), lead(), MONDAY_10)
    assert candidates(decision, "language") == {"alice": None, "dana": None, "greta": None}


def test_a_skill_nobody_has_leaves_the_pool_exhausted() -> None:
    decision = route_one(SKILLS, RoutingState(), lead(language="fr"), MONDAY_10)
    assert decision.outcome is Outcome.UNASSIGNED
    assert set(candidates(decision, "language").values()) == {"skill_missing fr"}


# overflow, hold, fallback

CHAIN = policy_from("""
    reps:
      - {id: alice, name: Alice}
      - {id: bob, name: Bob}
      - {id: carol, name: Carol}
      - {id: dana, name: Dana}
    pools:
      first: {strategy: round_robin, members: [alice], overflow: second}
      second: {strategy: round_robin, members: [bob], overflow: third}
      third: {strategy: round_robin, members: [carol]}
      general: {strategy: round_robin, members: [dana]}
    rules:
      - {name: inbound, when: {source: web}, route: first}
    fallback: general
""")


def away(*reps: str) -> RoutingState:
    state = RoutingState()
    for rep in reps:
        state.update_rep(rep, {"presence": "away"})
    return state


def test_a_pool_with_nobody_eligible_overflows_to_the_next_pool() -> None:
    decision = route_one(CHAIN, away("alice"), lead(source="web"), MONDAY_10)
    assert (decision.pool, decision.rep, decision.rule) == ("second", "bob", "inbound")


def test_the_overflow_chain_is_followed_to_its_end() -> None:
    decision = route_one(CHAIN, away("alice", "bob"), lead(source="web"), MONDAY_10)
    assert (decision.pool, decision.rep) == ("third", "carol")
    assert [(p["pool"], p["via"], p["result"]) for p in decision.record["pools"]] == [
        ("first", "rule:inbound", "exhausted"),
        ("second", "overflow:first", "exhausted"),
        ("third", "overflow:second", "assigned"),
    ]


def test_an_exhausted_overflow_chain_goes_to_the_fallback() -> None:
    decision = route_one(CHAIN, away("alice", "bob", "carol"), lead(source="web"), MONDAY_10)
    assert (decision.pool, decision.rep, decision.rule) == ("general", "dana", "inbound")
    assert decision.record["fallback"] == {"reason": "pools_exhausted", "pool": "general"}


def test_an_exhausted_fallback_leaves_the_lead_unassigned_with_a_reason() -> None:
    state = away("alice", "bob", "carol", "dana")
    decision = route_one(CHAIN, state, lead(source="web"), MONDAY_10)
    assert (decision.outcome, decision.rep, decision.changes) == (Outcome.UNASSIGNED, None, ())
    assert decision.reason == (
        "pools_exhausted: fallback pool general and its overflow have no eligible rep"
    )
    assert decision.record["outcome"] == "unassigned"
    assert decision.record["reason"] == decision.reason


def test_a_lead_no_rule_matches_without_a_fallback_is_unassigned_with_a_reason() -> None:
    policy = dataclasses.replace(CHAIN, fallback=None)
    decision = route_one(policy, RoutingState(), lead(source="phone"), MONDAY_10)
    assert decision.outcome is Outcome.UNASSIGNED
    assert decision.reason == "no_rule_matched: the policy has no fallback pool"


def test_a_fallback_already_tried_in_the_chain_is_not_tried_twice() -> None:
    policy = dataclasses.replace(CHAIN, fallback="second")
    decision = route_one(policy, away("alice", "bob", "carol"), lead(source="web"), MONDAY_10)
    assert decision.outcome is Outcome.UNASSIGNED
    assert decision.reason == (
        "pools_exhausted: fallback pool second was already tried and has no eligible rep"
    )
    assert [p["pool"] for p in decision.record["pools"]] == ["first", "second", "third"]


HOLD = policy_from("""
    reps:
      - {id: greta, name: Greta, calendar: emea}
      - {id: hugo, name: Hugo, calendar: emea}
      - {id: bob, name: Bob}
    pools:
      europe: {strategy: round_robin, members: [greta, hugo], when_unavailable: hold}
      general: {strategy: round_robin, members: [bob]}
    rules:
      - {name: europe, when: {country: [GB, DE]}, route: europe}
    fallback: general
""")
LONDON_9 = datetime(2026, 11, 17, 9, 0, tzinfo=ZoneInfo("Europe/London"))


def test_a_hold_pool_with_nobody_eligible_queues_the_lead() -> None:
    decision = route_one(HOLD, RoutingState(), lead(country="DE"), MONDAY_20)
    assert (decision.outcome, decision.pool, decision.rep) == (Outcome.QUEUED, "europe", None)
    assert decision.reason == "held for pool europe: no member eligible"
    assert decision.changes == ()


def test_a_held_lead_is_not_assigned_while_nobody_is_back() -> None:
    one = lead(country="DE")
    held = route_one(HOLD, RoutingState(), one, MONDAY_20)
    later = MONDAY_20 + timedelta(hours=2)  # 03:00 in London
    assert assign_held(one, "europe", held.rule, HOLD, RoutingState(), later) is None


def test_assign_held_assigns_the_lead_when_a_member_is_back() -> None:
    state = RoutingState()
    one = lead(country="DE")
    held = route_one(HOLD, state, one, MONDAY_20)
    decision = assign_held(one, "europe", held.rule, HOLD, state, LONDON_9)
    assert decision is not None
    assert (decision.outcome, decision.pool, decision.rep, decision.rule) == (
        Outcome.ASSIGNED,
        "europe",
        "greta",
        "europe",
    )
    assert decision.record["held_for"] == "europe"


def test_assign_held_moves_the_rotation_like_any_assignment() -> None:
    state = RoutingState()
    one, two = lead(country="DE"), lead(country="GB")
    route(HOLD, state, [one, two], MONDAY_20)
    reps = []
    for held in (one, two):
        decision = assign_held(held, "europe", "europe", HOLD, state, LONDON_9)
        assert decision is not None
        state.apply(decision.changes)
        reps.append(decision.rep)
    assert reps == ["greta", "hugo"]


# by field

REQUESTED = policy_from("""
    reps:
      - {id: alice, name: Alice, email: alice@example.com}
      - {id: bob, name: Bob, email: bob@example.com}
      - {id: carol, name: Carol}
    pools:
      requested: {strategy: by_field, field: requested_rep}
      general: {strategy: round_robin, members: [carol]}
    rules:
      - {name: requested, when: {requested_rep: {exists: true}}, route: requested}
      - {name: us, when: {country: US}, route: general}
      - {name: rest, nurture: unrouted}
""")


def test_by_field_assigns_the_rep_the_lead_names_by_id() -> None:
    decision = route_one(REQUESTED, RoutingState(), lead(requested_rep="bob"), MONDAY_10)
    assert (decision.rule, decision.pool, decision.rep) == ("requested", "requested", "bob")


def test_by_field_assigns_the_rep_the_lead_names_by_email() -> None:
    one = lead(requested_rep="ALICE@example.com")
    decision = route_one(REQUESTED, RoutingState(), one, MONDAY_10)
    assert (decision.pool, decision.rep) == ("requested", "alice")


def test_by_field_naming_an_unknown_rep_does_not_place_the_lead_and_the_next_rule_is_tried() -> (
    None
):
    one = lead(requested_rep="zoe@example.com", country="US")
    decision = route_one(REQUESTED, RoutingState(), one, MONDAY_10)
    assert (decision.rule, decision.pool, decision.rep) == ("us", "general", "carol")
    assert decision.record["rules"][0]["result"] == "not_placed: by_field named no eligible rep"


def test_by_field_naming_an_ineligible_rep_does_not_place_the_lead_and_the_next_rule_is_tried() -> (
    None
):
    one = lead(requested_rep="bob", country="US")
    decision = route_one(REQUESTED, away("bob"), one, MONDAY_10)
    assert (decision.rule, decision.pool, decision.rep) == ("us", "general", "carol")


def test_by_field_naming_an_ineligible_rep_records_why_the_rep_was_passed_over() -> None:
    one = lead(requested_rep="bob", country="US")
    decision = route_one(REQUESTED, away("bob"), one, MONDAY_10)
    assert contains(decision.record, {"rep": "bob", "eligible": False, "reason": "away"})


def test_by_field_naming_an_unknown_rep_with_no_later_rule_is_not_lost() -> None:
    one = lead(requested_rep="zoe")
    decision = route_one(REQUESTED, RoutingState(), one, MONDAY_10)
    assert (decision.outcome, decision.rule, decision.reason) == (
        Outcome.NURTURE,
        "rest",
        "unrouted",
    )


def test_every_lead_gets_an_outcome_and_none_is_dropped() -> None:
    state = away("alice", "bob", "carol", "dana")
    leads = [lead(source="web"), lead(source="phone"), lead()]
    decisions = route(CHAIN, state, leads, MONDAY_10)
    assert [(d.lead_id, d.outcome) for d in decisions] == [
        (one.id, Outcome.UNASSIGNED) for one in leads
    ]
    assert all(d.reason for d in decisions)


def test_records_are_independent_between_decisions() -> None:
    first, second = route(RULES, RoutingState(), [lead(country="US"), lead(score=1)], MONDAY_10)
    assert first.record["outcome"] == "assigned"
    assert second.record["outcome"] == "nurture"
    assert len(first.record["rules"]) == 2


def test_assign_held_assigns_the_lead_when_an_away_member_comes_back() -> None:
    state = away("greta", "hugo")
    one = lead(country="GB")
    held = route_one(HOLD, state, one, LONDON_9)
    assert held.outcome is Outcome.QUEUED
    state.update_rep("hugo", {"presence": "available"})
    decision = assign_held(one, "europe", held.rule, HOLD, state, LONDON_9 + timedelta(minutes=5))
    assert decision is not None
    assert (decision.outcome, decision.rep) == (Outcome.ASSIGNED, "hugo")


def test_a_second_rule_to_the_same_by_field_pool_also_falls_through_to_the_next_rule() -> None:
    policy = policy_from("""
        reps:
          - {id: bob, name: Bob}
          - {id: carol, name: Carol}
        pools:
          requested: {strategy: by_field, field: requested_rep}
          general: {strategy: round_robin, members: [carol]}
          nobody: {strategy: round_robin, members: []}
        rules:
          - {name: vip, when: {vip: true}, route: requested}
          - {name: requested, when: {requested_rep: {exists: true}}, route: requested}
          - {name: us, when: {country: US}, route: general}
        fallback: nobody
    """)
    one = lead(vip=True, requested_rep="zoe", country="US")
    decision = route_one(policy, RoutingState(), one, MONDAY_10)
    assert (decision.rule, decision.pool, decision.rep) == ("us", "general", "carol")
