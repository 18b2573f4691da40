"""`/leads`: take a lead in and answer with its owner; read leads; record what reps did.

Each handler translates the request, calls one use case (`leadflow.service.routing` to change
a lead, `leadflow.service.queries` to read), and translates the answer. Roles are checked
here (who may call at all) and in the use cases (which leads a rep may touch).
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from leadflow.api.auth import require
from leadflow.api.deps import get_services
from leadflow.api.metrics import Metrics, get_metrics
from leadflow.api.params import KnownQuery, in_zone, naive, parse_time
from leadflow.api.schemas import (
    DecisionPublic,
    LeadCreate,
    LeadDetail,
    LeadEventCreate,
    LeadPage,
    LeadPublic,
    LeadRouted,
    ReassignRequest,
    TimelineEvent,
    TimesRead,
)
from leadflow.api.schemas_accounts import ImportResult
from leadflow.api.uploads import opened, received_file
from leadflow.service import imports, queries, routing
from leadflow.service.context import Services
from leadflow.service.routing import STATUSES, Actor, NewLead, Routed

router = APIRouter(prefix="/leads", tags=["leads"])

Svc = Annotated[Services, Depends(get_services)]
Intake = Annotated[Actor, Depends(require("intake", "manager", "admin"))]
Reader = Annotated[Actor, Depends(require("rep", "manager", "admin"))]
Manager = Annotated[Actor, Depends(require("manager", "admin"))]


async def raw_payload(request: Request) -> dict[str, Any]:
    """The body exactly as received (parsed once: FastAPI and this share Starlette's cache).

    A body that is empty, not JSON or not an object is FastAPI's to refuse (422, naming it).
    """
    if not await request.body():
        return {}
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


NO_OWNER = "none"  # `owner=none`: the leads nobody owns
TIME_HELP = (
    "A time with an offset (2026-11-30T09:00:00Z), or a date or a time without one, read in the "
    "policy's time zone (the answer's `read_as` says which)."
)

RETRY_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"model": LeadRouted, "description": "A retry: the first answer again."}
}


def take_in(
    services: Services,
    metrics: Metrics,
    new: NewLead,
    actor: Actor,
    response: Response,
    door: str,
) -> LeadRouted:
    """Intake's answer, whatever door the lead came in by: 201, or 200 for a retry."""
    started = time.perf_counter()
    routed = routing.intake(services, new, actor)
    metrics.intake(routed, time.perf_counter() - started, door, new)
    if routed.replayed:
        response.status_code = 200
    return _routed(routed)


@router.post("", status_code=201, response_model=LeadRouted, responses=RETRY_ANSWER)
def post_lead(
    lead: LeadCreate,
    payload: Annotated[dict[str, Any], Depends(raw_payload)],
    response: Response,
    services: Svc,
    metrics: Annotated[Metrics, Depends(get_metrics)],
    actor: Intake,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> LeadRouted:
    """Store a lead and route it before answering: 201 with its owner, 200 on a retry."""
    new = NewLead(
        fields=lead.routing_fields(),
        payload=payload,
        source=lead.source,
        external_id=lead.external_id,
        idempotency_key=idempotency_key,
        received_at=lead.received_at,
    )
    return take_in(services, metrics, new, actor, response, door="api")


@router.get("/{lead_id}", response_model=LeadDetail, dependencies=[KnownQuery])
def get_lead(lead_id: str, services: Svc, actor: Reader) -> LeadDetail:
    """The lead as received, where it is, its timeline and its decision records."""
    history = queries.lead_history(services, lead_id, actor)
    return LeadDetail(
        **LeadPublic.model_validate(history.lead).model_dump(),
        timeline=[TimelineEvent.model_validate(row) for row in history.timeline],
        decisions=[DecisionPublic.model_validate(row) for row in history.decisions],
    )


@router.get("", response_model=LeadPage, dependencies=[KnownQuery])
def list_leads(
    services: Svc,
    actor: Reader,
    owner: Annotated[
        str | None,
        Query(min_length=1, max_length=120, description=f"A rep's id, or `{NO_OWNER}`: nobody's."),
    ] = None,
    status: Annotated[str | None, Query(json_schema_extra={"enum": list(STATUSES)})] = None,
    pool: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
    rule: Annotated[
        str | None, Query(min_length=1, max_length=200, description="The rule that placed it.")
    ] = None,
    source: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
    q: Annotated[
        str | None, Query(max_length=200, description="Found in the email, name or company.")
    ] = None,
    received_since: Annotated[str | None, Query(description=TIME_HELP + " Inclusive.")] = None,
    received_until: Annotated[str | None, Query(description=TIME_HELP + " Exclusive.")] = None,
    sla_status: Annotated[
        str | None, Query(json_schema_extra={"enum": list(queries.SLA_STATUSES)})
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=queries.MAX_PAGE)] = 50,
) -> LeadPage:
    """Leads in the order they arrived, filtered, a page at a time; a rep sees only its own."""
    since = parse_time("received_since", received_since)
    until = parse_time("received_until", received_until)
    zone = queries.policy_zone(services) if naive(since) or naive(until) else None
    read_as = None
    if zone is not None:
        since, until = in_zone(since, zone), in_zone(until, zone)
        read_as = TimesRead(timezone=zone, received_since=since, received_until=until)
    where = queries.LeadFilter(
        owner=None if owner == NO_OWNER else owner,
        unowned=owner == NO_OWNER,
        status=status,
        pool=pool,
        received_since=since,
        received_until=until,
        sla_status=sla_status,
        rule=rule,
        source=source,
        text=q,
    )
    page = queries.list_leads(services, actor, where, cursor, limit)
    items = [LeadPublic.model_validate(row) for row in page.leads]
    return LeadPage(items=items, next_cursor=page.next_cursor, read_as=read_as)


@router.post("/{lead_id}/events", response_model=LeadRouted, dependencies=[KnownQuery])
def post_event(lead_id: str, event: LeadEventCreate, services: Svc, actor: Reader) -> LeadRouted:
    """Record an event the lead's status allows (409 otherwise); `rejected` routes it again."""
    routed = routing.record_event(
        services, lead_id, event.type, actor, event.at, event.note, event.value
    )
    return _routed(routed)


@router.post("/{lead_id}/reassign", response_model=LeadRouted, dependencies=[KnownQuery])
def reassign(lead_id: str, body: ReassignRequest, services: Svc, actor: Manager) -> LeadRouted:
    """Move the lead to a named rep, or (`{}`) through the policy again."""
    return _routed(routing.reassign(services, lead_id, actor, body.rep))


@router.post("/{lead_id}/restore", response_model=LeadRouted, dependencies=[KnownQuery])
def restore(lead_id: str, services: Svc, actor: Manager) -> LeadRouted:
    """Route a lead held back: junk that is not junk, or one an import stored unrouted."""
    return _routed(routing.restore(services, lead_id, actor))


@router.post("/import", response_model=ImportResult, dependencies=[KnownQuery])
async def import_leads(
    request: Request,
    services: Svc,
    metrics: Annotated[Metrics, Depends(get_metrics)],
    actor: Intake,
    source: Annotated[str, Query(min_length=1, max_length=120)] = "import",
    route: bool = True,
    dry_run: bool = False,
) -> ImportResult:
    """A CSV file as the body: a lead a row, mapped by the policy's `intake.<source>`.

    Streamed to disk, then read row by row. `route=false` stores the leads unrouted
    (`stored`); `dry_run=true` runs the import and rolls it back: the answer is the real run's,
    and nothing is stored. Rows that fail are
    listed with their line (the first 100; `failed` counts all), and the others are kept.
    Sending the same file again adds nothing.
    """
    async with received_file(request, services.settings.max_import_bytes) as path:

        def run() -> imports.ImportReport:
            with opened(path) as file:
                return imports.import_leads(
                    services, file, actor, source=source, route=route, dry_run=dry_run
                )

        report = await run_in_threadpool(run)
    metrics.imported(report)
    if not dry_run:
        metrics.noted(source, report.noted.elements())
    return ImportResult.model_validate(report.as_dict())


def _routed(routed: Routed) -> LeadRouted:
    return LeadRouted(**routed.as_dict())
