"""The decision in words: tables of decision records (and the policy) -> the sentences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadflow.core import Lead, RoutingState, decide
from leadflow.decision_words import DecisionSaid, Known, describe
from leadflow.policy import load_policy

NY = ZoneInfo("America/New_York")
MONDAY_1430 = datetime(2026, 11, 16, 14, 30, tzinfo=NY)  # 20:30 in Berlin: closed there
POLICY = load_policy("""
version: 1
timezone: America/New_York
calendars:
  us-east: {hours: {mon-fri: ["09:00-17:00"]}}
  berlin: {timezone: Europe/Berlin, hours: {mon-fri: ["09:00-17:00"]}}
territories:
  northeast: {country: US, state: [NY, MA]}
reps:
  - {id: alice, name: Alice Adams, calendar: us-east, caps: {per_day: 12}}
  - {id: bob, name: Bob Brown, calendar: us-east}
  - {id: chen, name: Chen Li, calendar: berlin}
  - {id: dana, name: Dana Diaz, calendar: us-east}
  - {id: eve, name: Eve Ng, calendar: us-east, time_off: [{from: "2026-11-16", to: "2026-11-20"}]}
pools:
  general: {strategy: round_robin, members: [alice, bob, chen]}
  enterprise: {strategy: round_robin, members: [dana], overflow: general}
  loaded: {strategy: least_loaded, members: [alice, bob]}
rules:
  - {name: northeast, when: {territory: northeast}, route: general}
  - name: enterprise
    when: {all: [{employees: {gte: 1000}}, {country: [US, CA]}]}
    route: enterprise
  - {name: vip, when: {vip: true}, assign: eve}
