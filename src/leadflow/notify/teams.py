"""A Microsoft Teams message for an incoming webhook: one Adaptive Card.

The card: a title (what happened, to whom), the summary (`text/<event>.txt`, naming the
recipient), the lead's facts as a FactSet, and an `Action.OpenUrl` that opens the lead. It is
wrapped as Teams' webhooks want it: a `message` whose one attachment has the content type
`application/vnd.microsoft.card.adaptive`, a null `contentUrl` and the card as `content`;
version 1.4, the newest that every Teams client shows.

The card carries no @mention: a Teams mention needs the user's Entra id or UPN, which the
roster does not hold; the recipient is named in bold instead. Teams refuses a payload over
28 KB, so the summary is cut to 3000 characters and each fact to 1000.
"""

from __future__ import annotations

from typing import Any

from leadflow.notify import summary
from leadflow.notify.delivery import Delivery, Recipient

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD_VERSION = "1.4"
TEXT_LIMIT = 3000
FACT_LIMIT = 1000


def message(delivery: Delivery, text: str) -> dict[str, Any]:
    """The webhook payload for a delivery whose summary (`text/<event>.txt`) is `text`."""
    context = delivery.context
    lead_in = summary.clip(addressed(delivery.recipient, text), TEXT_LIMIT)
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": summary.headline(delivery.event, context),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
        {"type": "TextBlock", "text": lead_in, "wrap": True},
    ]
    facts = summary.facts(delivery.event, context, delivery.recipient)
    if facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": label, "value": summary.clip(value, FACT_LIMIT)}
                    for label, value in facts
                ],
            }
        )
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "fallbackText": lead_in,
        "body": body,
    }
    link = summary.text(summary.section(context, "links").get("lead"))
    if link.startswith(("https://", "http://")):
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open lead", "url": link}]
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_TYPE, "contentUrl": None, "content": card}],
    }


def addressed(recipient: Recipient, text: str) -> str:
    """The summary, opened by the recipient's name in bold when it is a person."""
    if recipient.role in ("owner", "manager") and recipient.name:
        return f"**{recipient.name}**: {text}"
    return text
