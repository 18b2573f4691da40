"""`/inbox`: a rep's home — their open leads, what to do with each, and whether they are in.

The list refreshes itself: htmx asks `/inbox/leads?since=SIGNATURE` every 3 seconds and the
server answers 204 (nothing to swap) unless the list changed, so a lead routed to the rep
appears within seconds while an outcome being chosen is left alone. Rejecting asks for a
reason on a page of its own (`/inbox/{id}/reject`), so no refresh can lose what was typed.
Every action is a plain form post (with JavaScript off the page reloads); with htmx the list
alone is swapped. Actions go through `service.routing.record_event` as the signed-in rep: the
lifecycle's rules (which move follows which) are the service's, and a lead that moved meanwhile
is a Conflict shown as a message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from leadflow.console import web
from leadflow.console.words import OUTCOMES, status_label
from leadflow.service import inbox, reps, routing
from leadflow.service.errors import Conflict, Invalid, NotFound

router = APIRouter()

ACTIONS = {"accepted": "Accepted", "contacted": "Marked contacted"}


@router.get("/inbox")
def inbox_page(request: Request, who: web.Viewer, services: web.Svc, done: str = "") -> Response:
    _rep_only(who)
    return _page(request, who, services, flash=done[:200] or None)


@router.get("/inbox/leads")
def inbox_leads(request: Request, who: web.Viewer, services: web.Svc, since: str = "") -> Response:
    """The list alone, for htmx; 204 when it has not changed since `since`."""
    _rep_only(who)
    box = inbox.inbox(services, who.actor)
    if since and since == box.signature:
        return Response(status_code=204)
    return _list(request, who, box)


@router.post("/inbox/{lead_id}/act")
def act(
    request: Request,
    lead_id: str,
    who: web.Changer,
    services: web.Svc,
    action: Annotated[str, Form(max_length=40)] = "",
    outcome: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Accept, mark contacted, or record an outcome (`action=outcome` with `outcome`)."""
    _rep_only(who)
    event = outcome if action == "outcome" else action
    allowed = {*ACTIONS, *(key for key, _ in OUTCOMES)}
    if event not in allowed:
        return _after(request, who, services, "Choose an outcome first.", error=True)
    try:
        routing.record_event(services, lead_id, event, who.actor)
    except (Conflict, Invalid, NotFound) as error:
        return _after(request, who, services, web.service_error_message(error), error=True)
    said = ACTIONS.get(event) or f"Recorded: {status_label(event)}"
    return _after(request, who, services, f"{said}.")


@router.get("/inbox/{lead_id}/reject")
def reject_form(request: Request, lead_id: str, who: web.Viewer, services: web.Svc) -> Response:
    _rep_only(who)
    lead = _own_lead(services, who, lead_id)
    return web.render(request, who, "inbox_reject.html", title="Reject a lead", lead=lead)


