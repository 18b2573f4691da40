"""`/queues`: what waits for a person, for managers and admins.

Four queues, each with its count and its newest 50 items: account matches to review (confirm
or reject), junk (restore: route it after all), messages that failed for good (retry), and
held leads with why each is held. Every button is a plain form post that answers with a
redirect back here and a line saying what happened; a refusal (someone settled the review
first, the message was retried already) shows the page again with the reason, and changes
nothing. The reads are `service.queues`'; the actions are the API's own use cases.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from leadflow.console import web, words
from leadflow.console.web import Viewing
from leadflow.decision_words import Known, describe
from leadflow.service import accounts, jobs, queues, roster, routing
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, NotFound, ServiceError
from leadflow.service.queues import Held

router = APIRouter()

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
LeadId = Annotated[str, Path(min_length=1, max_length=40)]
DONE = {
    "confirmed": "Match confirmed: the lead now carries the account's fields. It was not "
    "routed again; reassign it if the account's owner should have it.",
    "rejected": "Match rejected: the lead keeps no account.",
    "retried": "The message is queued to be sent again now, with its tries counted afresh.",
}


@router.get("/queues")
def queues_page(request: Request, who: web.Viewer, services: web.Svc, done: str = "") -> Response:
    web.require(who, "manager", "admin")
    flash = DONE.get(done) or _restored(services, request)
    return _page(request, who, services, flash=flash)


@router.post("/queues/reviews/{review_id}")
def settle(
    request: Request,
    review_id: Id,
    who: web.Changer,
    services: web.Svc,
    accept: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Confirm (`accept=yes`) or reject the match of a review."""
    web.require(who, "manager", "admin")
    yes = accept == "yes"
    try:
        accounts.settle_review(services, review_id, yes, who.actor)
    except (Conflict, NotFound) as error:
        return _refused(request, who, services, error)
    return web.redirect(f"/queues?done={'confirmed' if yes else 'rejected'}#reviews", request)


@router.post("/queues/junk/{lead_id}/restore")
def restore(request: Request, lead_id: LeadId, who: web.Changer, services: web.Svc) -> Response:
    """Route a junk lead after all (the junk screen skipped)."""
    web.require(who, "manager", "admin")
    try:
        routed = routing.restore(services, lead_id, who.actor)
    except (Conflict, NotFound) as error:
        return _refused(request, who, services, error)
    after = web.query_string({"restored": routed.status, "owner": routed.owner})
    return web.redirect(f"/queues{after}#junk", request)


@router.post("/queues/messages/{job_id}/retry")
def retry(request: Request, job_id: Id, who: web.Changer, services: web.Svc) -> Response:
    """Send a dead message again now."""
    web.require(who, "manager", "admin")
    try:
        jobs.retry_job(services, job_id)
    except (Conflict, NotFound) as error:
        return _refused(request, who, services, error)
    return web.redirect("/queues?done=retried#failed", request)


def _page(
    request: Request,
    who: Viewing,
    services: Services,
    flash: str | None = None,
    flash_kind: str = "ok",
    status: int = 200,
) -> Response:
    found = queues.queues(services, who.actor)
    names = roster.rep_names(services)
    return web.render(
        request,
        who,
        "queues.html",
        status=status,
        title="Queues",
        q=found,
        limit=queues.LIMIT,
        names=names,
        held=[(item, why_held(item, who.zone)) for item in found.held.items],
        match_reason=words.match_reason,
        junk_reason=words.junk_reason,
        message_label=words.message_label,
        recipients=words.RECIPIENT_LABELS,
        flash=flash,
        flash_kind=flash_kind,
    )


def _refused(request: Request, who: Viewing, services: Services, error: ServiceError) -> Response:
    """The page again, saying why nothing was done (someone else acted first, say)."""
    status = 404 if isinstance(error, NotFound) else 409
    message = f"Nothing was changed: {error.message.rstrip('.')}."
    return _page(request, who, services, flash=message, flash_kind="error", status=status)


def _restored(services: Services, request: Request) -> str | None:
    """The line after a restore: where the lead went (from the redirect's query)."""
    status = request.query_params.get("restored")
    if status not in words.STATUS_LABELS:
        return None
    owner = roster.rep_names(services).get(request.query_params.get("owner") or "")
    where = f", to {owner}" if owner else ""
    return f"Lead restored and routed: {words.status_label(status).lower()}{where}."


def why_held(item: Held, zone: str) -> list[tuple[str, list[str]]]:
    """Why the members of the pool a lead waits for could not take it, in words: each reason
    once, with the names of the members it kept out ("Outside working hours: starts 09:00
    America/New_York", [Alice Adams, Bob Brown]).

    Only that pool's part of the record is told: the rules before it are the lead page's to
    tell, and telling them for 50 leads under a policy of 50 rules costs more than the page.
    """
    entries = [e for e in item.record.get("pools") or () if e.get("pool") == item.pool]
    if not entries:
        return []
    record = {"at": item.record.get("at"), "outcome": "queued", "pools": entries[:1]}
    (pool,) = describe(record, item.policy, Known(zone=zone)).pools
    grouped: dict[str, list[str]] = {}
    for candidate in pool.candidates:
        if not candidate.eligible:
            grouped.setdefault(candidate.why, []).append(candidate.name)
    return list(grouped.items())
