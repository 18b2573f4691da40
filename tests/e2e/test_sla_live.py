"""Speed to lead, live: `leadflow serve` with its own worker, SLAs of a few seconds, real
receivers (an SMTP server, a Slack-like and a webhook endpoint over HTTP).

One lead is assigned, reminded, breached, reassigned to another rep, breached again and, with
its reassignments used up, sent to the overflow pool and escalated to the manager; its last
owner marks it contacted from the link in the email. The scenario runs once per database (a
module fixture); each test checks one fact of it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from receivers import HookServer, MailBox
from serverproc import Server, create_key, free_port, fresh_database, publish

SECRET = "whsec-test-only"
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com, slack_id: UANN, manager: max}
  - {id: ben, name: Ben Brook, email: ben@example.com, slack_id: UBEN, manager: max}
  - {id: dot, name: Dot Dean, email: dot@example.com, manager: max}
  - {id: max, name: Max Major, email: max@example.com, active: false}
pools:
  team: {strategy: round_robin, members: [ann, ben], overflow: backup}
  backup: {strategy: round_robin, members: [dot]}
sla:
  - name: hot
    first_touch: 4s
    remind: [2s]
    on_breach: [reassign, notify_manager]
    max_reassignments: 1
channels:
  mail: {type: email}
  sales: {type: slack, url: "${SLACK_WEBHOOK_URL}"}
  crm: {type: webhook, url: "${CRM_HOOK_URL}", secret: "${CRM_HOOK_SECRET}"}
notify:
  - {events: [lead.assigned, lead.reassigned, sla.reminder, sla.breached], to: owner, via: mail}
  - {events: [sla.breached], to: manager, via: mail}
  - {events: [lead.assigned, lead.reassigned], to: owner, via: sales}
  - {events: [lead.assigned, lead.reassigned, sla.reminder, sla.breached], via: crm}
acknowledge:
  via: mail
  templates: [{template: default}]
rules:
  - {name: everyone, route: team}
fallback: team
"""
LINK = re.compile(r"https?://\S+/act/[A-Za-z0-9_.-]+")


@dataclass
class Scenario:
    lead: dict[str, Any]  # GET /leads/{id} at the end
    mails: MailBox
    hooks: HookServer
    server_log: str


