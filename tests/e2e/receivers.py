"""Real receivers for the end-to-end tests: an SMTP server (aiosmtpd) and an HTTP server.

Both keep everything they receive, in order, and count each delivery id they see, so that a
test can say "every message arrived, and none twice". The HTTP receiver answers like the
vendor would (Slack: `ok`), and can be told to answer slowly, to catch a worker mid-send.
"""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from serverproc import HOST, free_port


@dataclass
class Mail:
    to: list[str]
    message: EmailMessage

    @property
    def event(self) -> str:
        return str(self.message["X-Leadflow-Event"])

    @property
    def delivery(self) -> str:
        return str(self.message["X-Leadflow-Delivery"])

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""


class _Keep:
    def __init__(self, box: MailBox) -> None:
        self.box = box

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.box.lock:
            self.box.mails.append(Mail(list(envelope.rcpt_tos), parsed))
        return "250 OK"


@dataclass
class MailBox:
    """A real SMTP server on 127.0.0.1 (aiosmtpd), started and stopped by the test."""

    port: int = field(default_factory=free_port)
    mails: list[Mail] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _controller: Controller | None = None

    def __enter__(self) -> MailBox:
        self._controller = Controller(_Keep(self), hostname=HOST, port=self.port)
        self._controller.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._controller is not None:
            self._controller.stop()

    def to(self, address: str) -> list[str]:
        """The events of the messages `address` got, in order."""
        with self.lock:
            return [m.event for m in self.mails if address in m.to]

    def deliveries(self) -> Counter[str]:
        with self.lock:
            return Counter(m.delivery for m in self.mails)


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HookServer:
    """An HTTP server that keeps every POST; `delay` seconds before it answers."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()  # a port given: one a test pointed a channel at first
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.delay = 0.0
        box = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if box.delay:
                    time.sleep(box.delay)
                with box.lock:
                    box.requests.append(Request(self.path, dict(self.headers.items()), body))
                reply = b"ok" if self.path.startswith("/slack") else b"{}"
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender died waiting (the crash test kills it): it was received

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> HookServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def at(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]

    def deliveries(self) -> Counter[str]:
        with self.lock:
            return Counter(r.headers.get("X-Leadflow-Delivery", "") for r in self.requests)
