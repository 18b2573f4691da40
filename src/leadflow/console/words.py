"""The console's vocabulary: what statuses, events and SLA states are called on a page.

One table each, so that every page says the same thing for the same fact. Filters in
`web._env` make them available to templates: `{{ lead.status | status_label }}`.
"""

from __future__ import annotations

from leadflow.decision_words import ACCOUNT_REASONS

STATUS_LABELS = {
    "received": "Received",
    "assigned": "Assigned",
    "accepted": "Accepted",
    "contacted": "Contacted",
    "meeting_booked": "Meeting booked",
    "qualified": "Qualified",
    "won": "Won",
    "lost": "Lost",
    "disqualified": "Disqualified",
    "queued": "Held",
    "unassigned": "Unassigned",
    "nurture": "Nurture",
    "merged": "Merged",
    "junk": "Junk",
    "stored": "Stored, not routed",
}
# The badge colour of a status: ok (moving on), warn (waiting), bad (needs a person).
STATUS_KINDS = {
    "accepted": "ok",
    "contacted": "ok",
    "meeting_booked": "ok",
    "qualified": "ok",
    "won": "ok",
    "queued": "warn",
    "nurture": "info",
    "assigned": "info",
    "unassigned": "bad",
    "junk": "bad",
    "lost": "bad",
    "disqualified": "bad",
}
EVENT_LABELS = {
    "received": "Received",
    "assigned": "Assigned",
    "accepted": "Accepted",
    "rejected": "Rejected",
    "contacted": "Contacted",
    "meeting_booked": "Meeting booked",
    "qualified": "Qualified",
    "won": "Won",
    "lost": "Lost",
    "disqualified": "Disqualified",
    "queued": "Held for a pool",
    "unassigned": "Unassigned",
    "nurture": "Sent to nurture",
    "merged": "Merged into a duplicate",
    "duplicate": "A duplicate was merged in",
    "junk": "Marked junk",
    "restored": "Restored",
    "stored": "Stored without routing",
    "rerouted": "Routed again",
    "alert": "Alert",
    "unheld": "No longer held",
    "account_review": "Account match sent to review",
    "sla.started": "SLA clock started",
    "sla.stopped": "SLA clock stopped",
    "sla.reminded": "SLA reminder sent",
    "sla.reminder": "SLA reminder sent",
    "sla.breached": "SLA breached",
    "sla.met": "SLA met",
    "sla.reassigned": "Reassigned after an SLA breach",
    "sla.not_reassigned": "Not reassigned after an SLA breach",
    "sla.escalated": "Escalated to the manager",
    "notification.sent": "Message sent",
    "notification.dead": "Message failed for good",
    # leads page: the other events a timeline holds
    "notification.queued": "Message queued",
    "notification.skipped": "Message not sent",
    "account_accepted": "Account match accepted",
    "account_rejected": "Account match rejected",
}
SLA_LABELS = {"pending": "Running", "met": "Met", "breached": "Breached"}
SLA_KINDS = {"pending": "info", "met": "ok", "breached": "bad"}
# What a rep may record after first touch, in the order a deal moves (service.routing.MOVES).
OUTCOMES = (
    ("meeting_booked", "Meeting booked"),
    ("qualified", "Qualified"),
    ("won", "Won"),
    ("lost", "Lost"),
)


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", (status or "—").replace("_", " ").capitalize())


def status_kind(status: str | None) -> str:
    return STATUS_KINDS.get(status or "", "")


def event_label(kind: str) -> str:
    return EVENT_LABELS.get(kind, kind.replace("_", " ").replace(".", " ").capitalize())


# queues page: what a message was about (a failed message's event), and why a lead was
# matched to an account (a review's reason codes, as `quality.accounts` writes them).
MESSAGE_LABELS = {
    "lead.assigned": "New lead",
    "lead.reassigned": "Lead reassigned",
    "lead.unassigned": "Lead without an owner",
    "lead.queued": "Lead held",
    "lead.nurtured": "Lead to nurture",
    "lead.merged": "Duplicate lead",
    "lead.junk": "Lead set aside as junk",
    "sla.reminder": "First touch due soon",
    "sla.breached": "First touch missed",
    "prospect.acknowledgment": "Acknowledgment to the prospect",
}


RECIPIENT_LABELS = {  # whom a message was for, when not a rep
    "channel": "The channel",
    "prospect": "The prospect",
    "owner": "The owner",
    "manager": "The manager",
}


def message_label(event: str) -> str:
    return MESSAGE_LABELS.get(event, event)


def match_reason(code: str) -> str:
    """`name_fuzzy:0.93` is "a close company name (93%)"; the others as the lead page says."""
    kind, _, score = code.partition(":")
    if kind == "name_fuzzy" and score:
        try:
            return f"a close company name ({round(float(score) * 100)}%)"
        except ValueError:
            return code
    return ACCOUNT_REASONS.get(code, code)


# Why a lead is junk: the policy's `junk` check that caught it (`quality.normalize`).
JUNK_REASONS = {
    "honeypot": "A hidden field that only bots fill was filled",
    "disposable_email": "A throwaway mailbox",
    "blocked_domain": "A blocked domain",
    "blocked_pattern": "A blocked pattern",
    "unreachable": "No way to reach them",
}


def junk_reason(reason: str) -> str:
    """`blocked_domain: rival.com` is "A blocked domain: rival.com"; unknown codes as they are."""
    code, _, detail = reason.partition(": ")
    said = JUNK_REASONS.get(code)
    if said is None:
        return reason
    return f"{said}: {detail}" if detail else said
