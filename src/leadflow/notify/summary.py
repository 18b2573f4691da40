"""What a message says about a lead, the same in every channel.

The rep must be able to act without opening anything: who the lead is and how to reach them,
where it came from, how good it is, why it came to this rep (the rule and the pool), and the
deadline. `facts` gives those as (label, value) pairs, leaving out what the lead lacks, so
that a lead without a company still reads well; every channel shows the same list.

Everything here reads the delivery's context, in which any key may be missing or None, and
returns text (never None). Example: a context with only `{"lead": {"email": "j@acme.com"}}`
gives the name "j@acme.com" and the facts [("Name", "j@acme.com"), ("Contact", "j@acme.com")].
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from leadflow.notify.delivery import Recipient

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_HEADLINES = {
    "lead.assigned": "New lead",
    "lead.reassigned": "Lead reassigned",
    "lead.unassigned": "Lead without an owner",
    "lead.queued": "Lead held for working time",
    "lead.nurtured": "Lead to nurture",
    "lead.merged": "Duplicate lead",
    "lead.junk": "Lead set aside as junk",
    "sla.reminder": "First touch due soon",
    "sla.breached": "First touch missed",
    "prospect.acknowledgment": "Thanks for getting in touch",
    "channel.test": "Test message from leadflow",  # an admin's test (`service.channels`)
}


def section(context: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """`context[key]` when it is a mapping, else an empty one."""
    value = context.get(key)
    return value if isinstance(value, Mapping) else {}


def text(value: Any) -> str:
    """A value as shown: None and missing are empty, numbers as written."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def clip(value: str, limit: int) -> str:
    """`value` cut to at most `limit` characters, ending in "…" when cut."""
    return value if len(value) <= limit else value[: max(limit - 1, 0)] + "…"


def lead_name(context: Mapping[str, Any]) -> str:
    """The lead's name, else first and last names, else its email, else its id."""
    lead = section(context, "lead")
    full = " ".join(p for p in (text(lead.get("first_name")), text(lead.get("last_name"))) if p)
    for candidate in (text(lead.get("name")), full, text(lead.get("email"))):
        if candidate:
            return candidate
    lead_id = text(lead.get("id"))
    return f"lead {lead_id}" if lead_id else "(no name)"


def headline(event: str, context: Mapping[str, Any]) -> str:
    """One line for a chat header: what happened, to whom ("New lead: Jane Doe, Acme")."""
    what = _HEADLINES.get(event, event)
    if event == "sla.breached" and section(context, "sla").get("escalated"):
        what = "First touch missed, escalated"
    company = text(section(context, "lead").get("company"))
    name = lead_name(context)
    return f"{what}: {name}, {company}" if company and company != name else f"{what}: {name}"


def format_time(value: Any) -> str:
    """An ISO-8601 time as people read it: "Mon 16 Nov 2026 10:05 (UTC-05:00)".

    English names whatever the machine's locale; text that is not ISO-8601 is shown as it is.
    """
    raw = text(value)
    if not raw:
        return ""
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    shown = (
        f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year} "
        f"{moment.hour:02d}:{moment.minute:02d}"
    )
    offset = moment.utcoffset()
    if offset is None:
        return shown
    if not offset:
        return f"{shown} (UTC)"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{shown} (UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d})"


def local_time(moment: datetime, zone: str | None) -> str:
    """A moment in a person's zone (UTC without one), as `format_time` shows it: the action
    page says the deadline exactly as the email did."""
    return format_time(moment.astimezone(ZoneInfo(zone) if zone else UTC).isoformat())


def score(context: Mapping[str, Any]) -> str:
    """The lead's score and tier: "92 (tier A)", "92", "tier A" or ""."""
    lead = section(context, "lead")
    points, tier = text(lead.get("score")), text(lead.get("tier"))
    if points and tier:
        return f"{points} (tier {tier})"
    return points or (f"tier {tier}" if tier else "")


