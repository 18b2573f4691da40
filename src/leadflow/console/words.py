"""The console's vocabulary: what statuses, events and SLA states are called on a page.

One table each, so that every page says the same thing for the same fact. Filters in
`web._env` make them available to templates: `{{ lead.status | status_label }}`.
"""

from __future__ import annotations

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
