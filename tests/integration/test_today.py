"""Today's figures for the home page, on a history the tests construct (a fixed clock): counts
of today's leads, the median time to first touch, breaches, held and unassigned leads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from databases import FixedClock
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden
from leadflow.service.routing import Actor, NewLead, intake, record_event
from leadflow.service.today import day_bounds, latest_alerts, today

NEW_YORK = "America/New_York"
FORM = Actor("website-form", "intake")
MANAGER = Actor("mia@example.com", "manager")
# Leads from "Nowhere" match no rule and there is no fallback: unassigned. Leads from "Big"
# go to a pool that holds them while its only member is inactive. Everyone else: the team.
POLICY = """
version: 1
timezone: America/New_York
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com}
  - {id: ben, name: Ben Brook, email: ben@example.com}
  - {id: eve, name: Eve East, email: eve@example.com, active: false}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
  big: {strategy: round_robin, members: [eve], when_unavailable: hold}
sla:
  - {name: default, first_touch: 10m}
rules:
  - {name: big, when: {company: Big}, route: big}
  - {name: team, when: {company: {ne: Nowhere}}, route: team}
"""
# The seconds each of today's four routed leads waits for its first touch: the median is 252,
# and the one touched after 900 s missed its 10 minutes.
WAITS = (30.0, 250.0, 254.0, 900.0)

Publish = Callable[[Services, str], int]


def post(svc: Services, company: str, received_at: datetime | None = None) -> str:
    new = NewLead(
        fields={"email": f"{company.lower().replace(' ', '.')}@acme.example", "company": company},
        payload={"company": company},
        received_at=received_at,
    )
    return intake(svc, new, FORM).lead_id


@pytest.fixture
def history(services: Services, publish_policy: Publish, clock: FixedClock) -> Services:
    """Yesterday: one lead of the team and one unassigned. Today, at 09:59 in New York (23:59
    in Tokyo): four leads of the team, touched after `WAITS`, one held and one unassigned.
    The figures are read at 11:00 in New York."""
    publish_policy(services, POLICY)
    morning = clock.now - timedelta(minutes=1)
    clock.set(morning - timedelta(days=1))
    post(services, "Yesterday Inc")
    post(services, "Nowhere")
    clock.set(morning)
    touched = [(post(services, f"Acme {n}"), wait) for n, wait in enumerate(WAITS)]
    post(services, "Big")
    post(services, "Nowhere")
    for lead_id, wait in touched:
        clock.set(morning + timedelta(seconds=wait))
        record_event(services, lead_id, "contacted", MANAGER)
    clock.set(morning + timedelta(hours=1, minutes=1))
    return services


def test_todays_leads_are_counted_and_yesterdays_are_not(history: Services) -> None:
    assert today(history, MANAGER, NEW_YORK).received == 6


def test_assigned_today_counts_todays_leads_that_got_an_owner(history: Services) -> None:
    assert today(history, MANAGER, NEW_YORK).assigned == 4


def test_the_median_time_to_first_touch_is_the_middle_of_todays_touches(
    history: Services,
) -> None:
    figures = today(history, MANAGER, NEW_YORK)
    assert (figures.touched, figures.median_first_touch) == (4, 252.0)


def test_the_median_of_an_odd_number_of_touches_is_the_middle_one(
    services: Services, publish_policy: Publish, clock: FixedClock
) -> None:
    publish_policy(services, POLICY)
    start = clock.now
    for n, wait in enumerate((40.0, 7.0, 600.0)):
        clock.set(start)
        lead_id = post(services, f"Acme {n}")
        clock.set(start + timedelta(seconds=wait))
        record_event(services, lead_id, "contacted", MANAGER)
    assert today(services, MANAGER, NEW_YORK).median_first_touch == 40.0


def test_no_touch_today_has_no_median(
    services: Services, publish_policy: Publish, clock: FixedClock
) -> None:
    publish_policy(services, POLICY)
    post(services, "Acme")
    assert today(services, MANAGER, NEW_YORK).median_first_touch is None


def test_a_lead_touched_after_its_deadline_is_a_breach_of_today(history: Services) -> None:
    assert today(history, MANAGER, NEW_YORK).breached == 1


def test_held_leads_are_counted_now(history: Services) -> None:
    assert today(history, MANAGER, NEW_YORK).held == 1


def test_unassigned_leads_are_counted_whatever_their_day(history: Services) -> None:
    assert today(history, MANAGER, NEW_YORK).unassigned == 2


def test_today_begins_at_midnight_in_the_viewers_zone(history: Services) -> None:
    # 09:59 in New York is 23:59 in Tokyo: at 11:00 in New York it is the next day there.
    figures = today(history, MANAGER, "Asia/Tokyo")
    assert (figures.day.isoformat(), figures.received) == ("2026-11-17", 0)


def test_a_day_with_the_clocks_turned_back_lasts_25_hours() -> None:
    _, since, until = day_bounds(datetime(2026, 11, 1, 12, tzinfo=UTC), NEW_YORK)
    assert (since.astimezone(UTC).hour, until - since) == (4, timedelta(hours=25))


def test_a_rep_may_not_see_todays_figures(history: Services) -> None:
    with pytest.raises(Forbidden):
        today(history, Actor("ann@example.com", "rep", "ann"), NEW_YORK)


def test_the_latest_alerts_are_the_unassigned_leads_newest_first_with_why(
    history: Services,
) -> None:
    alerts = latest_alerts(history, MANAGER)
    assert [(a.kind, a.lead.name if a.lead else None) for a in alerts] == [
        ("unassigned", "nowhere@acme.example"),
        ("unassigned", "nowhere@acme.example"),
    ]
    assert "no fallback" in alerts[0].text
