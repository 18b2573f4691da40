"""Deliveries sent to real servers that the tests start: an SMTP server (aiosmtpd) and an HTTP
server that checks each vendor's documented payload and answers as the vendor does.

- Slack (incoming webhooks; Block Kit reference): `text` or `blocks`; known block types; a
  header's text is plain_text of at most 150 characters; a section has text (at most 3000) or
  fields (at most 10, each at most 2000); a button's text at most 75, its URL at most 3000.
  Slack answers 200 `ok`, or 400 `invalid_blocks` / `invalid_payload`.
- Teams (incoming webhooks): a `message` whose attachments have the content type
  `application/vnd.microsoft.card.adaptive` and an AdaptiveCard (type, version, body) as
  content. Teams answers 200 `1`.
- A webhook receiver of ours checks the signature with the shared secret, as
  docs/notifications.md says, and the delivery id header.

No database: these tests take none of the database fixtures.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from leadflow.notify import ACK_EVENT, Delivery, DeliveryError, Notifier, Recipient
from leadflow.settings import Settings

SECRET = "shared-secret"
ACTION = "http://leadflow.test/act/TOKEN"
CONTEXT: dict[str, Any] = {
    "occurred_at": "2026-11-16T15:00:00+00:00",
    "lead": {
        "id": "L1",
        "name": "Jane Doe",
        "first_name": "Jane",
        "email": "jane@acme.com",
        "company": "Acme",
        "title": "VP Sales",
        "source": "web",
        "score": 92,
        "tier": "A",
    },
    "decision": {"outcome": "assigned", "rule": "enterprise-us", "pool": "ae-east"},
    "owner": {"id": "alice", "name": "Alice Adams", "email": "alice@ex.com"},
    "sla": {"tier": "hot", "due_at": "2026-11-16T15:05:00+00:00", "first_touch": "5m"},
    "links": {"lead": ACTION, "accept": ACTION, "contact": ACTION},
}
ALICE = Recipient("owner", "alice", "Alice Adams", "alice@ex.com", "U012AB3CD")


def free_port() -> int:
    """A port nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# The SMTP server