def why(context: Mapping[str, Any]) -> str:
    """Why the lead went where it went: "rule enterprise-us → pool ae-east"."""
    decision = section(context, "decision")
    rule, pool = text(decision.get("rule")), text(decision.get("pool"))
    return " → ".join(p for p in (rule and f"rule {rule}", pool and f"pool {pool}") if p)


def contact(context: Mapping[str, Any]) -> str:
    """How to reach the lead: "jane@acme.com · +1 555 0100"."""
    lead = section(context, "lead")
    return " · ".join(p for p in (text(lead.get("email")), text(lead.get("phone"))) if p)


def due(context: Mapping[str, Any]) -> str:
    """When first touch is due, in the owner's zone if known, else in UTC; "" without an SLA."""
    sla = section(context, "sla")
    return format_time(sla.get("due_local") or sla.get("due_at"))


def deadline(context: Mapping[str, Any]) -> str:
    """The first-touch deadline with its terms: "Mon 16 Nov 2026 10:05 (UTC-05:00) · 5m,
    business hours, SLA hot"."""
    sla = section(context, "sla")
    when = due(context)
    terms = [text(sla.get("first_touch"))]
    if sla.get("business_hours"):
        terms.append("business hours")
    if text(sla.get("tier")):
        terms.append(f"SLA {text(sla.get('tier'))}")
    detail = ", ".join(t for t in terms if t)
    if sla.get("escalated"):
        detail = f"{detail}, escalated" if detail else "escalated"
    if when and detail:
        return f"{when} · {detail}"
    return when or detail


def person(value: Mapping[str, Any]) -> str:
    """A rep as shown: the name, else the id."""
    return text(value.get("name")) or text(value.get("id"))


def owner(context: Mapping[str, Any]) -> str:
    """The owner, and the one before for a reassignment: "Bob Brown (was Alice Adams)"."""
    now, before = person(section(context, "owner")), person(section(context, "previous_owner"))
    if now and before:
        return f"{now} (was {before})"
    return now or (f"was {before}" if before else "")


def reason(context: Mapping[str, Any]) -> str:
    """Why the lead is unassigned or was reassigned, when the service said."""
    return text(context.get("reason")) or text(section(context, "decision").get("reason"))


def actions(recipient: Recipient, context: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The links a message offers, as (label, URL): accept and contact for the owner, then the
    lead; a URL is offered once, under the first label that has it."""
    links = section(context, "links")
    wanted = [("Open the lead", "lead")]
    if recipient.role == "owner":
        wanted[:0] = [("Accept", "accept"), ("Mark contacted", "contact")]
    offered: dict[str, str] = {}  # URL -> label
    for label, key in wanted:
        url = text(links.get(key))
        if not url:
            continue
        if url in offered:
            if key != "lead":
                offered[url] = f"{offered[url]} or {label.lower()}"
            continue
        offered[url] = label
    return [(label, url) for url, label in offered.items()]


def facts(event: str, context: Mapping[str, Any], recipient: Recipient) -> list[tuple[str, str]]:
    """The (label, value) pairs every channel shows, only those the lead has; at most 10.

    The owner's own message names only the owner before ("you (was Alice Adams)"); the
    deadline is labelled as missed on a breach.
    """
    lead = section(context, "lead")
    shown = [
        ("Name", lead_name(context)),
        ("Company", text(lead.get("company"))),
        ("Title", text(lead.get("title"))),
        ("Contact", contact(context)),
        ("Source", text(lead.get("source"))),
        ("Score", score(context)),
        ("Why", why(context)),
        ("Owner", _owner_for(recipient, context)),
        ("Deadline (missed)" if event == "sla.breached" else "Deadline", deadline(context)),
        ("Reason", reason(context)),
    ]
    return [(label, value) for label, value in shown if value]


def _owner_for(recipient: Recipient, context: Mapping[str, Any]) -> str:
    if recipient.role != "owner":
        return owner(context)
    before = person(section(context, "previous_owner"))
    return f"you (was {before})" if before else ""
