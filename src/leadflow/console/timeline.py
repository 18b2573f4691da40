"""A lead's timeline on its page: each event's label, who caused it, and what its data says.

The label is the shared vocabulary's (`words.event_label`); the detail is a sentence built from
the event's data: the note of a rejection, the previous owner of a reassignment, the deadline
of an SLA clock, the channel of a message. An event of a kind this module does not know shows
its data as `key: value` pairs, so nothing recorded is hidden. Everything here is text: the
template escapes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.console import web, words

DECISIONS = frozenset({"assigned", "queued", "nurture", "unassigned", "merged"})
SYSTEM = "leadflow"


@dataclass(frozen=True)
class Item:
    """One event as the page shows it."""

    type: str
    label: str
    who: str
    at: datetime
    detail: str
    decision_id: int | None = None  # a decision event: the record it links to
    other_lead: str | None = None  # an event about another lead (a duplicate merged in)
    kind: str = ""  # the badge colour: ok, warn, bad, info


def items(events: list[Any], names: Mapping[str, str], zone: str) -> list[Item]:
    """The events (`LeadEventRow`s, oldest first) as the page shows them."""
    out = []
    for event in events:
        data: dict[str, Any] = event.data or {}
        said = _Said(names, zone)
        detail = DETAILS.get(event.type, _generic)(said, data)
        decision = data.get("decision_id") if event.type in DECISIONS else None
        out.append(
            Item(
                type=event.type,
                label=words.event_label(event.type),
                who=_who(event.actor),
                at=event.at,
                detail=detail,
                decision_id=decision if isinstance(decision, int) else None,
                other_lead=data.get("duplicate") if event.type == "duplicate" else None,
                kind=KINDS.get(event.type, ""),
            )
        )
    return out


KINDS = {
    "alert": "bad",
    "junk": "bad",
    "sla.breached": "bad",
    "sla.escalated": "bad",
    "notification.dead": "bad",
    "rejected": "warn",
    "quality": "warn",
    "queued": "warn",
    "sla.reminded": "warn",
    "sla.met": "ok",
    "accepted": "ok",
    "contacted": "ok",
    "won": "ok",
}


def _who(actor: str) -> str:
    return "leadflow (automatic)" if actor == SYSTEM else actor


@dataclass(frozen=True)
class _Said:
    names: Mapping[str, str]
    zone: str

    def rep(self, rep: Any) -> str:
        return self.names.get(str(rep), str(rep)) if rep else "nobody"

    def when(self, value: Any) -> str:
        try:
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return web.local(instant, self.zone)


def _placed(said: _Said, data: dict[str, Any]) -> str:
    where = [f"pool {data['pool']}"] if data.get("pool") else []
    where += [f"rule {data['rule']}"] if data.get("rule") else []
    if data.get("rep"):
        return f"To {said.rep(data['rep'])}" + (f" ({', '.join(where)})" if where else "")
    text = ", ".join(where)
    return text[:1].upper() + text[1:]


def _by_rep(said: _Said, data: dict[str, Any]) -> str:
    note = data.get("note")
    return f"Note: {note}" if note else ""


def _rejected(said: _Said, data: dict[str, Any]) -> str:
    note = data.get("note")
    return f"Reason: {note}" if note else "No reason given"


def _rerouted(said: _Said, data: dict[str, Any]) -> str:
    why = {"rejected": "after a rejection", "reassigned": "by a manager"}.get(
        str(data.get("reason")), str(data.get("reason") or "")
    )
    was = data.get("previous_owner")
    if was:
        return f"Taken from {said.rep(was)}" + (f", {why}" if why else "")
    return why[:1].upper() + why[1:]


def _reason(said: _Said, data: dict[str, Any]) -> str:
    return str(data.get("reason") or "")


def _restored(said: _Said, data: dict[str, Any]) -> str:
    was = words.status_label(data.get("was")).lower()
    return f"It was {was}" + (f": {data['reason']}" if data.get("reason") else "")


def _received(said: _Said, data: dict[str, Any]) -> str:
    return f"From source {data['source']}" if data.get("source") else ""


def _duplicate(said: _Said, data: dict[str, Any]) -> str:
    return f"Same {data.get('matched_by') or 'identity'}: the newer lead keeps this lead's owner"


def _unheld(said: _Said, data: dict[str, Any]) -> str:
    return f"Pool {data['pool']}" if data.get("pool") else ""


def _account(said: _Said, data: dict[str, Any]) -> str:
    return f"Account {data['account_id']}" if data.get("account_id") else ""


def _sla_started(said: _Said, data: dict[str, Any]) -> str:
    out = f"Tier {data.get('tier')}, first touch due {said.when(data.get('due_at'))}"
    if data.get("rep"):
        out += f", for {said.rep(data['rep'])}"
    return out + (f" ({data['counted_in']})" if data.get("counted_in") else "")


def _sla_met(said: _Said, data: dict[str, Any]) -> str:
    by = words.event_label(str(data.get("by") or "")).lower() if data.get("by") else ""
    return f"Tier {data.get('tier')}" + (f", {by} in time" if by else "")


def _sla_breached(said: _Said, data: dict[str, Any]) -> str:
    out = f"Tier {data.get('tier')}"
    if data.get("rep"):
        out += f", missed by {said.rep(data['rep'])}"
    return out + (", touched late" if data.get("late_touch") else "")


def _sla_reminded(said: _Said, data: dict[str, Any]) -> str:
    out = f"Reminder {data['reminder']}" if data.get("reminder") else "A reminder"
    return out + (f" to {said.rep(data['rep'])}" if data.get("rep") else "")


def _sla_reassigned(said: _Said, data: dict[str, Any]) -> str:
    out = f"From {said.rep(data.get('frm'))} to {said.rep(data.get('to'))}"
    out += f" (pool {data['pool']})" if data.get("pool") else ""
    return out + (", through the overflow" if data.get("overflow") else "")


def _sla_escalated(said: _Said, data: dict[str, Any]) -> str:
    manager = data.get("manager")
    return f"To {manager}" if manager else "Nobody to escalate to"


def _message(said: _Said, data: dict[str, Any]) -> str:
    what = str(data.get("notification") or "a message").replace(".", " ")
    out = what[:1].upper() + what[1:]
    if data.get("channel"):
        out += f" via {data['channel']}"
    if data.get("to"):
        out += f" to {said.rep(data['to'])}"
    if data.get("reason"):
        out += f": {data['reason']}"
    return out


def _sent(said: _Said, data: dict[str, Any]) -> str:
    return f"Attempt {data['attempt']}" if data.get("attempt") else ""


def _dead(said: _Said, data: dict[str, Any]) -> str:
    return str(data.get("error") or "")


def _quality(said: _Said, data: dict[str, Any]) -> str:
    if data.get("kind") == "unreadable_value":
        return (
            f"{data.get('field')} = {data.get('value')!r} could not be read as "
            f"{data.get('transform')}: left out of {data.get('to')}"
        )
    return _generic(said, data)


def _generic(said: _Said, data: dict[str, Any]) -> str:
    shown = [(k, v) for k, v in data.items() if v not in (None, "", [], {})]
    return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in shown)


Detail = Callable[[_Said, dict[str, Any]], str]
DETAILS: dict[str, Detail] = {
    "received": _received,
    "assigned": _placed,
    "queued": _placed,
    "nurture": _placed,
    "unassigned": _placed,
    "merged": _placed,
    "accepted": _by_rep,
    "contacted": _by_rep,
    "meeting_booked": _by_rep,
    "qualified": _by_rep,
    "won": _by_rep,
    "lost": _by_rep,
    "disqualified": _by_rep,
    "rejected": _rejected,
    "rerouted": _rerouted,
    "restored": _restored,
    "junk": _reason,
    "quality": _quality,
    "stored": _reason,
    "alert": _reason,
    "sla.stopped": _reason,
    "sla.not_reassigned": _reason,
    "duplicate": _duplicate,
    "unheld": _unheld,
    "account_review": _account,
    "account_accepted": _account,
    "account_rejected": _account,
    "sla.started": _sla_started,
    "sla.met": _sla_met,
    "sla.breached": _sla_breached,
    "sla.reminded": _sla_reminded,
    "sla.reminder": _sla_reminded,
    "sla.reassigned": _sla_reassigned,
    "sla.escalated": _sla_escalated,
    "notification.queued": _message,
    "notification.skipped": _message,
    "notification.sent": _sent,
    "notification.dead": _dead,
}
