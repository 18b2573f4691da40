"""The answer of a routed lead says where it went and why in one line (`why`)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from shared_policy import POLICY

from databases import FixedClock
from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM

API = "/api/v1"
Headers = dict[str, str]
HOLDING = POLICY.replace(
    "    members: [alice, bob, chen]\n",
    "    members: [alice, bob, chen]\n    when_unavailable: hold\n",
)
SATURDAY_NIGHT = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)  # Sat 22:00 in New York


def test_a_lead_held_at_night_says_every_member_is_outside_hours_and_when_one_starts(
    client: TestClient, admin: Headers, services: Services, clock: FixedClock
) -> None:
    publish_policy(services, HOLDING, SYSTEM)
    clock.set(SATURDAY_NIGHT)
    answer = client.post(f"{API}/leads", json={"email": "ana@acme.example"}, headers=admin)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert (body["status"], body["pool"]) == ("queued", "general")
    assert body["why"] == (
        "held: every member of pool general is outside working hours; "
        "the next one starts Mon 09:00 America/New_York"
    )
    replay = client.post(  # a retry answers the first answer, its line too
        f"{API}/leads",
        json={"email": "ana@acme.example"},
        headers={**admin, "Idempotency-Key": "x"},
    )
    again = client.post(
        f"{API}/leads",
        json={"email": "ana@acme.example"},
        headers={**admin, "Idempotency-Key": "x"},
    )
    assert again.json()["why"] == replay.json()["why"]


def test_a_held_lead_with_members_held_back_for_different_reasons_counts_them(
    client: TestClient, admin: Headers, services: Services
) -> None:
    publish_policy(services, HOLDING, SYSTEM)  # Monday 10:00 in New York: everyone at work
    for rep in ("alice", "bob"):
        changed = client.patch(f"{API}/reps/{rep}", json={"presence": "away"}, headers=admin)
        assert changed.status_code == 200, changed.text
    changed = client.patch(f"{API}/reps/chen", json={"active": False}, headers=admin)
    assert changed.status_code == 200, changed.text
    body = client.post(f"{API}/leads", json={"email": "b@c.example"}, headers=admin).json()
    assert body["why"] == "held: nobody in pool general can take it now (2 away, 1 inactive)"


def test_an_assigned_lead_says_who_by_which_rule_and_pool(
    client: TestClient, admin: Headers, policy: int
) -> None:
    body = {"email": "big@corp.example", "employees": 5000}
    answer = client.post(f"{API}/leads", json=body, headers=admin).json()
    assert answer["why"] == "assigned to Dana Diaz by rule enterprise from pool enterprise"
