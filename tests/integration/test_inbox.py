"""A rep's inbox on both databases: only their open leads, the nearest SLA deadline first, and a
signature that changes exactly when the list would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from databases import FixedClock
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden
from leadflow.service.inbox import inbox
from leadflow.service.routing import Actor, NewLead, intake, record_event

FORM = Actor("website-form", "intake")
ANN = Actor("ann@example.com", "rep", rep_id="ann")
MANAGER = Actor("mia@example.com", "manager")
# Leads of "Ben Co" go to ben, every other lead to ann; a first touch is due 10 minutes after.
POLICY = """
version: 1
timezone: America/New_York
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com}
  - {id: ben, name: Ben Brook, email: ben@example.com}
pools:
  ann: {strategy: round_robin, members: [ann], respect_hours: false}
  ben: {strategy: round_robin, members: [ben], respect_hours: false}
sla:
  - {name: default, first_touch: 10m}
rules:
  - {name: ben, when: {company: Ben Co}, route: ben}
fallback: ann
"""

Publish = Callable[[Services, str], int]


def post(svc: Services, company: str, first_name: str = "Lee") -> str:
    fields = {"email": f"{first_name.lower()}@{company.lower().replace(' ', '')}.example"}
    fields |= {"company": company, "first_name": first_name}
    return intake(svc, NewLead(fields=fields, payload=fields), FORM).lead_id


@pytest.fixture
def team(services: Services, publish_policy: Publish) -> Services:
    publish_policy(services, POLICY)
    return services


def ids(svc: Services) -> list[str]:
    return [lead.id for lead in inbox(svc, ANN).leads]


def test_the_inbox_lists_the_reps_open_leads_and_not_another_reps(team: Services) -> None:
    mine = post(team, "Acme")
    post(team, "Ben Co")
    assert ids(team) == [mine]


def test_a_won_or_rejected_lead_leaves_the_inbox(team: Services) -> None:
    won, rejected, kept = post(team, "Won Inc"), post(team, "Gone Inc"), post(team, "Kept Inc")
    record_event(team, won, "won", ANN)
    record_event(team, rejected, "rejected", ANN, note="not mine")
    assert ids(team) == [kept]


def test_the_nearest_deadline_comes_first_and_leads_without_a_running_clock_last(
    team: Services, clock: FixedClock
) -> None:
    first = post(team, "First")
    clock.set(clock.now + timedelta(minutes=1))
    second = post(team, "Second")
    clock.set(clock.now + timedelta(minutes=1))
    third = post(team, "Third")
    record_event(team, first, "contacted", ANN)  # its first touch is made: no deadline now
    assert ids(team) == [second, third, first]


def test_past_fifty_open_leads_the_inbox_keeps_those_due_first_and_says_there_are_more(
    team: Services, clock: FixedClock
) -> None:
    posted = []
    for n in range(52):
        posted.append(post(team, f"Co {n}", first_name=f"Lee{n}"))
        clock.advance(seconds=1)
    box = inbox(team, ANN)
    assert [lead.id for lead in box.leads] == posted[:50]  # the first in, the first due
    assert box.more
    record_event(team, posted[0], "won", ANN)
    record_event(team, posted[1], "won", ANN)
    box = inbox(team, ANN)
    assert ([lead.id for lead in box.leads], box.more) == (posted[2:], False)


def test_a_lead_carries_its_deadline_ten_minutes_after_it_came(
    team: Services, clock: FixedClock
) -> None:
    post(team, "Acme", first_name="Priya")
    (lead,) = inbox(team, ANN).leads
    assert (lead.name, lead.company, lead.sla_due_at) == (
        "Priya",
        "Acme",
        clock.now + timedelta(minutes=10),
    )


def test_an_assigned_lead_may_be_accepted_and_an_accepted_one_no_longer(team: Services) -> None:
    lead_id = post(team, "Acme")
    assert "accepted" in inbox(team, ANN).leads[0].moves
    record_event(team, lead_id, "accepted", ANN)
    (lead,) = inbox(team, ANN).leads
    assert "accepted" not in lead.moves and "contacted" in lead.moves


def test_the_signature_stays_while_nothing_changes(team: Services) -> None:
    post(team, "Acme")
    assert inbox(team, ANN).signature == inbox(team, ANN).signature


def test_the_signature_changes_when_a_lead_arrives(team: Services) -> None:
    post(team, "Acme")
    before = inbox(team, ANN).signature
    post(team, "Globex")
    assert inbox(team, ANN).signature != before


def test_the_signature_changes_when_a_lead_moves(team: Services) -> None:
    lead_id = post(team, "Acme")
    before = inbox(team, ANN).signature
    record_event(team, lead_id, "accepted", ANN)
    assert inbox(team, ANN).signature != before


def test_the_signature_stays_when_another_reps_lead_arrives(team: Services) -> None:
    post(team, "Acme")
    before = inbox(team, ANN).signature
    post(team, "Ben Co")
    assert inbox(team, ANN).signature == before


def test_a_manager_has_no_inbox(team: Services) -> None:
    with pytest.raises(Forbidden):
        inbox(team, MANAGER)
