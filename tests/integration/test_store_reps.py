"""Reps' runtime availability changed by one process is what every other process routes by."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from leadflow.service.context import Services
from leadflow.service.queries import lead_history
from leadflow.service.reps import NewTimeOff, RepUpdate, update_rep
from leadflow.service.routing import Actor, NewLead, Routed, intake, record_event

FORM = Actor("website-form", "intake")
MANAGER = Actor("maria", "manager")
Publish = Callable[[Services, str], int]
TRIO = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann, email: ann@example.com}
  - {id: ben, name: Ben, email: ben@example.com}
  - {id: cy, name: Cy, email: cy@example.com}
pools:
  team: {strategy: round_robin, members: [ann, ben, cy]}
rules:
  - {name: everyone, when: {email: {exists: true}}, route: team}
fallback: team
"""
AWAY = RepUpdate(presence="away", given=frozenset({"presence"}))
BACK = RepUpdate(presence="available", given=frozenset({"presence"}))
_numbers = itertools.count(1)


def status_of(svc: Services, lead_id: str) -> tuple[str, str | None]:
    lead = lead_history(svc, lead_id, MANAGER).lead
    return lead.status, lead.owner


def take(svc: Services) -> Routed:
    email = f"lead{next(_numbers)}@example.com"
    return intake(svc, NewLead(fields={"email": email}, payload={"email": email}), FORM)


def test_a_rep_set_away_by_another_process_gets_no_lead_from_this_one(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, TRIO)
    take(services)  # ann; `services` now has the state cached
    update_rep(
        make_services(), "ben", RepUpdate(presence="away", given=frozenset({"presence"})), MANAGER
    )
    assert [take(services).owner for _ in range(4)] == ["cy", "ann", "cy", "ann"]


def test_a_rep_back_from_away_in_another_process_is_in_the_rotation_again_here(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, TRIO)
    other = make_services()
    update_rep(other, "ben", AWAY, MANAGER)
    take(services)  # ann
    update_rep(
        other, "ben", RepUpdate(presence="available", given=frozenset({"presence"})), MANAGER
    )
    assert take(services).owner == "ben"


def test_time_off_added_at_runtime_by_another_process_is_respected_here(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, TRIO)
    take(services)  # ann
    off = NewTimeOff(start="2026-11-16T00:00", end="2026-11-17T00:00", note="sick")
    change = RepUpdate(time_off_add=(off,), given=frozenset({"time_off_add"}))
    update_rep(make_services(), "ben", change, MANAGER)
    assert [take(services).owner for _ in range(2)] == ["cy", "ann"]


def test_a_cap_override_set_by_another_process_holds_here(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, TRIO)
    assert take(services).owner == "ann"
    change = RepUpdate(caps={"per_day": 1}, given=frozenset({"caps"}))
    update_rep(make_services(), "ann", change, MANAGER)
    assert [take(services).owner for _ in range(4)] == ["ben", "cy", "ben", "cy"]


PAIR_THAT_HOLDS = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann}
  - {id: ben, name: Ben}
pools:
  team: {strategy: round_robin, members: [ann, ben], when_unavailable: hold}
rules: []
fallback: team
"""


def test_a_rejected_lead_waiting_for_others_does_not_hold_back_the_leads_queued_behind_it(
    services: Services, publish_policy: Publish
) -> None:
    # L1 goes to ann, ben goes away, ann rejects L1: it waits (ann is its previous owner).
    # Ann goes away, L2 arrives and waits. Ann is back: L1 still cannot go to her, L2 can.
    publish_policy(services, PAIR_THAT_HOLDS)
    first = take(services)
    assert first.owner == "ann"
    update_rep(services, "ben", AWAY, MANAGER)
    rejected = record_event(services, first.lead_id, "rejected", MANAGER)
    assert rejected.status == "queued"
    update_rep(services, "ann", AWAY, MANAGER)
    second = take(services)
    assert second.status == "queued"
    update_rep(services, "ann", BACK, MANAGER)
    assert status_of(services, second.lead_id) == ("assigned", "ann")
    assert status_of(services, first.lead_id) == ("queued", None)
