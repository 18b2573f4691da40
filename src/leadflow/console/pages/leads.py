"""The lead list (`/leads`, and `/leads.csv` with the same filters) and a lead's page.

`/leads`: every lead the person may see (a rep: the leads it owns now), newest first, 50 a
page, `Newer`/`Older` by keyset cursors; filtered by status, owner, pool, rule, source, SLA
status, the day received (from/to, in the viewer's zone) and a text search over email, name
and company. The filter form is a plain GET form; htmx swaps only the results when it can.

`/leads/{id}`: the lead as received and as cleaned, where it is, its timeline, and the decision
in words (`leadflow.decision_words`). Managers and admins may `Reassign` it (to a rep, or to
the policy's next choice), `Route again`, and `Restore` a junk or stored lead; a refusal (the
lead moved on meanwhile) is shown on the page, with nothing changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response, StreamingResponse

from leadflow.console import timeline, web, words
from leadflow.decision_words import describe
from leadflow.service import lead_story, queries, routing
from leadflow.service.errors import Conflict, Invalid
from leadflow.service.queries import LeadFilter
from leadflow.spreadsheet import csv_lines, safe_cell
from leadflow.store.search import folded

router = APIRouter()

PAGE = 50
FILTERS = ("q", "status", "owner", "pool", "rule", "source", "sla_status", "from", "to")
MOVABLE = frozenset(words.STATUS_LABELS) - routing.CLOSED - routing.HELD_BACK - {"merged"}
DONE = {
    "reassigned": "Reassigned",
    "rerouted": "Routed again",
    "restored": "Restored",
    "accepted": "Accepted",
    "contacted": "Marked contacted",
}
LINES_PER_CHUNK = 500
REJECTED = "Rejected: the lead goes back to the policy, and never to you again."
ENVELOPE = frozenset({"source", "external_id", "received_at"})  # kept on the lead, not a field


@dataclass(frozen=True)
class Filters:
    """The list's filters: what the service reads, what was typed (for the form and the
    links), and what could not be read, by field."""

    where: LeadFilter
    typed: dict[str, str]
    errors: dict[str, str]


def read_filters(request: Request, zone: str) -> Filters:
    """The filters in the query string; a date that is not one is an error beside its field."""
    params = request.query_params
    typed = {name: params.get(name, "").strip()[:200] for name in FILTERS}
    errors: dict[str, str] = {}
    days = {}
    for name in ("from", "to"):
        if typed[name]:
            try:
                days[name] = date.fromisoformat(typed[name])
            except ValueError:
                errors[name] = "Enter a date such as 2026-12-07."
    if "from" in days and "to" in days and days["to"] < days["from"]:
        errors["to"] = "The end is before the start."
    if typed["status"] and typed["status"] not in words.STATUS_LABELS:
        errors["status"] = "Choose one of the statuses."
    if typed["sla_status"] and typed["sla_status"] not in words.SLA_LABELS:
        errors["sla_status"] = "Choose one of the SLA states."
    tz = ZoneInfo(zone)
    since = datetime.combine(days["from"], time(), tz) if "from" in days else None
    until = datetime.combine(days["to"] + timedelta(days=1), time(), tz) if "to" in days else None
    where = LeadFilter(
        owner=typed["owner"] or None,
        status=typed["status"] if typed["status"] in words.STATUS_LABELS else None,
        pool=typed["pool"] or None,
        received_since=since,
        received_until=until,
        sla_status=typed["sla_status"] if typed["sla_status"] in words.SLA_LABELS else None,
        rule=typed["rule"] or None,
        source=typed["source"] or None,
        text=typed["q"] or None,
    )
    return Filters(where, typed, errors)


@router.get("/leads")
def lead_list(request: Request, services: web.Svc, who: web.Viewer) -> Response:
    filters = read_filters(request, who.zone)
    choices = queries.lead_choices(services, who.actor)
    page = None
    if not filters.errors:
        page = queries.browse_leads(
            services,
            who.actor,
            filters.where,
            before=request.query_params.get("before") or None,
            after=request.query_params.get("after") or None,
            limit=PAGE,
        )
    names = dict(choices.reps) or {who.user.rep_id or "": who.user.name}
    return web.render(
        request,
        who,
        "leads.html",
        status=422 if filters.errors else 200,
        title="Your leads" if who.is_("rep") else "Leads",
        flash=REJECTED if request.query_params.get("done") == "rejected" else None,
        page=page,
        filters=filters,
        options=_options(choices, filters.typed),
        names=names,
        filtered=any(filters.typed.values()),
        active=sum(1 for name, value in filters.typed.items() if value and name != "q"),
    )


def _options(choices: queries.LeadChoices, typed: Mapping[str, str]) -> dict[str, list[Any]]:
    """(value, text) for each select; a value typed in a link but not offered is kept."""
    out: dict[str, list[Any]] = {
        "status": list(words.STATUS_LABELS.items()),
        "owner": list(choices.reps),
        "pool": [(p, p) for p in choices.pools],
        "rule": [(r, r) for r in choices.rules],
        "source": [(s, s) for s in choices.sources],
        "sla_status": list(words.SLA_LABELS.items()),
    }
    for name, offered in out.items():
        value = typed.get(name)
        if value and value not in {v for v, _ in offered} and (name != "owner" or offered):
            offered.append((value, value))
    return out


@router.get("/leads.csv")
def lead_export(request: Request, services: web.Svc, who: web.Viewer) -> Response:
    """Every lead the filters hold, streamed as CSV (not only one page)."""
    filters = read_filters(request, who.zone)
    if filters.errors:
        raise web.PageRefused(422, " ".join(f"{k}: {v}" for k, v in filters.errors.items()))
    rows = queries.export_leads(services, who.actor, filters.where)
    stamp = services.clock().astimezone(ZoneInfo(who.zone)).strftime("%Y-%m-%d-%H%M")
    return StreamingResponse(
        _chunks(csv_lines(queries.EXPORT_COLUMNS, (map(export_cell, row) for row in rows))),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="leads-{stamp}.csv"'},
    )


def export_cell(value: Any) -> Any:
    """One exported value as its CSV cell: instants in ISO 8601 UTC, whole scores without
    `.0`, and text a spreadsheet could take for a formula written as text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is not None and not isinstance(value, str | int | float):
        value = str(value)  # a field of another type (a list sent as the name): as text
    return safe_cell(value)


