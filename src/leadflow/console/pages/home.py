"""`/home`: a manager's or an admin's today, at a glance (a rep's home is `/inbox`).

Six figures, each a link to the lead list that shows the leads behind it (`/leads` with the
same filters: today's date in the viewer's zone, an SLA status, a status), and the latest
alerts: leads nobody could take, messages that failed for good. The figures are
`service.today`'s; this module only chooses the words and the links.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadflow.console import web
from leadflow.decision_words import Known, describe
from leadflow.service import today
from leadflow.service.today import Alert, Today

router = APIRouter()


@dataclass(frozen=True)
class Figure:
    """One card: what it counts, its value as shown, the list behind it, a line of help."""

    key: str
    label: str
    value: str
    href: str
    hint: str
    kind: str = ""  # "bad" or "warn": a figure that asks for a look


@router.get("/home")
def home(request: Request, who: web.Viewer, services: web.Svc) -> Response:
    web.require(who, "manager", "admin")
    figures = today.today(services, who.actor, who.zone)
    alerts = today.latest_alerts(services, who.actor)
    return web.render(
        request,
        who,
        "home.html",
        title="Today",
        today=figures,
        figures=cards(figures),
        alerts=[(alert, alert_text(alert)) for alert in alerts],
    )


def cards(t: Today) -> list[Figure]:
    """The figures of the day, with the lead list each one counts."""
    day = t.day.isoformat()
    of_today = {"from": day, "to": day}
    leads = "lead" if t.received == 1 else "leads"
    return [
        Figure(
            "received",
            "Leads today",
            f"{t.received:,}",
            "/leads" + web.query_string(of_today),
            "received since midnight",
        ),
        Figure(
            "assigned",
            "Assigned today",
            f"{t.assigned:,}",
            "/leads" + web.query_string(of_today),
            f"of today's {t.received:,} {leads} got an owner",
        ),
        Figure(
            "first-touch",
            "Median time to first touch",
            duration(t.median_first_touch),
            "/leads" + web.query_string(of_today),
            f"over {t.touched:,} of today's leads touched"
            if t.touched
            else "none of today's leads touched yet",
        ),
        Figure(
            "breached",
            "SLA breaches today",
            f"{t.breached:,}",
            "/leads" + web.query_string(of_today, sla_status="breached"),
            "of today's leads missed their first-touch deadline",
            "bad" if t.breached else "",
        ),
        Figure(
            "held",
            "Held now",
            f"{t.held:,}",
            "/leads" + web.query_string({"status": "queued"}),
            "waiting for someone in their pool",
            "warn" if t.held else "",
        ),
        Figure(
            "unassigned",
            "Unassigned now",
            f"{t.unassigned:,}",
            "/leads" + web.query_string({"status": "unassigned"}),
            "nobody could take them: they need a person",
            "bad" if t.unassigned else "",
        ),
    ]


def duration(seconds: float | None) -> str:
    """Wall time as people say it: "45s", "4m 12s", "3h 05m", "2d 4h"; "—" for none.

    Rounded down to the unit shown last, so 4 min 12.9 s is "4m 12s".
    """
    if seconds is None:
        return "—"
    if seconds < 1:
        return "under 1s"
    s = int(seconds)
    days, rest = divmod(s, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def alert_text(alert: Alert) -> str:
    """Why an alert is raised, in words: the decision's own headline for an unassigned lead."""
    if alert.kind == "unassigned":
        said = describe(alert.record, None, Known()).headline if alert.record else alert.text
        said = said.removeprefix("Unassigned: ")  # the alert's badge says so already
        return said[:1].upper() + said[1:]
    return alert.text
