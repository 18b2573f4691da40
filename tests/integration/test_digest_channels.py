"""The weekly digest through the real Notifier: its email received by an SMTP server the test
runs (aiosmtpd), with a text and an HTML part; its Slack message posted to a fake of Slack's
incoming webhook at the HTTP boundary, which checks the payload as Slack documents it and
answers as Slack does (200 `ok`; 400 `invalid_blocks`, `invalid_payload`, `no_text`)."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from databases import FixedClock
from leadflow.notify import Notifier
from leadflow.service.context import Services
from leadflow.service.routing import Actor, NewLead, intake
from leadflow.settings import Settings
from leadflow.store.tables import JobRow
from leadflow.worker import Worker

FORM = Actor("website-form", "intake")
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"
TEAMS_URL = "https://example.webhook.office.com/webhookb2/abc/IncomingWebhook/def/ghi"
POLICY = """
version: 1
timezone: America/New_York
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com, manager: max}
  - {id: max, name: Max Major, email: max@example.com, active: false}
pools:
  team: {strategy: round_robin, members: [ann]}
sla:
  - {name: default, first_touch: 1h}
channels:
  mail: {type: email}
  team-slack: {type: slack, url: "${SLACK_URL}"}
  team-teams: {type: teams, url: "${TEAMS_URL}"}
reports:
  digest: {at: "monday 08:00", channels: [team-slack, team-teams]}
rules:
  - {name: all, route: team}
fallback: team
"""
WEEK = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # Mon 16 Nov, 10:00 in New York
SEND = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Mon 23 Nov, 08:00 in New York
SCRIPT = "<script>alert(1)</script>"

Publish = Callable[[Services, str], int]


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@dataclass
class Slack:
    """Slack's incoming webhook, as its docs describe the request and the answers."""

    posts: list[dict[str, Any]] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)  # what Teams' webhook got
    refuse_with: str | None = None  # answer every post 400 with this, as Slack does

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TEAMS_URL:
            return self.teams(request)
        if str(request.url) != SLACK_URL:
            return httpx.Response(404, text="no_service")
        try:
            payload = json.loads(request.content)
        except ValueError:
            return httpx.Response(400, text="invalid_payload")
        self.posts.append(payload)
        if self.refuse_with:
            return httpx.Response(400, text=self.refuse_with)
        if not payload.get("text") and not payload.get("blocks"):
            return httpx.Response(400, text="no_text")
        if not all(_block_ok(b) for b in payload.get("blocks", [])) or len(payload["blocks"]) > 50:
            return httpx.Response(400, text="invalid_blocks")
        return httpx.Response(200, text="ok")

    def teams(self, request: httpx.Request) -> httpx.Response:
        """A Teams incoming webhook: a `message` with Adaptive Card attachments; answers `1`."""
        payload = json.loads(request.content)
        self.cards.append(payload)
        attachments = payload.get("attachments") or []
        good = (
            payload.get("type") == "message"
            and attachments
            and all(
                a.get("contentType") == "application/vnd.microsoft.card.adaptive"
                and a.get("content", {}).get("type") == "AdaptiveCard"
                and a["content"].get("body")
                for a in attachments
            )
        )
        return httpx.Response(200, text="1") if good else httpx.Response(400, text="Bad payload")


def _block_ok(block: dict[str, Any]) -> bool:
    kind = block.get("type")
    if kind == "header":
        text = block.get("text", {})
        return text.get("type") == "plain_text" and 0 < len(text.get("text", "")) <= 150
    if kind == "section":
        text = block.get("text", {})
        return text.get("type") in ("mrkdwn", "plain_text") and 0 < len(text["text"]) <= 3000
    if kind == "context":
        return 0 < len(block.get("elements", [])) <= 10
    return kind in ("divider", "actions")


@pytest.fixture
def slack() -> Slack:
    return Slack()


