"""Strategies: who of a pool's eligible members gets the next lead."""

from __future__ import annotations

import itertools
import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from leadflow.core import (
    Decision,
    Lead,
    Member,
    Policy,
    Pool,
    Rep,
    RoutingState,
    Rule,
    compile_condition,
    decide,
)
from leadflow.core.policy import ActionKind, Strategy
from leadflow.policy import load_policy

T0 = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
_ids = itertools.count(1)


def policy_from(text: str) -> Policy:
    return load_policy(textwrap.dedent(text))


def lead(**fields: Any) -> Lead:
    return Lead(f"lead-{next(_ids)}", fields)


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


def owners(decisions: Sequence[Decision]) -> list[str | None]:
    return [d.rep for d in decisions]


def team(strategy: Strategy, members: Sequence[str | Member], **pool: Any) -> Policy:
    """Reps named after the members, one pool `team`, and a rule that routes every lead there.

    A lead with an `owner` field goes to the by_field pool `setup` instead: it gives a rep load
    the way production does, through a decision.
    """
    ms = tuple(m if isinstance(m, Member) else Member(m) for m in members)
    reps = {m.rep: Rep(m.rep, m.rep.title()) for m in ms}
    pools = {
        "team": Pool("team", strategy, ms, **pool),
        "setup": Pool("setup", Strategy.BY_FIELD, (), field="owner"),
    }
    rules = (
        Rule("setup", compile_condition({"owner": {"exists": True}}), ActionKind.ROUTE, "setup"),
        Rule("everyone", None, ActionKind.ROUTE, "team"),
    )
    return Policy(timezone="UTC", reps=reps, pools=pools, rules=rules)


def give(policy: Policy, state: RoutingState, reps: Sequence[str], at: datetime) -> None:
    """Assign one lead to each of `reps`, in order, a minute apart (through decisions)."""
    decisions = route(policy, state, [lead(owner=r) for r in reps], at)
    assert owners(decisions) == list(reps)


# round robin

ROTATION = """
    version: 1
    timezone: UTC
    reps:
      - {id: alice, name: Alice}
      - {id: bob, name: Bob}
      - {id: carol, name: Carol}
      - {id: dana, name: Dana}
    pools:
      team: {strategy: round_robin, members: [%s]}
    rules:
      - {name: everyone, route: team}
    fallback: team
"""


def rotation(*members: str) -> Policy:
    return policy_from(ROTATION % ", ".join(members))


def test_round_robin_assigns_in_member_order() -> None:
    policy = rotation("alice", "bob", "carol")
    decisions = route(policy, RoutingState(), 7, T0)
    assert owners(decisions) == ["alice", "bob", "carol", "alice", "bob", "carol", "alice"]


def test_round_robin_follows_member_order_not_the_order_reps_are_listed() -> None:
    policy = rotation("carol", "alice", "bob")
    assert owners(route(policy, RoutingState(), 4, T0)) == ["carol", "alice", "bob", "carol"]


def test_round_robin_records_the_rep_assigned_before_and_after() -> None:
    policy = rotation("alice", "bob", "carol")
    state = RoutingState()
    route(policy, state, 1, T0)
    (decision,) = route(policy, state, 1, T0 + timedelta(hours=1))
    entry = decision.record["pools"][0]
    assert (entry["state_before"], entry["state_after"]) == ({"last": "alice"}, {"last": "bob"})


def test_an_away_rep_is_skipped_and_the_rotation_does_not_stall() -> None:
    policy = rotation("alice", "bob", "carol")
    state = RoutingState()
    route(policy, state, 1, T0)
    state.update_rep("bob", {"presence": "away"})
    later = route(policy, state, 3, T0 + timedelta(hours=1))
    assert owners(later) == ["carol", "alice", "carol"]


def test_a_rep_back_from_away_rejoins_the_rotation_and_is_not_owed_leads() -> None:
    policy = rotation("alice", "bob", "carol")
    state = RoutingState()
    route(policy, state, 1, T0)
    state.update_rep("bob", {"presence": "away"})
    route(policy, state, 2, T0 + timedelta(hours=1))  # carol, alice
    state.update_rep("bob", {"presence": "available"})
    back = route(policy, state, 6, T0 + timedelta(hours=2))
    assert owners(back) == ["bob", "carol", "alice", "bob", "carol", "alice"]


def test_adding_a_member_does_not_reset_the_rotation() -> None:
    state = RoutingState()
    route(rotation("alice", "bob", "carol"), state, 2, T0)  # alice, bob
    after = route(rotation("alice", "bob", "carol", "dana"), state, 2, T0 + timedelta(hours=1))
    assert owners(after) == ["carol", "dana"]


