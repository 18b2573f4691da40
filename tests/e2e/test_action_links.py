"""The links in a rep's email, over HTTP: opening one shows the lead, its buttons act on it.

Each test runs on SQLite and on PostgreSQL (see conftest), on the fixed clock. The policy sends
`lead.assigned` to the owner by email; the worker's delivery round hands that message to a
recording notifier, and the test takes the link from it, as the rep would from the email.
No request to `/act/...` carries an API key: the link is the only credential.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from databases import FixedClock
from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM
from leadflow.worker import Worker
from recording import RecordingNotifier

API = "/api/v1"
Headers = dict[str, str]
Post = Callable[..., dict[str, Any]]

POLICY = """\
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com}
  - {id: ben, name: Ben Brook, email: ben@example.com}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
sla:
  - {name: default, first_touch: 1h}
channels:
  mail: {type: email}
notify:
  - {events: [lead.assigned], to: owner, via: mail}
rules:
  - {name: everyone, route: team}
fallback: team
"""


@pytest.fixture
def policy(client: TestClient, services: Services) -> int:
    """This module's policy (not conftest's), published and active; its version."""
    return publish_policy(services, POLICY, SYSTEM).version.version


@pytest.fixture
def lead(post_lead: Post) -> dict[str, Any]:
    """A lead assigned to ann (the first of the round robin), as intake answered."""
    routed = post_lead(email="jo@prospect.example", name="Jo Prospect", company="Acme")
    assert (routed["status"], routed["owner"]) == ("assigned", "ann")
    return routed


@pytest.fixture
def token(lead: dict[str, Any], worker: Worker, notifier: RecordingNotifier) -> str:
    """The token of the accept link in the email that told ann of her new lead."""
    worker.delivery_round()
    emails = [
        d for d in notifier.sent if d.event == "lead.assigned" and d.recipient.rep_id == "ann"
    ]
    assert len(emails) == 1, notifier.sent
    url: str = emails[0].context["links"]["accept"]
    prefix, _, token = url.rpartition("/act/")
    assert prefix and token and "/" not in token, url
    return token


def read(client: TestClient, admin: Headers, lead_id: str) -> dict[str, Any]:
    answer = client.get(f"{API}/leads/{lead_id}", headers=admin)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def changed(token: str) -> str:
    """The token with one character of its middle replaced (still a valid path segment)."""
    middle = len(token) // 2
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


# opening the link


def test_opening_the_link_shows_the_lead(
    client: TestClient, lead: dict[str, Any], token: str
) -> None:
    answer = client.get(f"/act/{token}")
    assert answer.status_code == 200, answer.text
    assert "Jo Prospect" in answer.text
    assert "jo@prospect.example" in answer.text
    assert f"/act/{token}/accepted" in answer.text  # the button, which posts


def test_opening_the_link_changes_nothing(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    before = read(client, admin, lead["id"])
    client.get(f"/act/{token}")
    client.get(f"/act/{token}")  # a mail scanner, then the rep
    after = read(client, admin, lead["id"])
    assert after["status"] == "assigned"
    assert after["timeline"] == before["timeline"]


# acting from the link


def test_the_accept_button_accepts_the_lead(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    answer = client.post(f"/act/{token}/accepted")
    assert answer.status_code == 200, answer.text
    assert read(client, admin, lead["id"])["status"] == "accepted"


def test_an_accept_from_the_link_is_recorded_as_the_rep_by_email_link(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    client.post(f"/act/{token}/accepted")
    timeline = read(client, admin, lead["id"])["timeline"]
    accepted = [e for e in timeline if e["type"] == "accepted"]
    assert len(accepted) == 1
    assert "ann" in accepted[0]["actor"]
    assert "email link" in accepted[0]["actor"]


def test_contacted_from_the_link_after_accepting_marks_it_contacted(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    client.post(f"/act/{token}/accepted")
    answer = client.post(f"/act/{token}/contacted")
    assert answer.status_code == 200, answer.text
    assert read(client, admin, lead["id"])["status"] == "contacted"


def test_contacted_from_the_link_meets_the_sla(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str, clock: FixedClock
) -> None:
    client.post(f"/act/{token}/accepted")
    clock.advance(minutes=10)
    client.post(f"/act/{token}/contacted")
    after = read(client, admin, lead["id"])
    assert after["sla_status"] == "met"
    assert after["first_touch_seconds"] == 600


def test_the_link_works_without_any_api_key(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    assert client.get(f"{API}/leads/{lead['id']}").status_code == 401  # the client has no key
    assert client.post(f"/act/{token}/accepted").status_code == 200
    assert read(client, admin, lead["id"])["status"] == "accepted"


# links that act on nothing


def test_a_link_with_one_character_changed_is_refused(
    client: TestClient, lead: dict[str, Any], token: str
) -> None:
    assert client.post(f"/act/{changed(token)}/accepted").status_code == 400


def test_a_link_with_one_character_changed_changes_nothing(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    before = read(client, admin, lead["id"])
    client.post(f"/act/{changed(token)}/accepted")
    after = read(client, admin, lead["id"])
    assert after["status"] == "assigned"
    assert after["timeline"] == before["timeline"]


def test_a_link_with_one_character_changed_shows_nothing(
    client: TestClient, lead: dict[str, Any], token: str
) -> None:
    answer = client.get(f"/act/{changed(token)}")
    assert answer.status_code == 400
    assert "Jo Prospect" not in answer.text


def test_a_link_still_acts_just_before_it_expires(
    client: TestClient, services: Services, token: str, clock: FixedClock
) -> None:
    clock.advance(hours=services.settings.action_link_hours, seconds=-1)
    assert client.post(f"/act/{token}/accepted").status_code == 200


def test_an_expired_link_is_refused_and_changes_nothing(
    client: TestClient,
    admin: Headers,
    services: Services,
    lead: dict[str, Any],
    token: str,
    clock: FixedClock,
) -> None:
    clock.advance(hours=services.settings.action_link_hours, seconds=1)
    answer = client.post(f"/act/{token}/accepted")
    assert answer.status_code == 400
    assert "expired" in answer.text
    assert read(client, admin, lead["id"])["status"] == "assigned"


def reassign_to_ben(client: TestClient, manager: Headers, lead_id: str) -> None:
    moved = client.post(f"{API}/leads/{lead_id}/reassign", json={"rep": "ben"}, headers=manager)
    assert moved.status_code == 200, moved.text


def test_the_link_of_a_lead_since_reassigned_acts_on_nothing(
    client: TestClient,
    admin: Headers,
    make_key: Callable[..., Headers],
    lead: dict[str, Any],
    token: str,
) -> None:
    reassign_to_ben(client, make_key("manager"), lead["id"])
    assert client.post(f"/act/{token}/accepted").status_code == 404
    after = read(client, admin, lead["id"])
    assert (after["owner"], after["status"]) == ("ben", "assigned")


def test_the_link_of_a_lead_since_reassigned_shows_nothing(
    client: TestClient, make_key: Callable[..., Headers], lead: dict[str, Any], token: str
) -> None:
    reassign_to_ben(client, make_key("manager"), lead["id"])
    answer = client.get(f"/act/{token}")
    assert answer.status_code == 404
    assert "Jo Prospect" not in answer.text


def test_the_link_of_an_earlier_assignment_to_the_same_rep_acts_on_nothing(
    client: TestClient,
    admin: Headers,
    make_key: Callable[..., Headers],
    lead: dict[str, Any],
    token: str,
) -> None:
    manager = make_key("manager")
    reassign_to_ben(client, manager, lead["id"])
    answer = client.post(f"{API}/leads/{lead['id']}/reassign", json={"rep": "ann"}, headers=manager)
    assert answer.status_code == 200, answer.text
    assert client.post(f"/act/{token}/accepted").status_code == 404
    assert read(client, admin, lead["id"])["status"] == "assigned"


def test_an_unknown_action_is_refused_and_changes_nothing(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    answer = client.post(f"/act/{token}/won")
    assert answer.status_code == 400
    assert read(client, admin, lead["id"])["status"] == "assigned"
