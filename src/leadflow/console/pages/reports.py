"""`/reports`: is routing working? A period's figures beside the period before, with charts.

Managers and admins choose a period (from, to, a time zone; the last 7 whole days in their zone
by default), a grouping and the lead list's filters; the page shows the key figures with the
change from the previous period, the charts of `reports.charts` with a table under each, and
the hour × weekday heatmap. The figures are `service.reports`' (one engine); the body is
`reports.html.body`, the same as `leadflow report --html` writes. Every number links to the
lead list of the leads it was counted over (of a share: the leads it is a share of), with the
same filters as `/leads` names them; `/reports.csv?table=...` exports each table.

Without JavaScript the figures and tables show; only the charts need it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from leadflow.console import web, words
from leadflow.reports import html
from leadflow.reports.engine import Query
from leadflow.reports.periods import BUCKETS
from leadflow.reports.tables import NAMES, table
from leadflow.service import queries, reports
from leadflow.service.errors import Invalid
from leadflow.spreadsheet import csv_lines

router = APIRouter()

# The page's filters, named as /leads names them; `owner` is the engine's `rep`.
FILTERS = ("source", "owner", "pool", "rule", "sla_status", "status")
TO_ENGINE = {"owner": "rep"}
GROUPS = {"source": "Source", "rep": "Rep", "pool": "Pool", "rule": "Rule", "tier": "Score tier"}
BUCKET_WORDS = {"day": "Day", "week": "Week", "month": "Month"}
DAYS = 7


@dataclass(frozen=True)
class Asked:
    """What the form asked for, as typed (for the form and the links), the engine's query
    (None while a field is wrong), the bucket, and the errors by field."""

    typed: dict[str, str]
    query: Query | None
    bucket: str
    errors: dict[str, str]


def read_form(params: Mapping[str, str], zone: str, today: date) -> Asked:
    """The period, grouping and filters of the query string; each mistake beside its field."""
    typed = {name: params.get(name, "").strip()[:200] for name in ("from", "to", "tz")}
    typed["group_by"] = params.get("group_by", "source").strip()
    typed["bucket"] = params.get("bucket", "day").strip()
    typed.update({name: params.get(name, "").strip()[:200] for name in FILTERS})
    errors: dict[str, str] = {}
    tz = typed["tz"] or zone
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        errors["tz"] = "No such time zone: use a name such as America/New_York."
    end = _day(typed["to"], "to", errors) or today - timedelta(days=1)
    start = _day(typed["from"], "from", errors) or end - timedelta(days=DAYS - 1)
    if not errors and start > end:
        errors["from"] = "The start is after the end."
    if typed["group_by"] not in ("", *GROUPS):
        errors["group_by"] = "Choose one of the groupings."
    if typed["bucket"] not in BUCKETS:
        errors["bucket"] = "Choose day, week or month."
    if typed["sla_status"] and typed["sla_status"] not in words.SLA_LABELS:
        errors["sla_status"] = "Choose one of the SLA states."
    shown = {"from": start.isoformat(), "to": end.isoformat(), "tz": tz}
    typed.update({name: value for name, value in shown.items() if name not in errors})
    filters = {TO_ENGINE.get(n, n): typed[n] for n in FILTERS if typed[n]}
    query = None
    if not errors:
        try:
            query = reports.make_query(start, end, tz, typed["group_by"] or None, filters)
        except Invalid as refused:
            errors[_field(refused.detail.get("field"))] = web.service_error_message(refused)
    return Asked(typed, query, typed["bucket"] if typed["bucket"] in BUCKETS else "day", errors)


@router.get("/reports")
def reports_page(request: Request, services: web.Svc, who: web.Viewer) -> Response:
    web.require(who, "manager", "admin")
    today = services.clock().astimezone(ZoneInfo(who.zone)).date()
    asked = read_form(request.query_params, who.zone, today)
    body = None
    if asked.query is not None:
        summary, hours = reports.report_dashboard(services, who.actor, asked.query, asked.bucket)
        body = html.body(summary, hours, lead_links(asked.typed, summary, who.zone))
    choices = queries.lead_choices(services, who.actor)
    return web.render(
        request,
        who,
        "reports.html",
        status=422 if asked.errors else 200,
        title="Reports",
        asked=asked,
        typed=asked.typed,
        errors=asked.errors,
        body=body,
        options=_options(choices, asked.typed),
        other_zone=asked.typed["tz"] != who.zone,
        tables=NAMES,
    )


@router.get("/reports.csv")
def report_csv(request: Request, services: web.Svc, who: web.Viewer) -> Response:
    """One table of the report as CSV (`table=speed`, ...), with the page's period and filters."""
    web.require(who, "manager", "admin")
    name = request.query_params.get("table", "")
    if name not in NAMES:
        raise web.PageRefused(422, f"No report table {name!r}: one of {', '.join(NAMES)}.")
    today = services.clock().astimezone(ZoneInfo(who.zone)).date()
    asked = read_form(request.query_params, who.zone, today)
    if asked.query is None:
        raise web.PageRefused(422, " ".join(f"{k}: {v}" for k, v in asked.errors.items()))
    summary = reports.report_summary(services, who.actor, asked.query, asked.bucket)
    rows = table(summary, name)
    columns = list(dict.fromkeys(k for row in rows for k in row))
    lines = csv_lines(columns, ([row.get(c) for c in columns] for row in rows))
    filename = f"leadflow-{name}-{asked.typed['from']}-{asked.typed['to']}.csv"
    return StreamingResponse(
        _encoded(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def lead_links(typed: Mapping[str, str], summary: Mapping[str, Any], zone: str) -> html.Href:
    """A number's link: `/leads` with the report's filters, its period's days and its group's
    filter (`{"source": "web"}`); the previous period's days for a previous figure.

    The lead list counts days in the viewer's zone: a report in another zone links to the
    same dates there (the page says so).
    """
    kept = {name: typed[name] for name in FILTERS if typed.get(name)}

    def href(leads: Mapping[str, str] | None, previous: bool = False) -> str | None:
        if leads is None:
            return None
        period = summary["previous"]["period"] if previous else summary["period"]
        days = {"from": period["from"], "to": period["to"]}
        # the report's own filters win: `SLA met` under an SLA filter keeps the filter
        return "/leads" + web.query_string({**days, **leads, **kept})

    return href


def _options(choices: queries.LeadChoices, typed: Mapping[str, str]) -> dict[str, list[Any]]:
    """(value, text) for each select; a value typed in a link but not offered is kept."""
    out: dict[str, list[Any]] = {
        "group_by": list(GROUPS.items()),
        "bucket": list(BUCKET_WORDS.items()),
        "source": [(s, s) for s in choices.sources],
        "owner": list(choices.reps),
        "pool": [(p, p) for p in choices.pools],
        "rule": [(r, r) for r in choices.rules],
        "sla_status": list(words.SLA_LABELS.items()),
        "status": list(words.STATUS_LABELS.items()),
    }
    for name in FILTERS:
        value = typed.get(name)
        if value and value not in {v for v, _ in out[name]}:
            out[name].append((value, value))
    return out


def _day(text: str, name: str, errors: dict[str, str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = "Enter a date such as 2026-12-07."
        return None


def _field(name: str | None) -> str:
    """The form's name of an engine's field (`rep` is the form's `owner`)."""
    return {"rep": "owner"}.get(name or "", name or "from")


def _encoded(lines: Iterator[str]) -> Iterator[bytes]:
    for line in lines:
        yield line.encode()
