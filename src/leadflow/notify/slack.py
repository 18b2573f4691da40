"""A Slack message for an incoming webhook: Block Kit blocks and a plain-text fallback.

The message: a header (what happened, to whom), a section whose text is the summary
(`text/<event>.txt`, after a mention of the recipient) and whose fields are the lead's facts,
and a button that opens the lead. The top-level `text` is what notifications and clients that
cannot show blocks display.

Slack refuses a whole message (HTTP 400 `invalid_blocks`) over one limit of its Block Kit
reference, so every text is cut to fit: header text 150 characters (plain_text), section text
3000, at most 10 fields of 2000 each, button text 75, button URL 3000. Text in `mrkdwn` has
`&`, `<` and `>` escaped, as Slack asks, so that a lead cannot inject a mention or a link.
"""

from __future__ import annotations

import re
from typing import Any

from leadflow.notify import summary
from leadflow.notify.delivery import Delivery, Recipient

HEADER_LIMIT = 150
TEXT_LIMIT = 3000
FIELDS_LIMIT = 10
FIELD_LIMIT = 2000
URL_LIMIT = 3000

SLACK_ID = re.compile(r"[UW][A-Z0-9]{2,}")  # a member id: U012AB3CD (W… on Enterprise Grid)


def message(delivery: Delivery, text: str) -> dict[str, Any]:
    """The webhook payload for a delivery whose summary (`text/<event>.txt`) is `text`."""
    context = delivery.context
    lead_in = addressed(delivery.recipient, text)
    fields = summary.facts(delivery.event, context, delivery.recipient)[:FIELDS_LIMIT]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": summary.clip(summary.headline(delivery.event, context), HEADER_LIMIT),
                "emoji": True,
            },
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": lead_in},
            **({"fields": [_field(label, value) for label, value in fields]} if fields else {}),
        },
    ]
    link = summary.text(summary.section(context, "links").get("lead"))
    if link.startswith(("https://", "http://")) and len(link) <= URL_LIMIT:
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open lead"},
            "url": link,
            "action_id": "open_lead",
        }
        blocks.append({"type": "actions", "elements": [button]})
    return {"text": lead_in, "blocks": blocks}


def addressed(recipient: Recipient, text: str) -> str:
    """The summary in mrkdwn, opened by a mention of the recipient (by name without a Slack id)."""
    slack_id = recipient.slack_id or ""
    if SLACK_ID.fullmatch(slack_id):
        opening = f"<@{slack_id}> "
    elif recipient.role in ("owner", "manager") and recipient.name:
        opening = f"*{escape(recipient.name)}*: "
    else:
        opening = ""
    return opening + fit(text, TEXT_LIMIT - len(opening))


def escape(text: str) -> str:
    """Text that Slack's mrkdwn shows as written (its three control characters escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """`text` escaped for mrkdwn and cut so that the escaped form has at most `limit` chars."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    pieces, used = [], 0
    for char in text:  # an escape is longer than its character: count what is shown
        piece = escape(char)
        if used + len(piece) > limit - 1:
            break
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces) + "…"


def _field(label: str, value: str) -> dict[str, str]:
    heading = f"*{escape(label)}*\n"
    return {"type": "mrkdwn", "text": heading + fit(value, FIELD_LIMIT - len(heading))}
