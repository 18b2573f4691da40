"""Messages that a routing transaction causes, written with it as `deliver` rows.

The policy's `notify` routes say which events go to whom through which channel; the
`acknowledge` section says which email the prospect gets. Each message becomes one row in the
same transaction as the decision, reminder or breach that caused it, so a message is sent if
and only if what it reports was committed. The worker sends it (`leadflow.worker`).

What a message says is fixed here, when the event happens (the lead, the decision, the
deadline): a retry an hour later sends the same message, not a newer state of the lead.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from leadflow.core.policy import Channel, Policy
from leadflow.core.sla import format_duration, tier_named
from leadflow.service.links import make_token
from leadflow.store.jobs import DELIVER, new_job
from leadflow.store.tables import LeadRow

if TYPE_CHECKING:
    from leadflow.service.routing import RoutingTxn

log = logging.getLogger("leadflow.notify")

ACKNOWLEDGMENT = "prospect.acknowledgment"


def notify(txn: RoutingTxn, row: LeadRow, event: str, **extra: Any) -> int:
    """Queue `event` about this lead for every route that asks for it; how many were queued.

    `extra` adds to the message's context (`reason`, `previous_owner`, `sla` details); two
    keys steer who gets a breach: `notify_manager` and `escalated`.
    """
    policy = txn.policy
    if policy is None or not policy.notify:
        return 0
    queued = 0
    contexts: dict[bool, dict[str, Any]] = {}  # what messages say differs only in the links
    managers = event != "sla.breached" or bool(
        extra.get("notify_manager") or extra.get("escalated")
    )
    for route in policy.notify_routes(event, row.fields, notify_manager=managers):
        recipient = _recipient(policy, route.to, row)
        if route.to != "channel" and recipient.get("rep_id") is None:
            # an unassigned lead has no owner (nor a manager of one): nobody to tell this way
            txn.event(
                row.id,
                "notification.skipped",
                "leadflow",
                notification=event,
                channel=route.via,
                reason=f"the lead has no {route.to}",
            )
            continue
        channel = policy.channels[route.via]
        as_owner = _acts_as_owner(row, recipient, channel.type)
        context = contexts.get(as_owner)
        if context is None:
            context = contexts[as_owner] = lead_context(txn, row, event, extra, as_owner)
        _queue(txn, row, event, channel, recipient, context)
        queued += 1
    return queued


def acknowledge(txn: RoutingTxn, row: LeadRow) -> bool:
    """Queue the prospect's acknowledgment email, if the policy has one for this lead."""
    policy = txn.policy
    if policy is None or policy.acknowledge is None:
        return False
    template = policy.ack_template(row.fields, row.status)
    email = _text(row.fields.get("email"))
    if template is None or email is None:
        return False
    recipient = {"role": "prospect", "name": _name(row.fields), "email": email}
    channel = policy.channels[policy.acknowledge.via]
    context = lead_context(txn, row, ACKNOWLEDGMENT, {}, as_owner=False)
    _queue(txn, row, ACKNOWLEDGMENT, channel, recipient, context, template=template)
    return True


def _queue(
    txn: RoutingTxn,
    row: LeadRow,
    event: str,
    channel: Channel,
    recipient: dict[str, Any],
    context: dict[str, Any],
    template: str | None = None,
) -> None:
    # Only the channel's name: its URL and secret are read from the policy when sending, so
    # they are never stored, and a dead message retried after a fix goes where it now says.
    data = {
        "event": event,
        "channel": {"name": channel.name, "type": channel.type},
        "recipient": recipient,
        "context": context,
        "template": template,
    }
    txn.job(new_job(DELIVER, txn.now, txn.now, data, lead_id=row.id))
    txn.event(
        row.id,
        "notification.queued",
        "leadflow",
        notification=event,
        channel=channel.name,
        to=recipient.get("rep_id") or recipient["role"],
    )


def _recipient(policy: Policy, to: str, row: LeadRow) -> dict[str, Any]:
    """Who a route means for this lead: the owner, the owner's manager, or the channel."""
    rep_id = row.owner if to in ("owner", "manager") else None
    if to == "manager" and rep_id is not None:
        rep = policy.reps.get(rep_id)
        rep_id = rep.manager if rep is not None else None
    rep = policy.reps.get(rep_id) if rep_id else None
    if rep is None:
        return {"role": to, "rep_id": rep_id}  # nobody: the delivery fails, visibly (dead)
    return {
        "role": to,
        "rep_id": rep.id,
        "name": rep.name,
        "email": rep.email,
        "slack_id": rep.slack_id,
    }


