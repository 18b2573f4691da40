"""A webhook: the event as JSON, signed with the channel's secret.

Body: `{"id", "event", "occurred_at", "recipient", "lead", "decision", "owner",
"previous_owner", "sla", "links", "reason"}`, every key present (null when the event has no such
thing). `links` holds only `lead`: accept and contact links act as the owner, so they stay in
the owner's own email.

Headers: `X-Leadflow-Delivery` (the delivery id, the same on every try: receivers dedupe by
it), `X-Leadflow-Event`, `X-Leadflow-Timestamp` (unix seconds of this try) and
`X-Leadflow-Signature: sha256=HEX`, the HMAC-SHA256 with the secret of
`"{timestamp}.{raw body}"`. A receiver recomputes it over the bytes it received, compares in
constant time, and refuses a timestamp too far from its clock (a replayed request).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from leadflow.notify.delivery import Delivery

SIGNATURE_PREFIX = "sha256="
CONTEXT_KEYS = ("lead", "decision", "owner", "previous_owner", "sla", "links", "reason")
PUBLIC_LINKS = ("lead",)
TOLERANCE_SECONDS = 300


def payload(delivery: Delivery) -> dict[str, Any]:
    """What the receiver gets to read about the event."""
    context = delivery.context
    body: dict[str, Any] = {
        "id": delivery.id,
        "event": delivery.event,
        "occurred_at": context.get("occurred_at"),
        "recipient": {
            "role": delivery.recipient.role,
            "rep_id": delivery.recipient.rep_id,
            "name": delivery.recipient.name,
            "email": delivery.recipient.email,
        },
    }
    for key in CONTEXT_KEYS:
        body[key] = context.get(key)
    links = context.get("links")
    if isinstance(links, dict):
        body["links"] = {k: v for k, v in links.items() if k in PUBLIC_LINKS}
    return body


def body(delivery: Delivery) -> bytes:
    """The raw JSON body: these exact bytes are signed and sent."""
    return json_bytes(payload(delivery))


def json_bytes(value: object) -> bytes:
    """Compact UTF-8 JSON, as every HTTP channel sends it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def sign(secret: str, timestamp: int, raw: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256, keyed by `secret`, of `"{timestamp}.{raw}"`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256)
    return SIGNATURE_PREFIX + digest.hexdigest()


def headers(delivery: Delivery, raw: bytes, secret: str | None, timestamp: int) -> dict[str, str]:
    """The request's headers; no signature for a channel without a secret."""
    sent = {
        "Content-Type": "application/json",
        "X-Leadflow-Delivery": delivery.id,
        "X-Leadflow-Event": delivery.event,
        "X-Leadflow-Timestamp": str(timestamp),
    }
    if secret:
        sent["X-Leadflow-Signature"] = sign(secret, timestamp, raw)
    return sent


def verify(
    secret: str,
    raw: bytes,
    timestamp: str,
    signature: str,
    now: float,
    tolerance: float = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver checks: the signature matches and the timestamp is recent.

    For receivers written in Python and for tests; docs/notifications.md shows the same
    steps without leadflow installed.
    """
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent_at) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, sent_at, raw), signature)