def _chunks(lines: Iterator[str]) -> Iterator[bytes]:
    """Lines grouped, so that a long export is a few hundred writes, not one a row."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == LINES_PER_CHUNK:
            yield "".join(batch).encode()
            batch = []
    yield "".join(batch).encode()


@router.get("/leads/{lead_id}")
def lead_page(lead_id: str, request: Request, services: web.Svc, who: web.Viewer) -> Response:
    story = lead_story.lead_story(services, lead_id, who.actor)
    done = request.query_params.get("done", "")
    return _lead(request, who, story, flash=_done(done, story) if done in DONE else None)


@router.post("/leads/{lead_id}/reassign")
def reassign(
    lead_id: str,
    request: Request,
    services: web.Svc,
    who: web.Changer,
    rep: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    """To the rep chosen in `Reassign to`, or (none chosen) to the policy's next choice."""
    web.require(who, "manager", "admin")
    change = partial(routing.reassign, services, lead_id, who.actor, rep or None)
    return _act(request, services, who, lead_id, "reassigned" if rep else "rerouted", change)


@router.post("/leads/{lead_id}/route-again")
def route_again(lead_id: str, request: Request, services: web.Svc, who: web.Changer) -> Response:
    web.require(who, "manager", "admin")
    change = partial(routing.reassign, services, lead_id, who.actor, None)
    return _act(request, services, who, lead_id, "rerouted", change)


@router.post("/leads/{lead_id}/restore")
def restore(lead_id: str, request: Request, services: web.Svc, who: web.Changer) -> Response:
    web.require(who, "manager", "admin")
    change = partial(routing.restore, services, lead_id, who.actor)
    return _act(request, services, who, lead_id, "restored", change)


@router.post("/leads/{lead_id}/accept")
def accept(lead_id: str, request: Request, services: web.Svc, who: web.Changer) -> Response:
    """The owner takes the lead on (the SLA clock runs until the first touch)."""
    web.require(who, "rep")
    change = partial(routing.record_event, services, lead_id, "accepted", who.actor)
    return _act(request, services, who, lead_id, "accepted", change)


@router.post("/leads/{lead_id}/contacted")
def contacted(lead_id: str, request: Request, services: web.Svc, who: web.Changer) -> Response:
    web.require(who, "rep")
    change = partial(routing.record_event, services, lead_id, "contacted", who.actor)
    return _act(request, services, who, lead_id, "contacted", change)


