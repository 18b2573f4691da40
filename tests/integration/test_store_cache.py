"""The routing-state cache: trusted only at the version it committed, reloaded otherwise."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.service.context import Services
from leadflow.service.policies import activate_version
from leadflow.service.routing import Actor, NewLead, Routed, intake
from leadflow.store import routing as store_routing
from leadflow.store.tables import DecisionRow, LeadRow, RoutingClockRow

FORM = Actor("website-form", "intake")
ADMIN = Actor("tests", "admin")
Publish = Callable[[Services, str], int]
FIVE = """
version: 1
timezone: UTC
reps:
  - {id: r1, name: R1, email: r1@example.com}
  - {id: r2, name: R2, email: r2@example.com}
  - {id: r3, name: R3, email: r3@example.com}
  - {id: r4, name: R4, email: r4@example.com}
  - {id: r5, name: R5, email: r5@example.com}
pools:
  team: {strategy: round_robin, members: [r1, r2, r3, r4, r5]}
rules:
  - {name: everyone, when: {email: {exists: true}}, route: team}
fallback: team
"""
TURNS = ["r1", "r2", "r3", "r4", "r5"]
_numbers = itertools.count(1)


def take(svc: Services) -> Routed:
    email = f"lead{next(_numbers)}@example.com"
    return intake(svc, NewLead(fields={"email": email}, payload={"email": email}), FORM)


def clock_version(svc: Services) -> int:
    with svc.store.reading() as session:
        return session.scalars(select(RoutingClockRow.version)).one()


def test_two_processes_interleaving_intakes_keep_the_rotation_exact(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, FIVE)
    other = make_services()
    # An irregular interleaving, so that each side's cache is stale at different points.
    pattern = "AABABBBAABAAABBBBABAAAABBABABB"
    owners = [take(services if side == "A" else other).owner for side in pattern]
    assert owners == TURNS * 6


def test_a_process_that_was_idle_reloads_the_state_another_process_moved(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, FIVE)
    take(services)  # r1, now cached by `services`
    other = make_services()
    assert [take(other).owner for _ in range(3)] == ["r2", "r3", "r4"]
    assert take(services).owner == "r5"


@contextmanager
def commits_failing(svc: Services) -> Iterator[None]:
    """Every writing transaction does all its work, then fails instead of committing."""
    writing = svc.store.writing

    @contextmanager
    def failing() -> Iterator[Session]:
        with writing() as session:
            yield session
            raise RuntimeError("the disk is full")  # rolls the transaction back

    svc.store.writing = failing  # type: ignore[method-assign]
    try:
        yield
    finally:
        svc.store.writing = writing  # type: ignore[method-assign]


def test_a_failed_routing_transaction_leaves_the_cache_untrusted_and_the_next_sees_the_database(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, FIVE)
    assert take(services).owner == "r1"
    with commits_failing(services), pytest.raises(RuntimeError):
        take(services)  # decided r2, moved the cached rotation, then rolled back
    assert take(services).owner == "r2"


def test_a_failed_routing_transaction_stores_no_lead_and_does_not_move_the_clock(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, FIVE)
    take(services)
    before = clock_version(services)
    with commits_failing(services), pytest.raises(RuntimeError):
        take(services)
    with services.store.reading() as session:
        leads = session.scalar(select(func.count()).select_from(LeadRow))
        decisions = session.scalar(select(func.count()).select_from(DecisionRow))
    assert (leads, decisions, clock_version(services)) == (1, 1, before)


def test_concurrent_intakes_from_many_threads_keep_the_round_robin_exact(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, FIVE)
    before = clock_version(services)
    with ThreadPoolExecutor(8) as pool:
        routed = list(pool.map(lambda _: take(services), range(200)))
    assert Counter(r.owner for r in routed) == {rep: 40 for rep in TURNS}
    with services.store.reading() as session:
        per_lead = session.execute(
            select(DecisionRow.lead_id, func.count()).group_by(DecisionRow.lead_id)
        ).all()
    assert sorted(n for _, n in per_lead) == [1] * 200  # each lead routed once, none skipped
    # Leads that wait for the writer are taken in together (group commit): the clock moves
    # once per transaction, so at least once and at most once per lead.
    assert before < clock_version(services) <= before + 200


def test_concurrent_intakes_through_two_processes_keep_the_round_robin_exact(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, FIVE)
    sides = [services, make_services()]
    with ThreadPoolExecutor(8) as pool:
        routed = list(pool.map(lambda i: take(sides[i % 2]), range(200)))
    by_decision = sorted(routed, key=lambda r: r.decision_id or 0)
    assert [r.owner for r in by_decision] == TURNS * 40


PAIR = FIVE.replace("members: [r1, r2, r3, r4, r5]", "members: [r4, r5]")


def test_a_policy_published_by_another_process_routes_this_ones_next_lead(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, FIVE)
    assert take(services).owner == "r1"  # policy and state now cached here
    publish_policy(make_services(), PAIR)
    assert [take(services).owner for _ in range(3)] == ["r4", "r5", "r4"]


def test_a_roll_back_by_another_process_routes_this_ones_next_lead_by_the_old_version(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    first = publish_policy(services, FIVE)
    publish_policy(services, PAIR)
    assert take(services).owner == "r4"
    activate_version(make_services(), first, ADMIN)
    assert take(services).owner == "r5"  # in FIVE's rotation, after r4
    assert take(services).owner == "r1"


def test_a_decision_that_changes_no_state_keeps_the_cache_and_the_clock(
    services: Services, publish_policy: Publish, monkeypatch: pytest.MonkeyPatch
) -> None:
    publish_policy(
        services,
        FIVE.replace(
            "  - {name: everyone",
            "  - {name: tiny, when: {tiny: yes}, nurture: small}\n  - {name: everyone",
        ),
    )
    take(services)  # routes to r1; the cache now holds the state at the clock's version
    before = clock_version(services)
    loads: list[int] = []
    real = store_routing.load_state
    monkeypatch.setattr(
        store_routing,
        "load_state",
        lambda session, policy: loads.append(1) or real(session, policy),
    )
    small = {"email": "tiny@small.example", "tiny": "yes"}
    nurtured = intake(services, NewLead(small, dict(small)), FORM)
    assert nurtured.status == "nurture"
    assert clock_version(services) == before  # nothing changed: no process needs to reload
    assert take(services).owner == "r2"
    assert loads == []  # neither the nurture decision nor the next intake reloaded the state