@router.post("/inbox/{lead_id}/reject")
def reject(
    request: Request,
    lead_id: str,
    who: web.Changer,
    services: web.Svc,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Reject with a reason: the lead is routed again, never back to this rep."""
    _rep_only(who)
    lead = _own_lead(services, who, lead_id)
    if not reason.strip():
        return web.render(
            request,
            who,
            "inbox_reject.html",
            status=422,
            title="Reject a lead",
            lead=lead,
            error="Say why, so the next rep and your manager know.",
        )
    try:
        routing.record_event(services, lead_id, "rejected", who.actor, note=reason.strip())
    except (Conflict, NotFound) as error:
        return _after(request, who, services, web.service_error_message(error), error=True)
    return web.redirect("/inbox" + web.query_string({"done": f"Rejected {lead.name}."}))


@router.post("/inbox/presence")
def presence(
    request: Request,
    who: web.Changer,
    services: web.Svc,
    presence: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    _rep_only(who)
    change = reps.RepUpdate(presence=presence, given=frozenset({"presence"}))
    try:
        reps.update_rep(services, who.user.rep_id or "", change, who.actor)
    except Invalid as error:
        return web.redirect("/inbox" + web.query_string({"done": error.message}))
    said = "You are away: new leads go to others." if presence == "away" else "You are available."
    return web.redirect("/inbox" + web.query_string({"done": said}), request)


@router.post("/inbox/time-off")
def add_time_off(
    request: Request,
    who: web.Changer,
    services: web.Svc,
    start: Annotated[str, Form(alias="from", max_length=40)] = "",
    end: Annotated[str, Form(alias="to", max_length=40)] = "",
    note: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    _rep_only(who)
    missing = {
        field: said
        for field, typed, said in (
            ("from", start, "Say from when: a date, or a date and a time."),
            ("to", end, "Say until when: the last day, or a date and a time."),
        )
        if not typed.strip()
    }
    if not missing:
        entry = reps.NewTimeOff(start.strip(), end.strip(), note.strip() or None)
        change = reps.RepUpdate(time_off_add=(entry,), given=frozenset({"time_off_add"}))
        try:
            reps.update_rep(services, who.user.rep_id or "", change, who.actor)
        except Invalid as error:
            field = "to" if str(error.detail.get("field", "")).endswith(".to") else "from"
            # the service names the field by its API path (time_off_add[0].from): this form
            # shows the message beside the field, so the path goes
            said = error.message.split(": ", 1)[-1] if ": " in error.message else error.message
            missing = {field: said[:1].upper() + said[1:] + "."}
        else:
            return web.redirect("/inbox" + web.query_string({"done": "Time off added."}))
    return _page(
        request,
        who,
        services,
        status=422,
        time_off_error=missing,
        typed={"from": start, "to": end, "note": note},
    )


@router.post("/inbox/time-off/{entry_id}/remove")
def remove_time_off(entry_id: int, who: web.Changer, services: web.Svc) -> Response:
    _rep_only(who)
    change = reps.RepUpdate(time_off_remove=(entry_id,), given=frozenset({"time_off_remove"}))
    try:
        reps.update_rep(services, who.user.rep_id or "", change, who.actor)
    except NotFound:  # removed already (another tab), or not this rep's
        return web.redirect("/inbox" + web.query_string({"done": "That time off is not there."}))
    return web.redirect("/inbox" + web.query_string({"done": "Time off removed."}))


def _page(
    request: Request, who: web.Viewing, services: web.Svc, status: int = 200, **ctx: Any
) -> Response:
    """The whole page: the list, the rep's presence and their time off still to come."""
    me = reps.get_rep(services, who.user.rep_id or "", who.actor)
    now = services.clock()
    upcoming = [t for t in sorted(me.time_off, key=lambda t: t.starts_at) if t.ends_at > now]
    return web.render(
        request,
        who,
        "inbox.html",
        status=status,
        title="Inbox",
        box=inbox.inbox(services, who.actor),
        me=me,
        time_off=upcoming,
        now=now,
        outcomes=OUTCOMES,
        **ctx,
    )


def _after(
    request: Request, who: web.Viewing, services: web.Svc, message: str, error: bool = False
) -> Response:
    """After an action: the list with a message (htmx), or the page again."""
    if request.headers.get("hx-request") == "true":
        return _list(request, who, inbox.inbox(services, who.actor), message, error)
    return web.redirect("/inbox" + web.query_string({"done": message}))


def _list(
    request: Request,
    who: web.Viewing,
    box: inbox.Inbox,
    message: str | None = None,
    error: bool = False,
) -> Response:
    return web.render(
        request,
        who,
        "inbox_leads.html",
        box=box,
        outcomes=OUTCOMES,
        message=message,
        message_kind="error" if error else "ok",
    )


def _own_lead(services: web.Svc, who: web.Viewing, lead_id: str) -> inbox.InboxLead:
    lead = next((x for x in inbox.inbox(services, who.actor).leads if x.id == lead_id), None)
    if lead is None:
        raise web.PageRefused(404, "No such lead in your inbox: it may have moved on.")
    return lead


def _rep_only(who: web.Viewing) -> None:
    if not who.is_("rep") or who.user.rep_id is None:
        raise web.PageRefused(403, "The inbox is a rep's page. Managers: see Leads and Team.")
