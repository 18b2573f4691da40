"""`reassign`: where a lead goes when its SLA is breached, and what the record says about it."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.core import Decision, Lead, Outcome, Policy, RoutingState, decide
from leadflow.core.decide import reassign
from leadflow.core.state import Assigned, RotationMoved
from leadflow.policy import load_policy

NOW = datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("America/New_York"))


def policy_from(body: str) -> Policy:
    return load_policy("version: 1\ntimezone: America/New_York\n" + textwrap.dedent(body))


POLICY = policy_from("""
    reps:
      - {id: alice, name: Alice}
      - {id: bob, name: Bob}
      - {id: carol, name: Carol}
      - {id: erin, name: Erin}
      - {id: frank, name: Frank}
      - {id: gina, name: Gina}
    pools:
      team: {strategy: round_robin, members: [alice, bob, carol], overflow: backup}
      backup: {strategy: round_robin, members: [erin]}
      solo: {strategy: round_robin, members: [alice]}
      waiting: {strategy: round_robin, members: [alice, bob], when_unavailable: hold}
      general: {strategy: round_robin, members: [frank]}
    rules:
      - {name: everyone, route: team}
    fallback: general
""")


def lead(*previous_owners: str, **fields: Any) -> Lead:
    return Lead("lead-1", fields, frozenset(previous_owners))


def away(*reps: str) -> RoutingState:
    state = RoutingState()
    for rep in reps:
        state.update_rep(rep, {"presence": "away"})
    return state


def moved_on(pool: str, last: str, order: Iterable[str]) -> RoutingState:
    """A state whose round robin in `pool` last assigned `last`."""
    state = RoutingState()
    state.apply([RotationMoved(pool, last, tuple(order), 0)])
    return state


def breach(
    one: Lead,
    pool: str | None = "team",
    state: RoutingState | None = None,
    *,
    to_overflow: bool = False,
    policy: Policy = POLICY,
    from_rep: str | None = None,
) -> Decision | None:
    return reassign(
        one,
        pool,
        "everyone",
        policy,
        state or RoutingState(),
        NOW,
        to_overflow=to_overflow,
        from_rep=from_rep,
    )


def candidates(decision: Decision, pool: str) -> dict[str, str | None]:
    (entry,) = [p for p in decision.record["pools"] if p["pool"] == pool]
    return {c["rep"]: c.get("reason") for c in entry["candidates"]}


# Within the pool


def test_a_reassigned_lead_goes_to_the_next_rep_of_its_pool_in_rotation() -> None:
    decision = breach(lead("alice"), state=moved_on("team", "alice", ["alice", "bob", "carol"]))
    assert decision is not None and (decision.rep, decision.pool) == ("bob", "team")


def test_the_rotation_skips_a_previous_owner_whose_turn_it_is() -> None:
    decision = breach(lead("bob"), state=moved_on("team", "alice", ["alice", "bob", "carol"]))
    assert decision is not None and decision.rep == "carol"


def test_a_reassignment_never_goes_back_to_any_previous_owner() -> None:
    decision = breach(
        lead("alice", "bob"), state=moved_on("team", "bob", ["alice", "bob", "carol"])
    )
    assert decision is not None and decision.rep == "carol"


def test_the_owner_taken_from_is_barred_even_when_not_yet_a_previous_owner() -> None:
    decision = breach(
        lead(), state=moved_on("team", "carol", ["alice", "bob", "carol"]), from_rep="alice"
    )
    assert decision is not None and decision.rep == "bob"


def test_a_reassignment_returns_the_assignment_and_the_rotation_as_changes() -> None:
    decision = breach(lead("alice"))
    assert decision is not None
    assert [type(change) for change in decision.changes] == [Assigned, RotationMoved]


def test_a_reassignments_changes_count_the_new_rep_in_the_pool() -> None:
    decision = breach(lead("alice"))
    assert decision is not None
    assigned = decision.changes[0]
    assert isinstance(assigned, Assigned) and (assigned.rep, assigned.pool) == ("bob", "team")


def test_a_reassignment_moves_the_round_robin_on() -> None:
    state = RoutingState()
    first = breach(lead("alice"), state=state)
    assert first is not None
    state.apply(first.changes)
    second = breach(lead("alice"), state=state)
    assert second is not None and (first.rep, second.rep) == ("bob", "carol")


def test_a_reassignment_is_an_assignment_with_the_reason_sla_reassign() -> None:
    decision = breach(lead("alice"))
    assert decision is not None
    assert (decision.outcome, decision.reason) == (Outcome.ASSIGNED, "sla_reassign")


def test_the_record_says_it_was_an_sla_reassignment_and_from_whom() -> None:
    decision = breach(lead("alice", "carol"), from_rep="alice")
    assert decision is not None
    assert decision.record["sla_reassign"] == {
        "from": "alice",
        "pool": "team",
        "to_overflow": False,
        "previous_owners": ["alice", "carol"],
    }


def test_the_record_tries_the_pool_via_sla_reassign() -> None:
    decision = breach(lead("alice"))
    assert decision is not None
    assert [(p["pool"], p["via"]) for p in decision.record["pools"]] == [("team", "sla_reassign")]


def test_previous_owners_show_as_previous_owner_in_the_candidates() -> None:
    decision = breach(lead("alice"))
    assert decision is not None
    assert candidates(decision, "team") == {"alice": "previous_owner", "bob": None, "carol": None}


def test_a_previous_owner_shows_as_previous_owner_even_when_also_away() -> None:
    decision = breach(lead("alice"), state=away("alice", "bob"))
    assert decision is not None
    assert candidates(decision, "team")["alice"] == "previous_owner"


def test_other_candidates_keep_their_own_reason() -> None:
    decision = breach(lead("alice"), state=away("bob"))
    assert decision is not None
    assert candidates(decision, "team")["bob"] == "away"


def test_the_decision_keeps_the_rule_that_first_placed_the_lead() -> None:
    decision = breach(lead("alice"))
    assert decision is not None
    assert (decision.rule, decision.record["matched_rule"]) == ("everyone", "everyone")


# When the pool is exhausted


def test_a_pool_with_only_previous_owners_left_sends_the_lead_down_its_overflow_chain() -> None:
    decision = breach(lead("alice", "bob", "carol"))
    assert decision is not None and (decision.rep, decision.pool) == ("erin", "backup")


def test_an_overflow_taken_on_reassignment_is_recorded_as_overflow() -> None:
    decision = breach(lead("alice"), state=away("bob", "carol"))
    assert decision is not None
    assert [p["via"] for p in decision.record["pools"]] == ["sla_reassign", "overflow:team"]


def test_a_reassignment_within_the_pool_does_not_go_to_the_fallback() -> None:
    assert breach(lead("alice"), state=away("bob", "carol", "erin")) is None


def test_nobody_able_to_take_the_lead_gives_none() -> None:
    assert breach(lead("alice"), "solo") is None


def test_a_pool_that_holds_does_not_queue_a_reassigned_lead() -> None:
    assert breach(lead("alice"), "waiting", away("bob")) is None


def test_a_reassignment_does_not_change_the_routing_of_new_leads() -> None:
    # `reassign` passes pools that hold over; `decide` still queues for them
    policy = policy_from("""
        reps: [{id: alice, name: Alice}]
        pools: {waiting: {strategy: round_robin, members: [alice], when_unavailable: hold}}
        rules: [{name: everyone, route: waiting}]
        fallback: waiting
    """)
    decision = decide(lead(), policy, away("alice"), NOW)
    assert decision.outcome is Outcome.QUEUED


# Reassignments ran out: to the overflow


def test_to_overflow_goes_to_the_pools_overflow_even_with_eligible_members() -> None:
    decision = breach(lead("alice"), to_overflow=True)
    assert decision is not None and (decision.rep, decision.pool) == ("erin", "backup")


def test_to_overflow_records_the_overflow_it_took() -> None:
    decision = breach(lead("alice"), to_overflow=True)
    assert decision is not None
    assert [(p["pool"], p["via"]) for p in decision.record["pools"]] == [
        ("backup", "overflow:team")
    ]


def test_to_overflow_goes_to_the_fallback_when_the_pool_has_no_overflow() -> None:
    decision = breach(lead("alice"), "solo", to_overflow=True)
    assert decision is not None and (decision.rep, decision.pool) == ("frank", "general")


def test_to_overflow_goes_to_the_fallback_when_the_overflow_is_exhausted() -> None:
    decision = breach(lead("alice"), state=away("erin"), to_overflow=True)
    assert decision is not None and (decision.rep, decision.pool) == ("frank", "general")


def test_the_fallback_taken_on_reassignment_is_in_the_record() -> None:
    decision = breach(lead("alice"), "solo", to_overflow=True)
    assert decision is not None
    assert decision.record["fallback"] == {"reason": "sla_reassign", "pool": "general"}


def test_to_overflow_never_goes_back_to_the_same_pool_as_the_fallback() -> None:
    assert breach(lead("frank"), "general", to_overflow=True) is None


def test_to_overflow_with_everyone_exhausted_gives_none() -> None:
    assert breach(lead("alice"), state=away("erin", "frank"), to_overflow=True) is None


def test_a_previous_owner_in_the_fallback_is_not_picked() -> None:
    assert breach(lead("alice", "frank"), "solo", to_overflow=True) is None


# A lead with no pool


def test_a_lead_assigned_without_a_pool_is_reassigned_from_the_fallback() -> None:
    decision = breach(lead("gina"), None)
    assert decision is not None and (decision.rep, decision.pool) == ("frank", "general")


def test_a_lead_whose_pool_left_the_policy_is_reassigned_from_the_fallback() -> None:
    decision = breach(lead("alice"), "disbanded")
    assert decision is not None and (decision.rep, decision.pool) == ("frank", "general")


def test_a_lead_without_a_pool_in_a_policy_without_fallback_gives_none() -> None:
    policy = policy_from("""
        reps: [{id: alice, name: Alice}]
        pools: {team: {strategy: round_robin, members: [alice]}}
        rules: [{name: everyone, route: team}]
    """)
    assert breach(lead(), None, policy=policy) is None