def wait_for(what: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def run(kind: str, directory: Path) -> Scenario:
    url = fresh_database(kind, directory)
    token = create_key(url)
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    with MailBox() as mails, HookServer() as hooks:
        env = {
            "LEADFLOW_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LEADFLOW_SMTP_HOST": "127.0.0.1",
            "LEADFLOW_SMTP_PORT": str(mails.port),
            "LEADFLOW_WORKER_POLL_SECONDS": "0.05",
            "LEADFLOW_HELD_CHECK_SECONDS": "0",
            "SLACK_WEBHOOK_URL": f"{hooks.url}/slack",
            "CRM_HOOK_URL": f"{hooks.url}/crm",
            "CRM_HOOK_SECRET": SECRET,
        }
        server = Server(url, directory / "server.log", port=port, env=env)
        with server.start():
            publish(server, token, POLICY)
            http = httpx.Client(base_url=server.url, headers=headers, timeout=30)
            answer = http.post("/api/v1/leads", json={"email": "jo@prospect.example"})
            assert answer.status_code == 201, answer.text
            lead_id = answer.json()["id"]

            def lead() -> dict[str, Any]:
                got: dict[str, Any] = http.get(f"/api/v1/leads/{lead_id}").json()
                return got

            wait_for(
                lambda: lead()["owner"] == "dot" and "sla.reminder" in mails.to("dot@example.com")
            )
            (reminder,) = [
                m for m in mails.mails if "dot@example.com" in m.to and m.event == "sla.reminder"
            ]
            link = LINK.search(reminder.text())
            assert link is not None, reminder.text()
            page = httpx.get(link.group(0), timeout=10)
            assert page.status_code == 200 and "/contacted" in page.text, page.text
            done = httpx.post(f"{link.group(0)}/contacted", timeout=10)
            assert done.status_code == 200, done.text
            time.sleep(1.0)  # anything still queued would arrive now
            final = lead()
        return Scenario(final, mails, hooks, server.tail(200))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return run(request.param, tmp_path_factory.mktemp(f"sla-{request.param}"))


def test_the_lead_was_reassigned_once_in_its_pool_then_sent_to_the_overflow(
    scenario: Scenario,
) -> None:
    assert scenario.lead["owner"] == "dot"
    assert scenario.lead["previous_owners"] == ["ann", "ben"]
    assert scenario.lead["sla_reassignments"] == 2


def test_the_lead_stays_breached_and_its_first_touch_is_stored(scenario: Scenario) -> None:
    assert scenario.lead["status"] == "contacted"
    assert scenario.lead["sla_status"] == "breached"
    assert scenario.lead["first_touch_seconds"] > 8


def test_each_owner_heard_of_the_lead_was_reminded_and_told_of_the_breach(
    scenario: Scenario,
) -> None:
    mails = scenario.mails
    assert mails.to("ann@example.com") == ["lead.assigned", "sla.reminder", "sla.breached"]
    assert mails.to("ben@example.com") == ["lead.reassigned", "sla.reminder", "sla.breached"]
    assert mails.to("dot@example.com") == ["lead.reassigned", "sla.reminder"]


def test_the_manager_was_told_of_both_breaches_the_second_escalated(scenario: Scenario) -> None:
    (first, second) = [m for m in scenario.mails.mails if "max@example.com" in m.to]
    assert (first.event, second.event) == ("sla.breached", "sla.breached")
    assert "escalat" not in first.text().lower()
    assert "escalat" in second.text().lower()


def test_the_prospect_got_one_acknowledgment(scenario: Scenario) -> None:
    assert scenario.mails.to("jo@prospect.example") == ["prospect.acknowledgment"]


def test_slack_got_the_assignment_and_both_reassignments_with_a_mention(
    scenario: Scenario,
) -> None:
    posts = [r.json() for r in scenario.hooks.at("/slack")]
    assert len(posts) == 3
    assert all(p["blocks"] and p["text"] for p in posts)
    assert "<@UANN>" in json.dumps(posts[0]) and "<@UBEN>" in json.dumps(posts[1])


def test_the_webhook_got_every_event_signed(scenario: Scenario) -> None:
    posts = scenario.hooks.at("/crm")
    events = [p.headers["X-Leadflow-Event"] for p in posts]
    assert events.count("sla.breached") == 2 and events.count("lead.reassigned") == 2
    for post in posts:
        signed = f"{post.headers['X-Leadflow-Timestamp']}.".encode() + post.body
        expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
        assert post.headers["X-Leadflow-Signature"] == f"sha256={expected}"


def test_no_receiver_saw_a_delivery_twice(scenario: Scenario) -> None:
    seen = scenario.mails.deliveries() + scenario.hooks.deliveries()
    assert seen and max(seen.values()) == 1


def test_the_links_that_act_as_the_owner_are_only_in_the_owners_email(scenario: Scenario) -> None:
    chat = [r.body.decode() for r in scenario.hooks.requests]
    assert chat and not any("/act/" in body for body in chat)
    owners = [m for m in scenario.mails.mails if m.to[0] in ("ann@example.com", "ben@example.com")]
    assert owners and all("/act/" in m.text() for m in owners)
    managers = [m for m in scenario.mails.mails if "max@example.com" in m.to]
    assert not any("/act/" in m.text() for m in managers)


def test_the_escalation_says_where_the_lead_went(scenario: Scenario) -> None:
    (_, second) = [m for m in scenario.mails.mails if "max@example.com" in m.to]
    assert "Dot Dean" in second.text()
