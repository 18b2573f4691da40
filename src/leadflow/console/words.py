"""The console's vocabulary: what statuses, events and SLA states are called on a page.

One table each, so that every page says the same thing for the same fact. Filters in
`web._env` make them available to templates: `{{ lead.status | status_label }}`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

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
    "quality": "Noted while cleaning",
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


def time_off(start: datetime, end: datetime, this_year: int) -> str:
    """Time off in words, in the rep's zone: whole days as days, the end inclusive.

    Dec 24 00:00 to Dec 26 00:00 is "Thu Dec 24 – Fri Dec 25"; Dec 24 00:00 to Dec 26 12:00
    is "Thu Dec 24 – Sat Dec 26, 12:00"; 09:00 to 13:00 of one day is "Thu Dec 24, 09:00 – 13:00".
    """

    def day(at: datetime) -> str:
        text = f"{at:%a %b} {at.day}"
        return text if at.year == this_year else f"{text}, {at.year}"

    def midnight(at: datetime) -> bool:
        return at.timetz().replace(tzinfo=None) == time()

    if midnight(start) and midnight(end):
        last = end - timedelta(days=1)
        return day(start) + ("" if last.date() == start.date() else f" – {day(last)}")
    begins = day(start) if midnight(start) else f"{day(start)}, {start:%H:%M}"
    if end.date() == start.date():
        return f"{begins} – {end:%H:%M}"
    ends = day(end - timedelta(days=1)) if midnight(end) else f"{day(end)}, {end:%H:%M}"
    return f"{begins} – {ends}"


def day_and_time(at: datetime, now: datetime) -> str:
    """When something next happens, as a person says it: "today 09:00", "tomorrow 09:00",
    "Wed 09:00" within the week, else "Dec 24, 09:00". Both instants in the zone meant."""
    days = (at.date() - now.date()).days
    if days == 0:
        return f"today {at:%H:%M}"
    if days == 1:
        return f"tomorrow {at:%H:%M}"
    if 1 < days < 7:
        return f"{at:%a %H:%M}"
    return f"{at:%b} {at.day}, {at:%H:%M}"
