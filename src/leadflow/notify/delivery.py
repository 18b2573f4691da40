"""A delivery: one message to one recipient over one channel, and how sending it can fail.

A delivery is made by the service in the transaction of the decision that causes it, stored as
a row of the worker's table (its JSON `data` is `Delivery.to_data()`), and sent by the worker
with `Notifier.send`, as often as it takes. Its `id` is the same on every try: it becomes the
email's Message-ID and the `X-Leadflow-Delivery` header, so a receiver can drop a message it
has already seen (deliveries are at least once).

The one error, `DeliveryError`, says whether trying again can help (`retryable`): a server
that is down, busy or rate-limiting us (and `retry_after` when it said how long to wait) can;
a refused payload, an unknown address, a missing environment variable or a broken template
cannot until somebody changes something. Its `reason` never holds a secret or a webhook URL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

ACK_EVENT = "prospect.acknowledgment"
"""The event of the email that answers a prospect (recipient role `prospect`)."""


@dataclass(frozen=True)
class Recipient:
    """Who a message is for: the lead's owner, a manager, a channel, or the prospect."""

    role: str  # owner | manager | channel | prospect
    rep_id: str | None = None
    name: str | None = None
    email: str | None = None
    slack_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One message to send: what happened, to whom, over which channel, with what to say."""

    id: str  # the same on every try
    event: str  # lead.assigned ... or ACK_EVENT
    channel: dict[str, Any]  # {"name", "type", "url", "secret", "to"}: ${VAR} unexpanded
    recipient: Recipient
    context: dict[str, Any] = field(default_factory=dict)  # lead, decision, sla, links...
    template: str | None = None  # the acknowledgment's template name

    def to_data(self) -> dict[str, Any]:
        """The JSON-ready form kept in the worker's table (the id is the row's own)."""
        return {
            "event": self.event,
            "channel": dict(self.channel),
            "recipient": asdict(self.recipient),
            "context": self.context,
            "template": self.template,
        }

    @classmethod
    def from_data(cls, id: str, data: dict[str, Any]) -> Delivery:
        """The delivery `to_data` stored; keys a later version added are ignored."""
        known = {f.name for f in fields(Recipient)}
        recipient = {k: v for k, v in (data.get("recipient") or {}).items() if k in known}
        return cls(
            id=id,
            event=data["event"],
            channel=dict(data.get("channel") or {}),
            recipient=Recipient(**recipient),
            context=dict(data.get("context") or {}),
            template=data.get("template"),
        )

    @property
    def channel_name(self) -> str:
        return str(self.channel.get("name") or self.channel.get("type") or "?")


class DeliveryError(Exception):
    """A try that failed: `retryable` says whether another try can succeed.

    `reason` is what an operator reads in the API and the logs; it names the channel, the
    template, the variable or the status, never a secret. `retry_after` is the wait, in
    seconds, that the receiver asked for (HTTP `Retry-After`), if it did.
    """

    def __init__(self, reason: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"DeliveryError({self.reason!r}, retryable={self.retryable})"
