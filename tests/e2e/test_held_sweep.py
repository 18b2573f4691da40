"""A held lead reaches a rep when working time begins, with nobody touching anything."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from databases import FixedClock
from leadflow.api.app import create_app
from leadflow.service.context import Services
from leadflow.service.holds import place_due_held
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM, Actor, NewLead, intake
from leadflow.settings import Settings
from leadflow.store.tables import LeadRow

HOURS = """
version: 1
timezone: America/New_York
calendars:
  ny: {hours: {mon-fri: ["09:00-17:00"]}}
reps:
  - {id: ann, name: Ann, calendar: ny}
pools:
  team: {strategy: round_robin, members: [ann], when_unavailable: hold}
rules: []
fallback: team
"""
SATURDAY = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
MONDAY_AT_NINE = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
FORM = Actor("form", "intake")


def weekend_lead(services: Services) -> str:
    routed = intake(services, NewLead({"email": "a@b.example"}, {"email": "a@b.example"}), FORM)
    assert routed.status == "queued"
    return routed.lead_id


def test_place_due_held_does_nothing_while_nobody_is_at_work(database_url: str) -> None:
    clock = FixedClock(SATURDAY)
    services = Services.build(Settings(database_url=database_url), clock=clock)
    with TestClient(create_app(services.settings, services)):
        publish_policy(services, HOURS, SYSTEM)
        weekend_lead(services)
        assert place_due_held(services, SYSTEM) == []


def test_place_due_held_places_the_weekend_lead_on_monday_at_nine(database_url: str) -> None:
    clock = FixedClock(SATURDAY)
    services = Services.build(Settings(database_url=database_url), clock=clock)
    with TestClient(create_app(services.settings, services)):
        publish_policy(services, HOURS, SYSTEM)
        lead_id = weekend_lead(services)
        clock.set(MONDAY_AT_NINE)
        placed = place_due_held(services, SYSTEM)
        assert [(r.lead_id, r.status, r.owner) for r in placed] == [(lead_id, "assigned", "ann")]


def test_the_server_places_held_leads_on_its_own_when_their_time_comes(database_url: str) -> None:
    clock = FixedClock(SATURDAY)
    settings = Settings(database_url=database_url, held_check_seconds=0.1)
    services = Services.build(settings, clock=clock)
    with TestClient(create_app(settings, services)):  # starts the sweep, and stops it after
        publish_policy(services, HOURS, SYSTEM)
        lead_id = weekend_lead(services)
        clock.set(MONDAY_AT_NINE)
        deadline = time.monotonic() + 10
        while status_of(services, lead_id) == "queued" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert status_of(services, lead_id) == "assigned"


def status_of(services: Services, lead_id: str) -> str | None:
    with services.store.reading() as session:
        return session.scalar(select(LeadRow.status).where(LeadRow.id == lead_id))
