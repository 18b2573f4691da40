"""The active policy's notification channels as an admin sees them, and a test message to one.

A test message is sent now, through the same `Notifier` the worker sends with, so that it
proves what a real message needs: the URL or SMTP server reachable, the `${VAR}`s set in this
process's environment, the receiver accepting the payload. Its event is `channel.test` (a
receiver can tell it from a lead's) and it tells of a sample lead, so that the channel shows
what its messages will look like. Nothing is stored: not a job, not a lead.

Where a channel sends is shown without its secrets: a webhook URL is its host only (a Slack or
Teams URL is itself the secret), or the `${VAR}` it is read from.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from leadflow.core.policy import Channel
from leadflow.notify import Delivery, DeliveryError, Notifier, Recipient, expand
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, NotFound
from leadflow.service.jobs import active_channels
from leadflow.service.routing import Actor

log = logging.getLogger("leadflow.channels")

TEST_EVENT = "channel.test"
SAMPLE_LEAD = {
    "id": "test",
    "name": "Jane Doe (a sample lead)",
    "first_name": "Jane",
    "last_name": "Doe",
    "email": "jane.doe@example.com",
    "company": "Example Corp",
    "title": "VP Sales",
    "source": "leadflow test message",
}


@dataclass(frozen=True)
class ChannelView:
    name: str
    type: str  # slack | teams | email | webhook
    where: str  # where it sends, without secrets


@dataclass(frozen=True)
class TestResult:
    channel: str
    sent: bool
    detail: str  # where it went (a host, addresses), or why not (the reason: no secrets)


def list_channels(svc: Services, actor: Actor) -> list[ChannelView]:
    """The active policy's channels, by name."""
    _admin_only(actor)
    channels = active_channels(svc)
    return [ChannelView(c.name, c.type, where(c)) for _, c in sorted(channels.items())]


def send_test(svc: Services, name: str, actor: Actor, to: str | None = None) -> TestResult:
    """Send a test message over the channel `name` now; whether it went, and where or why not.

    `to`: the address a test of an email channel without `to:` goes to (such a channel writes
    to each lead's owner; its test goes to the person asking).
    """
    _admin_only(actor)
    channel = active_channels(svc).get(name)
    if channel is None:
        raise NotFound(f"no channel {name!r} in the active policy")
    addresses = list(channel.to) or ([to] if to else [])
    delivery = Delivery(
        id=f"test-{uuid.uuid4().hex}",
        event=TEST_EVENT,
        channel={
            "name": channel.name,
            "type": channel.type,
            "url": channel.url,
            "secret": channel.secret,
            "to": addresses,
        },
        recipient=Recipient("channel"),
        context={
            "event": TEST_EVENT,
            "occurred_at": svc.clock().isoformat(),
            "lead": SAMPLE_LEAD,
            "test": {"by": actor.name},
        },
    )
    notifier = Notifier(svc.settings, svc.env)
    try:
        notifier.send(delivery)
    except DeliveryError as error:
        log.info("channel.test_failed channel=%s by=%s reason=%r", name, actor.name, error.reason)
        return TestResult(name, False, error.reason)
    finally:
        notifier.close()
    log.info("channel.tested channel=%s by=%s", name, actor.name)
    went = ", ".join(addresses) if channel.type == "email" else _host(svc, channel)
    return TestResult(name, True, went)


def where(channel: Channel) -> str:
    """Where a channel sends, safe to show: a host, a `${VAR}`, or email addresses."""
    if channel.type == "email":
        return ", ".join(channel.to) if channel.to else "each lead's owner, by email"
    url = channel.url or ""
    if url.startswith("${"):
        return url.split("}", 1)[0] + "}"
    host = urlsplit(url).hostname
    return host or "(no URL)"


def _host(svc: Services, channel: Channel) -> str:
    """The host a message to the channel went to: its URL read as it was sent, cut to the
    host (a `${VAR}` URL may hold a secret, its host does not)."""
    try:
        url = expand(channel.url or "", svc.env, channel.name)
    except DeliveryError:
        return where(channel)
    return urlsplit(url).hostname or where(channel)


def _admin_only(actor: Actor) -> None:
    if actor.role != "admin":
        raise Forbidden("only an admin may see and test notification channels")