@dataclass
class Inbox:
    """An aiosmtpd handler: keeps what it accepts, or answers RCPT or DATA with a set reply."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply:
            return self.data_reply
        parsed = message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def inbox(smtp_server: tuple[Inbox, int]) -> Inbox:
    held, _ = smtp_server
    held.messages.clear()
    held.envelopes.clear()
    held.rcpt_reply = held.data_reply = None
    return held


# The HTTP server: Slack, Teams, a webhook receiver, and servers that fail


SLACK_BLOCKS = {"actions", "context", "divider", "header", "image", "input", "section"}
SLACK_TEXTS = {"plain_text", "mrkdwn"}


def slack_problems(payload: dict[str, Any]) -> list[str]:
    """What Slack would refuse in an incoming-webhook payload (after its Block Kit reference)."""
    problems = []
    blocks = payload.get("blocks", [])
    if not payload.get("text") and not blocks:
        problems.append("no_text")
    if len(blocks) > 50:
        problems.append("too many blocks")
    for block in blocks:
        kind = block.get("type")
        if kind not in SLACK_BLOCKS:
            problems.append(f"unknown block {kind}")
        if kind == "header":
            text = block.get("text", {})
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                problems.append("header text")
        if kind == "section":
            text, fields = block.get("text"), block.get("fields")
            if text is None and not fields:
                problems.append("section without text or fields")
            if text is not None and (
                text.get("type") not in SLACK_TEXTS or not 0 < len(text["text"]) <= 3000
            ):
                problems.append("section text")
            if fields is not None and (
                len(fields) > 10
                or any(f.get("type") not in SLACK_TEXTS for f in fields)
                or any(not 0 < len(f.get("text", "")) <= 2000 for f in fields)
            ):
                problems.append("section fields")
        if kind == "actions":
            for element in block.get("elements", []):
                if element.get("type") == "button" and (
                    element["text"].get("type") != "plain_text"
                    or len(element["text"]["text"]) > 75
                    or len(element.get("url", "")) > 3000
                ):
                    problems.append("button")
    return problems


def teams_problems(payload: dict[str, Any]) -> list[str]:
    """What a Teams incoming webhook would refuse, for an Adaptive Card message."""
    if payload.get("type") != "message" or not payload.get("attachments"):
        return ["not a message with attachments"]
    problems = []
    for attachment in payload["attachments"]:
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            problems.append("content type")
        card = attachment.get("content") or {}
        if card.get("type") != "AdaptiveCard":
            problems.append("card type")
        if card.get("version") not in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5"):
            problems.append("card version")
        if not isinstance(card.get("body"), list) or not card["body"]:
            problems.append("card body")
        for element in card.get("body", []):
            if element.get("type") not in ("TextBlock", "FactSet", "ColumnSet", "Container"):
                problems.append(f"element {element.get('type')}")
        for action in card.get("actions", []):
            if action.get("type") != "Action.OpenUrl" or not action.get("url"):
                problems.append("action")
    return problems


def signature_ok(headers: Any, body: bytes, secret: str) -> bool:
    timestamp = headers.get("X-Leadflow-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
        return False
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(
        "sha256=" + expected.hexdigest(), headers.get("X-Leadflow-Signature", "")
    )


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Vendors(BaseHTTPRequestHandler):
    """Answers as Slack (/slack/…), Teams (/teams/…), our webhook receiver (/hook), or a
    failing server (/status/CODE, /slow)."""

    received: list[Received]  # set on the subclass each server makes

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.received.append(Received(self.path, dict(self.headers), raw))
        if self.path.startswith("/slack/"):
            problems = slack_problems(json.loads(raw))
            self.answer(400 if problems else 200, "invalid_blocks" if problems else "ok")
        elif self.path.startswith("/teams/"):
            problems = teams_problems(json.loads(raw))
            self.answer(400 if problems else 200, "; ".join(problems) if problems else "1")
        elif self.path == "/hook":
            if not self.headers.get("X-Leadflow-Delivery"):
                self.answer(400, "no delivery id")
            elif not signature_ok(self.headers, raw, SECRET):
                self.answer(401, "bad signature")
            else:
                self.answer(204, "")
        elif self.path.startswith("/status/"):
            code = int(self.path.rsplit("/", 1)[1])
            self.answer(code, "slow down" if code == 429 else "nope", {"Retry-After": "7"})
        elif self.path == "/slow":
            time.sleep(1.0)
            self.answer(200, "late")
        else:
            self.answer(404, "no_service")

    def answer(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        body = text.encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError):  # /slow: the client timed out and left
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope="module")
def http_server() -> Iterator[tuple[str, list[Received]]]:
    received: list[Received] = []
    handler = type("Handler", (Vendors,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received
    server.shutdown()
    server.server_close()


@pytest.fixture
def base(http_server: tuple[str, list[Received]]) -> str:
    http_server[1].clear()
    return http_server[0]


@pytest.fixture
def received(http_server: tuple[str, list[Received]]) -> list[Received]:
    return http_server[1]


@pytest.fixture
def notifier(smtp_server: tuple[Inbox, int], base: str) -> Iterator[Notifier]:
    settings = Settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_server[1],
        smtp_from="Acme Sales <sales@acme.com>",
        http_timeout=0.3,
        templates_dir=None,
    )
    env = {"BASE": base, "HOOK_SECRET": SECRET}
    sender = Notifier(settings, env)
    yield sender
    sender.close()


def delivery(
    channel: dict[str, Any],
    event: str = "lead.assigned",
    recipient: Recipient = ALICE,
    id: str = "d-0001",
    template: str | None = None,
) -> Delivery:
    return Delivery(id, event, channel, recipient, CONTEXT, template)


def at(path: str, type_: str = "slack", **extra: Any) -> dict[str, Any]:
    return {"name": f"test-{type_}", "type": type_, "url": "${BASE}" + path, **extra}


def failure(notifier: Notifier, d: Delivery) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        notifier.send(d)
    return caught.value


# Email


def test_an_owners_email_reaches_the_smtp_server_with_its_headers(
    notifier: Notifier, inbox: Inbox
) -> None:
    notifier.send(delivery({"name": "mail", "type": "email"}))
    (msg,) = inbox.messages
    assert inbox.envelopes == [["alice@ex.com"]]
    assert msg["Subject"] == "New lead: Jane Doe, Acme"
    assert msg["From"] == "Acme Sales <sales@acme.com>"
    assert msg["To"] == "Alice Adams <alice@ex.com>"
    assert msg["Message-ID"] == "<d-0001@leadflow>"
    assert msg["X-Leadflow-Delivery"] == "d-0001"


def test_the_email_received_has_both_bodies_and_the_action_link(
    notifier: Notifier, inbox: Inbox
) -> None:
    notifier.send(delivery({"name": "mail", "type": "email"}))
    (msg,) = inbox.messages
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert "You have a new lead: Jane Doe (Acme)." in plain.get_content()
    assert f"Accept or mark contacted: {ACTION}" in plain.get_content()
    assert f'href="{ACTION}"' in html.get_content()


def test_a_retried_email_keeps_its_message_id(notifier: Notifier, inbox: Inbox) -> None:
    notifier.send(delivery({"name": "mail", "type": "email"}))
    notifier.send(delivery({"name": "mail", "type": "email"}))
    assert [m["Message-ID"] for m in inbox.messages] == ["<d-0001@leadflow>"] * 2


def test_the_prospect_gets_the_acknowledgment(notifier: Notifier, inbox: Inbox) -> None:
    prospect = Recipient("prospect", name="Jane Doe", email="jane@acme.com")
    d = delivery({"name": "mail", "type": "email"}, ACK_EVENT, prospect, template="demo_request")
    notifier.send(d)
    (msg,) = inbox.messages
    assert inbox.envelopes == [["jane@acme.com"]]
    assert (msg["Subject"], msg["Reply-To"]) == ("Your demo request", "Alice Adams <alice@ex.com>")


def test_an_email_channel_sends_to_every_address_it_lists(notifier: Notifier, inbox: Inbox) -> None:
    channel = {"name": "ops-mail", "type": "email", "to": ["ops@ex.com", "sales@ex.com"]}
    notifier.send(delivery(channel, recipient=Recipient("channel")))
    assert inbox.envelopes == [["ops@ex.com", "sales@ex.com"]]


def test_a_temporary_smtp_refusal_is_retryable(notifier: Notifier, inbox: Inbox) -> None:
    inbox.data_reply = "451 4.3.0 Try again later"
    error = failure(notifier, delivery({"name": "mail", "type": "email"}))
    assert error.retryable
    assert error.reason == "channel mail: SMTP 451 4.3.0 Try again later"


def test_a_permanent_smtp_refusal_is_not_retryable(notifier: Notifier, inbox: Inbox) -> None:
    inbox.rcpt_reply = "550 5.1.1 No such user"
    error = failure(notifier, delivery({"name": "mail", "type": "email"}))
    assert not error.retryable
    assert "550" in error.reason


def test_an_smtp_server_that_is_down_is_retryable() -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_timeout=1)
    sender = Notifier(settings, {})
    error = failure(sender, delivery({"name": "mail", "type": "email"}))
    sender.close()
    assert error.retryable
    assert error.reason.startswith("channel mail: SMTP connection: ")


# Slack and Teams


def test_slack_accepts_the_message_as_its_documented_payload(
    notifier: Notifier, received: list[Received]
) -> None:
    notifier.send(delivery(at("/slack/T1/B1/XYZ")))
    (request,) = received
    payload = request.json()
    assert slack_problems(payload) == []
    assert payload["text"].startswith("<@U012AB3CD> ")
    assert request.headers["X-Leadflow-Delivery"] == "d-0001"


def test_teams_accepts_the_adaptive_card(notifier: Notifier, received: list[Received]) -> None:
    notifier.send(delivery(at("/teams/incoming", "teams")))
    (request,) = received
    assert teams_problems(request.json()) == []
    assert request.headers["X-Leadflow-Delivery"] == "d-0001"


def test_slack_refusing_a_payload_is_not_retryable_and_shows_what_slack_said(
    notifier: Notifier,
) -> None:
    error = failure(notifier, delivery(at("/nowhere")))
    assert (error.retryable, error.reason) == (False, "channel test-slack: HTTP 404 no_service")


# Webhooks


def test_the_webhook_receiver_verifies_the_signature_with_the_shared_secret(
    notifier: Notifier, received: list[Received]
) -> None:
    notifier.send(delivery(at("/hook", "webhook", secret="${HOOK_SECRET}")))
    (request,) = received
    assert request.headers["X-Leadflow-Delivery"] == "d-0001"
    assert request.json()["id"] == "d-0001"


def test_a_webhook_signed_with_another_secret_is_refused_without_retry(
    notifier: Notifier,
) -> None:
    error = failure(notifier, delivery(at("/hook", "webhook", secret="not-the-shared-one")))
    assert (error.retryable, error.reason) == (
        False,
        "channel test-webhook: HTTP 401 bad signature",
    )


def test_every_try_of_a_webhook_carries_the_same_delivery_id(
    notifier: Notifier, received: list[Received]
) -> None:
    hook = at("/hook", "webhook", secret="${HOOK_SECRET}")
    notifier.send(delivery(hook, id="d-0042"))
    notifier.send(delivery(hook, id="d-0042"))
    assert [r.headers["X-Leadflow-Delivery"] for r in received] == ["d-0042", "d-0042"]
    assert received[0].body == received[1].body


# Failures over HTTP


def test_a_server_error_is_retryable(notifier: Notifier) -> None:
    error = failure(notifier, delivery(at("/status/500", "webhook")))
    assert (error.retryable, error.reason) == (True, "channel test-webhook: HTTP 500 nope")


def test_too_many_requests_is_retryable_after_the_wait_the_server_asked_for(
    notifier: Notifier,
) -> None:
    error = failure(notifier, delivery(at("/status/429")))
    assert (error.retryable, error.retry_after) == (True, 7.0)


def test_a_bad_request_is_not_retryable(notifier: Notifier) -> None:
    error = failure(notifier, delivery(at("/status/400", "teams")))
    assert (error.retryable, error.reason) == (False, "channel test-teams: HTTP 400 nope")


def test_a_refused_connection_is_retryable(notifier: Notifier) -> None:
    channel = {"name": "gone", "type": "webhook", "url": f"http://127.0.0.1:{free_port()}/h"}
    error = failure(notifier, delivery(channel))
    assert error.retryable
    assert error.reason.startswith("channel gone: ConnectError")


def test_a_server_slower_than_the_http_timeout_is_retryable(notifier: Notifier) -> None:
    error = failure(notifier, delivery(at("/slow", "webhook")))
    assert (error.retryable, error.reason) == (True, "channel test-webhook: timed out")