fallback: general
""")


def record(**parts: Any) -> dict[str, Any]:
    return {"lead_id": "L-1", "at": MONDAY_1430.isoformat(), "outcome": "assigned", **parts}


def pool_entry(*candidates: dict[str, Any], strategy: str = "round_robin", **more: Any) -> Any:
    return {"pool": "general", "via": "rule:x", "strategy": strategy,
            "candidates": list(candidates), **more}  # fmt: skip


def said_for(reason: str, rep: str = "alice", known: Known | None = None) -> str:
    entry = pool_entry({"rep": rep, "eligible": False, "reason": reason}, result="exhausted")
    words = describe(record(pools=[entry]), POLICY, known or Known(zone="America/New_York"))
    return words.pools[0].candidates[0].why


@pytest.mark.parametrize(
    ("reason", "rep", "sentence"),
    [
        ("cap_per_day 12/12", "alice", "Cap reached: 12 of 12 today"),
        ("cap_per_week 40/40", "alice", "Cap reached: 40 of 40 this week"),
        ("cap_open 30/30", "alice", "Cap reached: 30 of 30 open leads"),
        ("pool_cap_per_day 5/5", "alice", "Pool cap reached: 5 of 5 today from this pool"),
        ("pool_cap_open 3/3", "alice", "Pool cap reached: 3 of 3 open leads from this pool"),
        ("outside_hours", "chen", "Outside working hours: starts Tue 09:00 Europe/Berlin"),
        ("time_off", "eve", "On time off (back Nov 21, 00:00 EST)"),
        ("inactive", "alice", "Inactive: not taking leads"),
        ("away", "alice", "Away"),
        ("skill_missing es", "alice", "Missing skill: es"),
        ("skill_missing es,healthcare", "alice", "Missing skills: es, healthcare"),
        ("skill_missing de|fr", "alice", "Missing skill: de or fr"),
        ("previous_owner", "alice", "Already had this lead"),
        ("unknown_rep", "zed", "Not a rep of the policy"),
        ("a_reason_from_later cap", "alice", "a_reason_from_later cap"),
    ],
)
def test_each_reason_a_rep_was_passed_over_reads_as_a_sentence(
    reason: str, rep: str, sentence: str
) -> None:
    assert said_for(reason, rep) == sentence


def test_outside_hours_on_the_day_names_only_the_time_it_starts() -> None:
    early = record(at=datetime(2026, 11, 16, 7, 0, tzinfo=NY).isoformat())
    early["pools"] = [pool_entry({"rep": "bob", "eligible": False, "reason": "outside_hours"})]
    words = describe(early, POLICY, Known())
    assert (
        words.pools[0].candidates[0].why == "Outside working hours: starts 09:00 America/New_York"
    )


def test_away_says_since_when_in_the_viewer_s_zone() -> None:
    known = Known(
        zone="America/New_York", away={"alice": [datetime(2026, 11, 16, 19, 2, tzinfo=UTC)]}
    )
    assert said_for("away", known=known) == "Away (since 14:02 EST)"


def test_away_since_another_day_gives_the_date() -> None:
    then = MONDAY_1430 - timedelta(days=3)
    known = Known(zone="America/New_York", away={"alice": [then]})
    assert said_for("away", known=known) == "Away (since Nov 13, 14:30 EST)"


def test_away_since_uses_the_latest_change_before_the_decision_not_after() -> None:
    before, after = MONDAY_1430 - timedelta(hours=2), MONDAY_1430 + timedelta(hours=1)
    known = Known(zone="America/New_York", away={"alice": [before, after]})
    assert said_for("away", known=known) == "Away (since 12:30 EST)"


def test_runtime_time_off_says_when_the_rep_is_back() -> None:
    off = (MONDAY_1430 - timedelta(hours=1), MONDAY_1430 + timedelta(hours=3))
    known = Known(zone="America/New_York", time_off={"bob": [off]})
    assert said_for("time_off", "bob", known) == "On time off (back 17:30 EST)"


@pytest.mark.parametrize(
    ("how", "sentence"),
    [
        ("rejected", "Already rejected this lead"),
        ("reassigned", "Already had this lead: a manager moved it"),
        ("sla", "Already had this lead: missed its SLA"),
    ],
)
def test_a_previous_owner_says_how_they_lost_the_lead(how: str, sentence: str) -> None:
    known = Known(left=[(MONDAY_1430 - timedelta(minutes=1), "alice", how)])
    assert said_for("previous_owner", known=known) == sentence


def test_how_previous_owners_lost_the_lead_is_read_from_its_timeline() -> None:
    class Ev:
        def __init__(self, type_: str, **data: Any) -> None:
            self.at, self.type, self.data = MONDAY_1430, type_, data

    events = [
        Ev("rerouted", reason="rejected", previous_owner="alice"),
        Ev("rerouted", reason="reassigned", previous_owner="bob"),
        Ev("sla.reassigned", frm="chen", to="dana"),
        Ev("accepted"),
    ]
    lost = [(rep, how) for _, rep, how in Known.lost_by(events)]
    assert lost == [("alice", "rejected"), ("bob", "reassigned"), ("chen", "sla")]


def decided(fields: dict[str, Any], state: RoutingState | None = None) -> DecisionSaid:
    state = state or RoutingState()
    decision = decide(Lead("L-1", fields), POLICY, state, MONDAY_1430)
    return describe(decision.record, POLICY, Known(zone="America/New_York"))


def test_a_matched_rule_says_what_the_lead_had_and_what_the_rule_needs() -> None:
    (_, enterprise) = decided({"employees": 1200, "country": "US"}).rules
    assert (enterprise.rule, enterprise.matched) == ("enterprise", True)
    assert (
        enterprise.why == "employees was 1200 (needs ≥ 1000), country was US (needs one of US, CA)"
    )
    assert enterprise.then == "routed to pool enterprise"


def test_a_rule_that_did_not_match_says_only_the_part_that_failed() -> None:
    rules = decided({"employees": 40, "country": "US"}).rules
    enterprise = next(r for r in rules if r.rule == "enterprise")
    assert (enterprise.matched, enterprise.why) == (False, "employees was 40 (needs ≥ 1000)")


def test_a_territory_rule_says_the_fields_it_looked_at() -> None:
    northeast = decided({"country": "US", "state": "TX"}).rules[0]
    assert northeast.why == "country was US, state was TX (needs territory northeast)"


def test_a_missing_field_reads_as_not_given() -> None:
    rules = decided({"country": "US"}).rules
    enterprise = next(r for r in rules if r.rule == "enterprise")
    assert enterprise.why == "employees was not given (needs ≥ 1000)"


def test_the_picked_rep_of_a_round_robin_is_next_after_the_last_one() -> None:
    state = RoutingState()
    first = decide(Lead("L-0", {}), POLICY, state, MONDAY_1430)
    state.apply(first.changes)
    (pool,) = decided({}, state).pools
    assert [(c.name, c.why) for c in pool.candidates] == [
        ("Alice Adams", "Could take it, but was not next in the round robin"),
        ("Bob Brown", "Picked: next in the round robin after Alice Adams"),
        ("Chen Li", "Outside working hours: starts Tue 09:00 Europe/Berlin"),
    ]
    assert pool.result == "Assigned to Bob Brown"


def test_an_overflow_pool_says_where_the_lead_came_from() -> None:
    state = RoutingState()
    state.update_rep("dana", {"presence": "away"})
    pools = decided({"employees": 5000, "country": "US"}, state).pools
    assert [(p.pool, p.how, p.result) for p in pools] == [
        ("enterprise", "round robin, reached by rule enterprise", "Nobody could take it"),
        ("general", "round robin, overflow from pool enterprise", "Assigned to Alice Adams"),
    ]


def test_least_loaded_says_how_many_open_leads_each_had() -> None:
    entry = pool_entry({"rep": "alice", "eligible": True}, {"rep": "bob", "eligible": True},
                       strategy="least_loaded", picked="bob", result="assigned",
                       state_before={"open": {"alice": 5, "bob": 3}})  # fmt: skip
    (pool,) = describe(record(pools=[entry]), POLICY, Known()).pools
    assert [c.why for c in pool.candidates] == [
        "Could take it, but had 5 open leads (Bob Brown had 3)",
        "Picked: fewest open leads (3)",
    ]


def test_an_assign_rule_whose_rep_is_on_time_off_says_so_and_that_the_next_rule_was_tried() -> None:
    rules = decided({"vip": True}).rules
    vip = next(r for r in rules if r.rule == "vip")
    assert vip.then == (
        "assign to Eve Ng: on time off (back Nov 21, 00:00 EST); "
        "it placed nothing, so the next rule was tried"
    )


@pytest.mark.parametrize(
    ("parts", "headline"),
    [
        ({"rep": "bob", "pool": "general", "matched_rule": "enterprise"},
         "Assigned to Bob Brown by rule enterprise from pool general"),
        ({"outcome": "queued", "pool": "enterprise"},
         "Held for pool enterprise: nobody there could take it yet"),
        ({"outcome": "nurture", "reason": "low-fit", "matched_rule": "low"},
         "Sent to nurture (low-fit) by rule low"),
        ({"outcome": "merged", "matched_by": "email", "merged_into": "L-0"},
         "Merged into an open lead with the same email"),
        ({"outcome": "unassigned",
          "reason": "no_rule_matched: the policy has no fallback pool"},
         "Unassigned: no rule placed the lead; the policy has no fallback pool"),
        ({"rep": "bob", "manual": {"by": "maria@example.com", "from": "alice", "to": "bob"}},
         "Assigned by hand to Bob Brown"),
    ],
)  # fmt: skip
def test_the_headline_says_what_became_of_the_lead(parts: dict[str, Any], headline: str) -> None:
    assert describe(record(**parts), POLICY, Known()).headline == headline


def test_a_lead_moved_by_hand_says_who_moved_it_from_whom() -> None:
    manual = {"by": "maria@example.com", "from": "alice", "to": "bob"}
    words = describe(record(rep="bob", manual=manual), POLICY, Known())
    assert words.notes == ("maria@example.com moved it from Alice Adams to Bob Brown.",)


def test_the_fallback_says_why_it_was_taken() -> None:
    words = describe(
        record(fallback={"reason": "no_rule_matched", "pool": "general"}), POLICY, Known()
    )
    assert (
        words.fallback == "No rule placed the lead: the policy's fallback pool general was tried."
    )


def test_the_account_match_has_its_name_confidence_and_reasons() -> None:
    match = {"id": "acc-7", "name": "Northwind Health", "score": 0.93,
             "reasons": ["name_fuzzy:0.93", "domain_conflict"], "verdict": "review"}  # fmt: skip
    account = describe(record(quality={"account": match}), POLICY, Known()).account
    assert account is not None
    assert (account.name, account.id, account.percent, account.verdict) == (
        "Northwind Health",
        "acc-7",
        93,
        "sent to review",
    )
    assert account.reasons == (
        "a close company name (93%)",
        "the lead's domain is not one of the account's",
    )


def test_the_score_says_its_parts_and_the_points_of_each_rule() -> None:
    scored = {"score": 72.0, "tier": "warm", "fit": 50.0, "intent": 22.0,
              "points": [{"rule": "big", "kind": "fit", "points": 50.0},
                         {"rule": "free-mail", "kind": "fit", "points": -10.0}]}  # fmt: skip
    words = describe(record(quality={"score": scored}), POLICY, Known())
    assert words.score == "Score 72 (fit 50, intent 22), tier warm"
    assert words.points == ("big: +50 fit", "free-mail: −10 fit")


def test_a_record_of_an_unknown_policy_still_says_what_the_lead_had() -> None:
    rules = [{"rule": "enterprise", "matched": False, "reads": ["employees"]}]
    words = describe(record(rules=rules, saw={"employees": 40}, rep="bob"), None, Known())
    assert words.rules[0].why == "employees was 40"
    assert words.headline == "Assigned to bob"
