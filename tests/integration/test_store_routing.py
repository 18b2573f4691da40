"""Routing through the database: rotations, caps and open load kept in rows, exactly."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import pytest
from sqlalchemy import select

from leadflow.service.context import Services
from leadflow.service.errors import Conflict
from leadflow.service.routing import Actor, NewLead, Routed, intake, record_event
from leadflow.store.tables import DecisionRow, LeadRow, PoolStateRow, RepStateRow

FORM = Actor("website-form", "intake")
MANAGER = Actor("maria", "manager")
Publish = Callable[[Services, str], int]


class SettableClock(Protocol):
    def set(self, now: datetime) -> None: ...


def policy(reps: str, members: str, strategy: str = "round_robin") -> str:
    return f"""
version: 1
timezone: UTC
reps:
{reps}
pools:
  team: {{strategy: {strategy}, members: [{members}]}}
rules:
  - {{name: everyone, when: {{email: {{exists: true}}}}, route: team}}
fallback: team
"""


def rep(rep_id: str, extra: str = "") -> str:
    return f"  - {{id: {rep_id}, name: {rep_id.title()}, email: {rep_id}@example.com{extra}}}"


FIVE = policy("\n".join(rep(f"r{i}") for i in range(1, 6)), "r1, r2, r3, r4, r5")
TRIO = policy("\n".join(rep(r) for r in ("ann", "ben", "cy")), "ann, ben, cy")
_numbers = itertools.count(1)


def take(svc: Services) -> Routed:
    n = next(_numbers)
    email = f"lead{n}@example.com"
    return intake(svc, NewLead(fields={"email": email}, payload={"email": email}), FORM)


def test_round_robin_over_many_intakes_gives_each_rep_the_same_count_in_strict_turn(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, FIVE)
    owners = [take(services).owner for _ in range(250)]
    assert owners == ["r1", "r2", "r3", "r4", "r5"] * 50


def test_round_robin_counts_in_the_database_match_the_answers(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, FIVE)
    for _ in range(100):
        take(services)
    with services.store.reading() as session:
        decided = Counter(session.scalars(select(DecisionRow.rep)))
        day_counts = dict(session.execute(select(RepStateRow.rep_id, RepStateRow.day_count)).all())
        pool = session.scalars(select(PoolStateRow).where(PoolStateRow.pool == "team")).one()
    assert decided == {"r1": 20, "r2": 20, "r3": 20, "r4": 20, "r5": 20}
    assert day_counts == {"r1": 20, "r2": 20, "r3": 20, "r4": 20, "r5": 20}
    assert pool.last == "r5"


TOKYO_CAPPED = policy(
    rep("kei", ", timezone: Asia/Tokyo, caps: {per_day: 2}") + "\n" + rep("lou"), "kei, lou"
)
# 23:30 in Tokyo (Monday), 14:30 in UTC; an hour later Tokyo is on Tuesday, UTC still on Monday.
TOKYO_LATE_MONDAY = datetime(2026, 11, 16, 14, 30, tzinfo=UTC)
TOKYO_EARLY_TUESDAY = datetime(2026, 11, 16, 15, 30, tzinfo=UTC)


def test_a_per_day_cap_holds_and_the_rotation_goes_on_without_the_capped_rep(
    services: Services, publish_policy: Publish, clock: SettableClock
) -> None:
    clock.set(TOKYO_LATE_MONDAY)
    publish_policy(services, TOKYO_CAPPED)
    owners = [take(services).owner for _ in range(6)]
    assert owners == ["kei", "lou", "kei", "lou", "lou", "lou"]


def test_a_per_day_cap_counts_days_in_the_reps_time_zone_not_utc(
    services: Services, publish_policy: Publish, clock: SettableClock
) -> None:
    clock.set(TOKYO_LATE_MONDAY)
    publish_policy(services, TOKYO_CAPPED)
    for _ in range(4):
        take(services)
    clock.set(TOKYO_EARLY_TUESDAY)  # the same UTC day, a new day in Tokyo
    assert [take(services).owner for _ in range(5)] == ["kei", "lou", "kei", "lou", "lou"]


def test_a_per_day_cap_reached_in_one_transaction_is_seen_by_a_fresh_process(
    services: Services,
    publish_policy: Publish,
    clock: SettableClock,
    make_services: Callable[[], Services],
) -> None:
    clock.set(TOKYO_LATE_MONDAY)
    publish_policy(services, TOKYO_CAPPED)
    for _ in range(4):
        take(services)
    assert [take(make_services()).owner for _ in range(2)] == ["lou", "lou"]


OPEN_CAPPED = policy(rep("ann", ", caps: {open: 1}"), "ann")


@pytest.mark.parametrize("closing", ["won", "lost"])
def test_a_closed_lead_releases_the_open_load_so_a_rep_at_the_open_cap_gets_the_next(
    services: Services, publish_policy: Publish, closing: str
) -> None:
    publish_policy(services, OPEN_CAPPED)
    first, refused = take(services), take(services)
    record_event(services, first.lead_id, closing, MANAGER)
    after = take(services)
    assert (first.owner, refused.owner, after.owner) == ("ann", None, "ann")


@pytest.mark.parametrize("closing", ["won", "lost"])
def test_a_closed_lead_lowers_the_open_count_stored_for_its_rep(
    services: Services, publish_policy: Publish, closing: str
) -> None:
    publish_policy(services, policy(rep("ann"), "ann"))
    first, _second = take(services), take(services)
    record_event(services, first.lead_id, closing, MANAGER)
    with services.store.reading() as session:
        row = session.scalars(select(RepStateRow).where(RepStateRow.rep_id == "ann")).one()
    assert (row.open_count, row.day_count) == (1, 2)


def test_a_contacted_lead_still_counts_as_open_load(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, OPEN_CAPPED)
    first = take(services)
    record_event(services, first.lead_id, "contacted", MANAGER)
    assert take(services).owner is None


def test_a_rejected_lead_skips_its_previous_owner_even_when_the_rotation_points_at_them(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, TRIO)
    first = take(services)  # ann
    take(services)  # ben
    take(services)  # cy: the rotation's next is ann again
    again = record_event(services, first.lead_id, "rejected", MANAGER)
    assert (first.owner, again.owner) == ("ann", "ben")


def test_a_lead_rejected_by_every_rep_is_unassigned_and_never_goes_back(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, TRIO)
    lead = take(services)
    owners = [lead.owner]
    for _ in range(3):
        owners.append(record_event(services, lead.lead_id, "rejected", MANAGER).owner)
    with services.store.reading() as session:
        row = session.scalars(select(LeadRow).where(LeadRow.id == lead.lead_id)).one()
        outcomes = session.scalars(
            select(DecisionRow.outcome).where(DecisionRow.lead_id == lead.lead_id)
        ).all()
    assert owners == ["ann", "ben", "cy", None]
    assert (row.status, row.previous_owners) == ("unassigned", ["ann", "ben", "cy"])
    assert list(outcomes) == ["assigned", "assigned", "assigned", "unassigned"]


def test_a_rejected_lead_releases_the_open_load_of_the_rep_who_rejected_it(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(
        services, policy(rep("ann", ", caps: {open: 1}") + "\n" + rep("ben"), "ann, ben")
    )
    first = take(services)  # ann, at her open cap
    record_event(services, first.lead_id, "rejected", MANAGER)  # to ben
    assert take(services).owner == "ann"


def test_an_event_not_allowed_from_the_status_changes_nothing(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, TRIO)
    lead = take(services)
    record_event(services, lead.lead_id, "won", MANAGER)
    with pytest.raises(Conflict):
        record_event(services, lead.lead_id, "contacted", MANAGER)
    with services.store.reading() as session:
        status = session.scalars(select(LeadRow.status).where(LeadRow.id == lead.lead_id)).one()
    assert status == "won"