def test_adding_a_member_does_not_flood_the_new_rep() -> None:
    state = RoutingState()
    route(rotation("alice", "bob", "carol"), state, 4, T0)  # alice, bob, carol, alice
    after = route(rotation("alice", "bob", "carol", "dana"), state, 8, T0 + timedelta(hours=1))
    assert Counter(owners(after)) == {"alice": 2, "bob": 2, "carol": 2, "dana": 2}
    assert owners(after)[:4] == ["bob", "carol", "dana", "alice"]


def test_a_member_added_in_the_middle_takes_their_turn_in_member_order() -> None:
    state = RoutingState()
    route(rotation("alice", "bob", "carol"), state, 1, T0)  # alice
    after = route(rotation("alice", "dana", "bob", "carol"), state, 4, T0 + timedelta(hours=1))
    assert owners(after) == ["dana", "bob", "carol", "alice"]


def test_removing_the_rep_assigned_last_continues_with_the_one_after_them() -> None:
    state = RoutingState()
    route(rotation("alice", "bob", "carol"), state, 2, T0)  # alice, bob
    after = route(rotation("alice", "carol"), state, 3, T0 + timedelta(hours=1))
    assert owners(after) == ["carol", "alice", "carol"]


def test_removing_the_last_two_reps_of_the_order_wraps_to_the_first_one_left() -> None:
    state = RoutingState()
    route(rotation("alice", "bob", "carol", "dana"), state, 3, T0)  # alice, bob, carol
    after = route(rotation("alice", "bob"), state, 2, T0 + timedelta(hours=1))
    assert owners(after) == ["alice", "bob"]


def test_removing_a_rep_who_was_not_last_keeps_the_rotation() -> None:
    state = RoutingState()
    route(rotation("alice", "bob", "carol"), state, 2, T0)  # alice, bob
    after = route(rotation("bob", "carol"), state, 3, T0 + timedelta(hours=1))
    assert owners(after) == ["carol", "bob", "carol"]


# weighted


def weighted(**weights: int) -> Policy:
    return team(Strategy.WEIGHTED, [Member(rep, w) for rep, w in weights.items()])


def test_weighted_1_to_2_over_six_leads_gives_exactly_2_and_4() -> None:
    decisions = route(weighted(alice=1, bob=2), RoutingState(), 6, T0)
    assert Counter(owners(decisions)) == {"alice": 2, "bob": 4}


def test_weighted_interleaves_the_heavier_rep_rather_than_giving_a_run() -> None:
    decisions = route(weighted(alice=1, bob=2), RoutingState(), 6, T0)
    assert owners(decisions) == ["bob", "alice", "bob", "bob", "alice", "bob"]


def test_weighted_every_window_of_sum_of_weights_picks_gives_exactly_the_weights() -> None:
    weights = {"alice": 1, "bob": 2, "carol": 3}
    picks = owners(route(weighted(**weights), RoutingState(), 60, T0))
    for start in range(len(picks) - 6 + 1):
        assert Counter(picks[start : start + 6]) == weights, f"window at {start}"


def test_weighted_weights_with_a_common_factor_keep_their_ratio() -> None:
    picks = owners(route(weighted(alice=2, bob=4), RoutingState(), 6, T0))
    assert Counter(picks) == {"alice": 2, "bob": 4}


def test_weighted_an_away_reps_slots_go_to_others_and_are_not_paid_back() -> None:
    policy = weighted(alice=1, bob=2)
    state = RoutingState()
    state.update_rep("bob", {"presence": "away"})
    assert owners(route(policy, state, 3, T0)) == ["alice", "alice", "alice"]
    state.update_rep("bob", {"presence": "available"})
    back = owners(route(policy, state, 30, T0 + timedelta(hours=1)))
    for start in range(len(back) - 3 + 1):
        assert Counter(back[start : start + 3]) == {"alice": 1, "bob": 2}, f"window at {start}"


# least loaded


def test_least_loaded_picks_the_rep_with_fewest_open_leads() -> None:
    policy = team(Strategy.LEAST_LOADED, ["alice", "bob", "carol"])
    state = RoutingState()
    give(policy, state, ["alice", "bob", "carol"], T0)
    state.release("carol", "setup")  # carol: fewest open, though last in order and most recent
    (decision,) = route(policy, state, 1, T0 + timedelta(hours=1))
    assert decision.rep == "carol"


