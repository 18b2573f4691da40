"""The links in a rep's email, over HTTP: opening one shows the lead, its buttons act on it.

Each test runs on SQLite and on PostgreSQL (see conftest), on the fixed clock. The policy sends
`lead.assigned` to the owner by email; the worker's delivery round hands that message to a
recording notifier, and the test takes the link from it, as the rep would from the email.
No request to `/act/...` carries an API key: the link is the only credential.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from databases import FixedClock
from leadflow.notify import summary
from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM
from leadflow.worker import Worker
from recording import RecordingNotifier

API = "/api/v1"
Headers = dict[str, str]
Post = Callable[..., dict[str, Any]]

# The reps keep New York time (the policy's zone): at START (15:00 UTC) the 1h deadline is 11:00
# there, on Monday 23 November 2026, which is what the email and the page both say.
POLICY = """\
version: 1
timezone: America/New_York
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


def respond_by(html: str) -> str:
    """What the page says under "Respond by"."""
    found = re.search(r"<dt>Respond by</dt><dd>([^<]*)</dd>", html)
    assert found is not None, html
    return found.group(1)


def test_the_page_says_the_deadline_in_the_reps_zone_to_the_minute(
    client: TestClient, lead: dict[str, Any], token: str
) -> None:
    assert respond_by(client.get(f"/act/{token}").text) == "Mon 23 Nov 2026 11:00 (UTC-05:00)"


def test_the_page_says_the_deadline_as_the_email_did(
    client: TestClient, lead: dict[str, Any], token: str, notifier: RecordingNotifier
) -> None:
    (email,) = [d for d in notifier.sent if d.event == "lead.assigned"]
    assert respond_by(client.get(f"/act/{token}").text) == summary.due(email.context)


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


def test_reject_with_a_reason_routes_the_lead_to_another_rep_with_the_reason(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    answer = client.post(f"/act/{token}/rejected", data={"reason": "  Not my territory "})
    assert answer.status_code == 200, answer.text
    assert "Done: you rejected the lead; it went to another rep." in answer.text
    after = read(client, admin, lead["id"])
    assert (after["owner"], after["status"]) == ("ben", "assigned")
    (rejected,) = [e for e in after["timeline"] if e["type"] == "rejected"]
    assert rejected["data"]["note"] == "Not my territory"
    assert "email link" in rejected["actor"]


def test_reject_without_a_reason_asks_for_one_and_changes_nothing(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    before = read(client, admin, lead["id"])
    answer = client.post(f"/act/{token}/rejected", data={"reason": "   "})
    assert answer.status_code == 422
    assert "say why you reject the lead" in answer.text
    assert "Jo Prospect" in answer.text  # the page stays, to try again
    after = read(client, admin, lead["id"])
    assert (after["owner"], after["timeline"]) == ("ann", before["timeline"])


def test_the_link_of_a_rejected_lead_acts_on_nothing_more(
    client: TestClient, admin: Headers, lead: dict[str, Any], token: str
) -> None:
    client.post(f"/act/{token}/rejected", data={"reason": "Not my territory"})
    assert client.post(f"/act/{token}/accepted").status_code == 404
    assert read(client, admin, lead["id"])["status"] == "assigned"  # ben's, not accepted


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


def test_an_expired_link_says_when_it_expired_in_the_reps_zone(
    client: TestClient, services: Services, token: str, clock: FixedClock
) -> None:
    assert services.settings.action_link_hours == 72  # sent Mon 23 Nov 10:00 in New York
    clock.advance(hours=73)
    answer = client.get(f"/act/{token}")
    assert answer.status_code == 400
    assert "this link expired at Thu 26 Nov 2026 10:00 (UTC-05:00)" in answer.text


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


# in a browser


@pytest.fixture
def page(client: TestClient, browser: Any) -> Iterator[Any]:
    """A Chromium page whose requests to http://act.test are answered by the test's app (its
    database and fixed clock), as a phone's browser would open the link from the email."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US")

    def answer(route: Any) -> None:
        request = route.request
        url = urlsplit(request.url)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        got = client.request(
            request.method,
            url.path + (f"?{url.query}" if url.query else ""),
            content=request.post_data_buffer,
            headers=headers,
        )
        route.fulfill(status=got.status_code, headers=dict(got.headers), body=got.content)

    context.route("http://act.test/**", answer)
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    yield opened
    context.close()


def test_in_a_browser_the_page_shows_the_local_deadline_and_reject_takes_a_reason(
    page: Any,
    admin: Headers,
    client: TestClient,
    lead: dict[str, Any],
    token: str,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    page.goto(f"http://act.test/act/{token}")
    expect(page.locator("dd", has_text="(UTC-05:00)")).to_have_text(
        "Mon 23 Nov 2026 11:00 (UTC-05:00)"
    )
    for name in ("Accept", "I contacted them", "Reject"):
        expect(page.get_by_role("button", name=name)).to_be_visible()
    page.screenshot(path=str(tmp_path / "act-phone.png"), full_page=True)  # to look at
    page.get_by_label("Not for you? Say why, and it goes to another rep:").fill("Wrong region")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_role("status")).to_have_text(
        "Done: you rejected the lead; it went to another rep."
    )
    page.screenshot(path=str(tmp_path / "act-rejected.png"), full_page=True)
    assert read(client, admin, lead["id"])["owner"] == "ben"