def _acts_as_owner(row: LeadRow, recipient: dict[str, Any], channel_type: str) -> bool:
    """Whether a message carries the links that act as the owner: only the owner's own email.

    A Slack or Teams webhook posts to a channel others read, and a webhook's receiver is not
    the rep.
    """
    return (
        channel_type == "email"
        and recipient.get("role") == "owner"
        and row.owner is not None
        and row.decision_id is not None
        and recipient.get("rep_id") == row.owner
    )


def lead_context(
    txn: RoutingTxn, row: LeadRow, event: str, extra: dict[str, Any], as_owner: bool
) -> dict[str, Any]:
    """Everything a message may say about the lead, as of now (see docs/notifications.md);
    `as_owner`: with the links that act as the owner (`_acts_as_owner`)."""
    policy = txn.policy
    fields = row.fields
    owner = _rep(policy, row.owner)
    base = txn.svc.settings.public_url.rstrip("/")
    links: dict[str, Any] = {"lead": f"{base}/api/v1/leads/{row.id}"}
    if as_owner and row.owner is not None and row.decision_id is not None:
        token = make_token(txn.svc, row.id, row.owner, row.decision_id, txn.now, txn.session)
        links["lead"] = links["accept"] = links["contact"] = f"{base}/act/{token}"
    context: dict[str, Any] = {
        "event": event,
        "occurred_at": txn.now.isoformat(),
        "lead": {
            "id": row.id,
            "name": _name(fields),
            "first_name": _text(fields.get("first_name")),
            "last_name": _text(fields.get("last_name")),
            "email": _text(fields.get("email")),
            "phone": _text(fields.get("phone")),
            "company": _text(fields.get("company")),
            "title": _text(fields.get("title")),
            "source": row.source or _text(fields.get("source")),
            "score": fields.get("score"),
            "tier": fields.get("tier") if fields.get("tier") is not None else row.sla_tier,
            "country": _text(fields.get("country")),
            "fields": fields,
        },
        "decision": {
            "outcome": row.status,
            "rule": row.rule,
            "pool": row.pool,
            "reason": extra.get("reason"),
        },
        "owner": owner,
        "sla": _sla(row, policy, owner, extra.get("was_due")),
        "links": links,
        "reason": extra.get("reason"),
    }
    if "previous_owner" in extra:
        context["previous_owner"] = _rep(policy, extra["previous_owner"])
    for key in ("reminder", "breached_at", "escalated", "not_reassigned", "moves_to"):
        if key in extra:
            context["sla"][key] = extra[key]

    return context


def _sla(
    row: LeadRow, policy: Policy | None, owner: dict[str, Any] | None, was_due: datetime | None
) -> dict[str, Any]:
    """The clock as a message tells it; `was_due`: a breach's deadline (the clock stopped)."""
    if row.sla_tier is None:
        return {}
    tier = tier_named(policy, row.sla_tier)
    due = row.sla_due_at or was_due
    zone = owner.get("timezone") if owner else None
    return {
        "tier": row.sla_tier,
        "due_at": due.isoformat() if due else None,
        "due_local": due.astimezone(ZoneInfo(zone)).isoformat() if due and zone else None,
        "first_touch": format_duration(tier.first_touch) if tier else None,
        "business_hours": tier.business_hours if tier else None,
        "reassignments": row.sla_reassignments,
    }


def _rep(policy: Policy | None, rep_id: str | None) -> dict[str, Any] | None:
    if rep_id is None:
        return None
    rep = policy.reps.get(rep_id) if policy else None
    if rep is None:
        return {"id": rep_id, "name": rep_id, "email": None, "timezone": None}
    return {"id": rep.id, "name": rep.name, "email": rep.email, "timezone": rep.timezone}


def _name(fields: dict[str, Any]) -> str | None:
    name = _text(fields.get("name"))
    if name:
        return name
    parts = [_text(fields.get("first_name")), _text(fields.get("last_name"))]
    return " ".join(p for p in parts if p) or None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
