"""An email: to the owner, the manager, a channel's addresses, or the prospect.

Built from its templates (`email/<event>` or `ack/<name>`): the plain-text body, and the HTML
one as an alternative when there is an `.html` template. Its Message-ID is made from the
delivery id, `<DELIVERY_ID@leadflow>`, the same on every try, so that a mail system that
keeps Message-IDs drops a second copy; `X-Leadflow-Delivery` carries the id as it is.

Every message says it was sent by a program (`Auto-Submitted`, RFC 3834), so that vacation
replies do not answer it. The prospect's acknowledgment has `Reply-To` its owner's address, when
the lead has an owner with one: the prospect's answer reaches the rep.
"""

from __future__ import annotations

import hashlib
import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from leadflow.notify import summary
from leadflow.notify.delivery import ACK_EVENT, Delivery, DeliveryError
from leadflow.notify.templates import EmailText

MESSAGE_ID_DOMAIN = "leadflow"
_ATOM = re.compile(r"[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*")  # safe in a msg-id's left part


def addresses(delivery: Delivery) -> list[str]:
    """Who the email goes to, as header addresses; DeliveryError (not retryable) if nobody.

    An owner or manager by the roster's email, a channel by its `to:` list, the prospect by
    the lead's email.
    """
    recipient = delivery.recipient
    if recipient.role == "channel":
        listed = [str(a).strip() for a in delivery.channel.get("to") or [] if str(a).strip()]
        if not listed:
            raise DeliveryError(
                f"channel {delivery.channel_name} has no `to:` addresses for a message to the "
                "channel",
                retryable=False,
            )
        return listed
    email = recipient.email
    if not email and recipient.role == "prospect":
        email = summary.text(summary.section(delivery.context, "lead").get("email"))
    if not email:
        who = f"{recipient.role} {recipient.rep_id}" if recipient.rep_id else recipient.role
        raise DeliveryError(
            f"the {who} has no email address for channel {delivery.channel_name}",
            retryable=False,
        )
    return [formataddr((_one_line(recipient.name or ""), _one_line(email)))]


def message_id(delivery_id: str) -> str:
    """`<DELIVERY_ID@leadflow>`; an id with other characters than a Message-ID allows is
    replaced by its SHA-256, which is as stable."""
    local = delivery_id if _ATOM.fullmatch(delivery_id) else _digest(delivery_id)
    return f"<{local}@{MESSAGE_ID_DOMAIN}>"


def message(
    delivery: Delivery,
    texts: EmailText,
    *,
    sender: str,
    to: list[str],
    date: float | None = None,
) -> EmailMessage:
    """The email of a delivery, from its rendered templates; `date` in epoch seconds."""
    msg = EmailMessage()
    msg["Subject"] = _one_line(texts.subject)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if date is not None:
        msg["Date"] = formatdate(date, usegmt=True)
    msg["Message-ID"] = message_id(delivery.id)
    msg["X-Leadflow-Delivery"] = _one_line(delivery.id)
    msg["X-Leadflow-Event"] = _one_line(delivery.event)
    if delivery.event == ACK_EVENT:
        msg["Auto-Submitted"] = "auto-replied"
        owner = summary.section(delivery.context, "owner")
        if summary.text(owner.get("email")):
            msg["Reply-To"] = formataddr(
                (_one_line(summary.person(owner)), _one_line(summary.text(owner.get("email"))))
            )
    else:
        msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(texts.text)
    if texts.html is not None:
        msg.add_alternative(texts.html, subtype="html")
    return msg


def _one_line(value: str) -> str:
    """A header value: line breaks, which would end the header, become spaces."""
    return " ".join(value.split())


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
