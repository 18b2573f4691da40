"""Reps' runtime availability changed by one process is what every other process routes by."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from leadflow.service.context import Services
from leadflow.service.reps import NewTimeOff, RepUpdate, update_rep
from leadflow.service.routing import Actor, NewLead, Routed, intake

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
