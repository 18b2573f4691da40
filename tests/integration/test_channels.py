"""A test message to each notification channel of the active policy, sent now to real local
servers: an HTTP receiver answering as Slack and as a signed webhook's receiver, and an SMTP
server (aiosmtpd). And how a channel is shown to an admin, without its secrets."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from databases import FixedClock
from leadflow.core.policy import Channel
from leadflow.service import policies
from leadflow.service.channels import TEST_EVENT, list_channels, send_test, where
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, NotFound
from leadflow.service.routing import Actor
from leadflow.settings import Settings
from leadflow.store.migrate import upgrade

ADMIN = Actor("ada@example.com", "admin")
SECRET = "hook-secret"
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com}
pools:
  team: {strategy: round_robin, members: [ann]}
channels:
  sales-slack: {type: slack, url: "${BASE}/slack/T0/B0/xyz"}
  crm: {type: webhook, url: "${BASE}/hook", secret: "${HOOK_SECRET}"}
  broken: {type: webhook, url: "${BASE}/status/500"}
  ops-mail: {type: email, to: [ops@example.com]}
  mail: {type: email}
  unset: {type: slack, url: "${NOT_SET}"}
fallback: team
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver(BaseHTTPRequestHandler):
    """Slack (`/slack/…`: `ok` for a message with text and blocks), our webhook receiver
    (`/hook`: 204 when the signature holds), a failing server (`/status/CODE`)."""

    received: list[Received]

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append(Received(self.path, dict(self.headers), raw))
        if self.path.startswith("/slack/"):
            payload = json.loads(raw)
            good = bool(payload.get("text")) and bool(payload.get("blocks"))
            self.answer(200 if good else 400, "ok" if good else "invalid_blocks")
        elif self.path == "/hook":
            stamp = self.headers.get("X-Leadflow-Timestamp", "")
            mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256)
            good = self.headers.get("X-Leadflow-Signature") == "sha256=" + mac.hexdigest()
            self.answer(204 if good else 401, "" if good else "bad signature")
        else:
            self.answer(int(self.path.rsplit("/", 1)[1]), "down for maintenance")

    def answer(self, status: int, text: str) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(text.encode())))
        self.end_headers()
        self.wfile.write(text.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


@pytest.fixture
def http() -> Iterator[tuple[str, list[Received]]]:
    received: list[Received] = []
    handler = type("Handler", (Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def svc(
    database_url: str,
    clock: FixedClock,
    http: tuple[str, list[Received]],
    inbox: tuple[Inbox, int],
) -> Iterator[Services]:
    settings = Settings(
        database_url=database_url, pool_size=2, smtp_host="127.0.0.1", smtp_port=inbox[1]
    )
    env = {"BASE": http[0], "HOOK_SECRET": SECRET}
    built = Services.build(settings, clock=clock, env=env)
    upgrade(built.store.engine)
    policies.publish_policy(built, POLICY, ADMIN)
    yield built
    built.store.close()


def test_a_slack_test_message_reaches_slack_and_says_it_is_a_test(
    svc: Services, http: tuple[str, list[Received]]
) -> None:
    result = send_test(svc, "sales-slack", ADMIN)
    (got,) = http[1]
    assert (result.sent, result.detail, got.path) == (True, "127.0.0.1", "/slack/T0/B0/xyz")
    assert json.loads(got.body)["blocks"][0]["text"]["text"].startswith("Test message")


def test_a_webhook_test_message_is_signed_and_names_its_event(
    svc: Services, http: tuple[str, list[Received]]
) -> None:
    assert send_test(svc, "crm", ADMIN).sent
    (got,) = http[1]
    assert got.headers["X-Leadflow-Event"] == TEST_EVENT


def test_an_email_channel_with_addresses_sends_its_test_to_them(
    svc: Services, inbox: tuple[Inbox, int]
) -> None:
    result = send_test(svc, "ops-mail", ADMIN)
    (mail,) = inbox[0].messages
    assert (result.detail, mail["To"]) == ("ops@example.com", "ops@example.com")


def test_an_email_channel_to_each_owner_sends_its_test_to_the_person_asking(
    svc: Services, inbox: tuple[Inbox, int]
) -> None:
    send_test(svc, "mail", ADMIN, to="ada@example.com")
    (mail,) = inbox[0].messages
    assert mail["To"] == "ada@example.com"


def test_a_receiver_that_fails_gives_its_status_as_the_reason(svc: Services) -> None:
    result = send_test(svc, "broken", ADMIN)
    assert (result.sent, result.detail) == (
        False,
        "channel broken: HTTP 500 down for maintenance",
    )


def test_a_missing_environment_variable_is_named_in_the_reason(svc: Services) -> None:
    result = send_test(svc, "unset", ADMIN)
    assert result.detail == "channel unset url: environment variable NOT_SET is not set"


def test_a_channel_not_in_the_policy_is_not_found(svc: Services) -> None:
    with pytest.raises(NotFound):
        send_test(svc, "nowhere", ADMIN)


def test_only_an_admin_may_send_a_test_message(svc: Services) -> None:
    with pytest.raises(Forbidden):
        send_test(svc, "crm", Actor("mia@example.com", "manager"))


def test_channels_are_listed_by_name_with_where_they_send(svc: Services) -> None:
    shown = [(c.name, c.type, c.where) for c in list_channels(svc, ADMIN)]
    assert shown[:3] == [
        ("broken", "webhook", "${BASE}"),
        ("crm", "webhook", "${BASE}"),
        ("mail", "email", "each lead's owner, by email"),
    ]


def test_a_webhook_url_is_shown_as_its_host_only() -> None:
    secret_url = "https://hooks.slack.com/services/T000/B000/s3cr3t"
    assert where(Channel("s", "slack", url=secret_url)) == "hooks.slack.com"