@pytest.fixture
def worker(
    services: Services,
    publish_policy: Publish,
    clock: FixedClock,
    smtp: tuple[Inbox, int],
    slack: Slack,
) -> Iterator[Worker]:
    clock.set(WEEK - timedelta(days=1))
    publish_policy(services, POLICY)
    _, port = smtp
    settings = Settings(
        database_url=services.settings.database_url,
        smtp_host="127.0.0.1",
        smtp_port=port,
        public_url="https://leadflow.example",
    )
    notifier = Notifier(
        settings,
        {"SLACK_URL": SLACK_URL, "TEAMS_URL": TEAMS_URL},
        httpx.Client(transport=httpx.MockTransport(slack)),
        clock=lambda: clock.now.timestamp(),
    )
    services.settings = services.settings.model_copy(
        update={"public_url": "https://leadflow.example"}
    )
    running = Worker(services, notifier, name="w1", senders=2)
    yield running
    running.senders.shutdown(wait=True)
    notifier.close()


def week_with_a_breach(svc: Services, clock: FixedClock, worker: Worker) -> str:
    """One lead for Ann this week, named like a script, never touched: breached."""
    clock.set(WEEK)
    fields = {"name": SCRIPT, "company": "Evil & Co", "email": "x@prospect.example"}
    lead_id = intake(svc, NewLead(fields=fields, payload=dict(fields)), FORM).lead_id
    clock.advance(hours=1, minutes=1)
    drain(worker)
    return lead_id


def drain(worker: Worker) -> None:
    while worker.run_once():
        pass


def test_the_managers_email_arrives_with_a_text_and_an_html_part(
    services: Services, clock: FixedClock, worker: Worker, smtp: tuple[Inbox, int]
) -> None:
    lead_id = week_with_a_breach(services, clock, worker)
    inbox, _ = smtp
    inbox.messages.clear()  # the lead's own messages
    clock.set(SEND)
    drain(worker)
    (mail,) = [m for m in inbox.messages if m["X-Leadflow-Event"] == "report.digest"]
    assert mail["To"] == "Max Major <max@example.com>"
    assert mail["Subject"] == "Weekly digest: Max Major's team, 16 - 22 Nov 2026"
    assert mail.get_content_type() == "multipart/alternative"
    text = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert text is not None and html is not None
    assert f"- {SCRIPT}, Evil & Co (Ann Archer): https://leadflow.example/leads/{lead_id}" in (
        text.get_content()
    )
    body = html.get_content()
    assert SCRIPT not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert f'href="https://leadflow.example/leads/{lead_id}"' in body


def test_the_slack_message_is_accepted_by_slack(
    services: Services, clock: FixedClock, worker: Worker, slack: Slack
) -> None:
    week_with_a_breach(services, clock, worker)
    clock.set(SEND)
    drain(worker)
    (post,) = slack.posts
    assert post["blocks"][0]["text"]["text"] == "Weekly digest: Max Major's team, 16 - 22 Nov 2026"
    assert "&lt;script&gt;" in post["blocks"][-1]["text"]["text"]
    with services.store.reading() as session:
        row = session.scalar(
            select(JobRow).where(JobRow.data["channel"]["name"].as_string() == "team-slack")
        )
    assert row is not None and row.state == "done"


def test_a_digest_slack_refuses_is_dead_with_slacks_answer_and_the_email_still_goes(
    services: Services,
    clock: FixedClock,
    worker: Worker,
    slack: Slack,
    smtp: tuple[Inbox, int],
) -> None:
    week_with_a_breach(services, clock, worker)
    slack.refuse_with = "invalid_blocks"
    clock.set(SEND)
    drain(worker)
    inbox, _ = smtp
    assert [m["X-Leadflow-Event"] for m in inbox.messages].count("report.digest") == 1
    with services.store.reading() as session:
        row = session.scalar(
            select(JobRow).where(JobRow.data["channel"]["name"].as_string() == "team-slack")
        )
    assert row is not None
    assert row.state == "dead"  # a 400 is not retried: the payload itself is refused
    assert row.last_error == "channel team-slack: HTTP 400 invalid_blocks"


def test_the_teams_card_is_accepted_by_teams(
    services: Services, clock: FixedClock, worker: Worker, slack: Slack
) -> None:
    week_with_a_breach(services, clock, worker)
    clock.set(SEND)
    drain(worker)
    (card,) = slack.cards
    body = card["attachments"][0]["content"]["body"]
    assert body[0]["text"] == "Weekly digest: Max Major's team, 16 - 22 Nov 2026"
    with services.store.reading() as session:
        row = session.scalar(
            select(JobRow).where(JobRow.data["channel"]["name"].as_string() == "team-teams")
        )
    assert row is not None and row.state == "done"