@router.post("/leads/{lead_id}/reject")
def reject(
    lead_id: str,
    request: Request,
    services: web.Svc,
    who: web.Changer,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """The owner hands the lead back, saying why; it is routed again, never back to them."""
    web.require(who, "rep")
    if not reason.strip():
        story = lead_story.lead_story(services, lead_id, who.actor)
        errors = {"reason": "Say why, so that the next rep and your manager know."}
        return _lead(request, who, story, errors=errors, status=422)
    try:
        routing.record_event(services, lead_id, "rejected", who.actor, note=reason.strip())
    except Conflict as refused:
        story = lead_story.lead_story(services, lead_id, who.actor)
        message = "Not done: " + web.service_error_message(refused) + "."
        return _lead(request, who, story, flash=message, flash_kind="error", status=409)
    return web.redirect("/leads?done=rejected", request)


def _act(
    request: Request,
    services: web.Svc,
    who: web.Viewing,
    lead_id: str,
    done: str,
    change: Callable[[], routing.Routed],
) -> Response:
    """Make the change and go back to the lead; a refusal is shown there, nothing changed."""
    try:
        change()
    except (Conflict, Invalid) as refused:
        story = lead_story.lead_story(services, lead_id, who.actor)
        status = 409 if isinstance(refused, Conflict) else 422
        message = "Not done: " + web.service_error_message(refused) + "."
        return _lead(request, who, story, flash=message, flash_kind="error", status=status)
    return web.redirect(f"/leads/{lead_id}?done={done}", request)


def _done(done: str, story: lead_story.LeadStory) -> str:
    """What an action did, said from where the lead is now."""
    lead, verb = story.lead, DONE[done]
    if done in ("accepted", "contacted"):
        return f"{verb}."
    if lead.owner and lead.status in routing.OWNED:
        return f"{verb}: the lead is now with {_names(story).get(lead.owner, lead.owner)}."
    return f"{verb}: the lead is now {words.status_label(lead.status).lower()}."


def _lead(
    request: Request,
    who: web.Viewing,
    story: lead_story.LeadStory,
    flash: str | None = None,
    flash_kind: str = "ok",
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    lead = story.lead
    names = _names(story)
    known = dataclasses.replace(story.known, zone=who.zone)
    decisions = [
        (row, describe(row.record, story.policies.get(row.policy_version or -1), known))
        for row in story.decisions
    ]
    active = story.active
    reps = sorted(
        (
            (r.id, r.name or r.id)
            for r in (active.reps.values() if active else ())
            if r.id != lead.owner
        ),
        key=lambda r: r[1].casefold(),
    )
    manager = who.is_("manager", "admin")
    owner = who.is_("rep") and lead.owner == who.user.rep_id
    steps = [e for e in ("accepted", "contacted", "rejected") if lead.status in routing.MOVES[e]]
    return web.render(
        request,
        who,
        "lead.html",
        status=status,
        title=_title(lead.fields, lead.payload),
        lead=lead,
        names=names,
        events=timeline.items(story.timeline, names, who.zone),
        decisions=decisions,
        others=story.others,
        field_rows=field_rows(lead.payload, lead.fields),
        reps=reps,
        may_move=manager and lead.status in MOVABLE,
        may_restore=manager and lead.status in routing.HELD_BACK,
        steps=steps if owner else [],
        errors=errors or {},
        flash=flash,
        flash_kind=flash_kind,
    )


def _names(story: lead_story.LeadStory) -> dict[str, str]:
    """Rep ids to names: the active policy's, else the one a decision was made under."""
    names: dict[str, str] = {}
    for policy in [*story.policies.values(), story.active]:
        if policy is not None:
            names.update((r.id, r.name or r.id) for r in policy.reps.values())
    return names


def _title(fields: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    for source in (fields, payload):
        name = " ".join(str(source.get(k) or "") for k in ("first_name", "last_name")).strip()
        if name:
            return name
    for source in (fields, payload):
        for key in ("email", "company", "phone"):
            if isinstance(source.get(key), str) and source[key].strip():
                return str(source[key])
    return "A lead without a name"


@dataclass(frozen=True)
class FieldRow:
    name: str
    received: str  # as received ("—": not sent)
    cleaned: str  # as cleaned ("—": dropped)
    change: str  # "" (the same), "changed", "added", "dropped"


def field_rows(payload: Mapping[str, Any], fields: Mapping[str, Any]) -> list[FieldRow]:
    """Each field as received and as cleaned, side by side, with what cleaning did to it."""
    sent, kept = flat(payload), flat(fields)
    rows = []
    for name in dict.fromkeys([*sent, *kept]):
        if name in ENVELOPE and name not in kept:
            continue  # the lead's own source, external id, time: shown with where it is
        before, after = shown(sent.get(name)), shown(kept.get(name))
        if name not in kept:
            change = "dropped"
        elif name not in sent:
            change = "added"
        else:
            change = "" if folded(before) == folded(after) else "changed"
        rows.append(FieldRow(name, before, after, change))
    return rows


def flat(fields: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested fields as dotted names: {"account": {"id": "a1"}} -> {"account.id": "a1"}."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flat(value, f"{name}."))
        else:
            out[name] = value
    return out


def shown(value: Any) -> str:
    """A field's value as text: lists joined, whole numbers without `.0`, nothing as —."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(shown(v) for v in value)
    return str(value)