def test_least_loaded_ties_go_to_the_least_recently_assigned_rep() -> None:
    policy = team(Strategy.LEAST_LOADED, ["alice", "bob", "carol"])
    state = RoutingState()
    give(policy, state, ["carol", "bob", "alice"], T0)  # one open each; carol's is oldest
    (decision,) = route(policy, state, 1, T0 + timedelta(hours=1))
    assert decision.rep == "carol"
    assert decision.record["pools"][0]["tie_break"] == (
        "fewest open (1) shared: least recently assigned"
    )


def test_least_loaded_ties_among_reps_never_assigned_go_by_member_order() -> None:
    policy = team(Strategy.LEAST_LOADED, ["carol", "alice", "bob"])
    (decision,) = route(policy, RoutingState(), 1, T0)
    assert decision.rep == "carol"
    assert decision.record["pools"][0]["tie_break"] == "fewest open (0) shared: member order"


def test_least_loaded_spreads_leads_over_an_idle_team() -> None:
    policy = team(Strategy.LEAST_LOADED, ["alice", "bob", "carol"])
    decisions = route(policy, RoutingState(), 6, T0)
    assert owners(decisions) == ["alice", "bob", "carol", "alice", "bob", "carol"]


def test_closing_a_lead_lowers_the_reps_load() -> None:
    policy = team(Strategy.LEAST_LOADED, ["alice", "bob"])
    state = RoutingState()
    give(policy, state, ["alice", "alice", "bob"], T0)
    state.release("alice", "setup")
    state.release("alice", "setup")
    (decision,) = route(policy, state, 1, T0 + timedelta(hours=1))
    assert decision.rep == "alice"
    assert decision.record["pools"][0]["state_before"] == {"open": {"alice": 0, "bob": 1}}


def test_least_loaded_without_closed_leads_picks_the_less_loaded_rep() -> None:
    policy = team(Strategy.LEAST_LOADED, ["alice", "bob"])
    state = RoutingState()
    give(policy, state, ["alice", "alice", "bob"], T0)
    (decision,) = route(policy, state, 1, T0 + timedelta(hours=1))
    assert decision.rep == "bob"


def test_releasing_a_rep_with_no_open_leads_keeps_the_load_at_zero() -> None:
    policy = team(Strategy.LEAST_LOADED, ["alice", "bob"])
    state = RoutingState()
    give(policy, state, ["bob"], T0)
    state.release("alice", None)
    state.release("bob", "setup")
    state.release("bob", "setup")
    (decision,) = route(policy, state, 1, T0 + timedelta(hours=1))
    assert decision.record["pools"][0]["state_before"] == {"open": {"alice": 0, "bob": 0}}


# by field


def test_by_field_assigns_the_rep_named_by_id() -> None:
    policy = team(Strategy.ROUND_ROBIN, ["alice", "bob", "carol"])
    (decision,) = route(policy, RoutingState(), [lead(owner="carol")], T0)
    assert (decision.rep, decision.pool) == ("carol", "setup")


def test_by_field_assigns_the_rep_named_by_email_in_any_case() -> None:
    reps = {
        "alice": Rep("alice", "Alice", email="alice@example.com"),
        "bob": Rep("bob", "Bob", email="bob@example.com"),
    }
    pool = Pool("requested", Strategy.BY_FIELD, (), field="requested_rep")
    policy = Policy(
        "UTC", reps, {"requested": pool}, (Rule("r", None, ActionKind.ROUTE, pool.name),)
    )
    (decision,) = route(policy, RoutingState(), [lead(requested_rep=" Bob@Example.COM ")], T0)
    assert decision.rep == "bob"


def test_by_field_with_members_only_assigns_a_member() -> None:
    reps = {r: Rep(r, r.title()) for r in ("alice", "bob")}
    pool = Pool("requested", Strategy.BY_FIELD, (Member("alice"),), field="requested_rep")
    rules = (
        Rule("requested", None, ActionKind.ROUTE, "requested"),
        Rule("rest", None, ActionKind.NURTURE, "no-owner"),
    )
    policy = Policy("UTC", reps, {"requested": pool}, rules)
    named_member, named_other = route(
        policy, RoutingState(), [lead(requested_rep="alice"), lead(requested_rep="bob")], T0
    )
    assert named_member.rep == "alice"
    assert (named_other.rep, named_other.rule) == (None, "rest")


def test_by_field_does_not_move_any_rotation() -> None:
    policy = team(Strategy.ROUND_ROBIN, ["alice", "bob", "carol"])
    state = RoutingState()
    route(policy, state, [lead(owner="bob"), lead(owner="bob")], T0)
    assert owners(route(policy, state, 2, T0 + timedelta(hours=1))) == ["alice", "bob"]
