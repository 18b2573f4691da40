"""`/reports`: is routing working? Speed to lead, SLA, conversion, routing and quality figures.

`GET /reports/summary` answers every figure of a period (and the period before it) as JSON;
`GET /reports/{table}` one table of it, as JSON rows or (`format=csv`) a CSV a spreadsheet opens
safely. Managers and admins only. Each handler translates and calls `service.reports`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from leadflow.api.auth import require
from leadflow.api.deps import get_services
from leadflow.reports.engine import FILTERS, GROUPS
from leadflow.reports.periods import BUCKETS
from leadflow.reports.tables import NAMES, table
from leadflow.service import reports
from leadflow.service.context import Services
from leadflow.service.errors import Invalid
from leadflow.service.routing import Actor
from leadflow.spreadsheet import csv_lines

router = APIRouter(prefix="/reports", tags=["reports"])

Svc = Annotated[Services, Depends(get_services)]
Manager = Annotated[Actor, Depends(require("manager", "admin"))]


KNOWN = {"from", "to", "tz", "group_by", "bucket", "format", *FILTERS}


def _params(
    request: Request,
    from_: Annotated[date, Query(alias="from", description="First day (in `tz`).")],
    to: Annotated[date, Query(description="Last day, inclusive (in `tz`).")],
    tz: Annotated[str, Query(description="IANA zone of the days and hours.")] = "UTC",
    group_by: Annotated[str | None, Query(description=f"One of: {', '.join(GROUPS)}.")] = None,
    bucket: Annotated[str, Query(description=f"One of: {', '.join(BUCKETS)}.")] = "day",
    source: str | None = None,
    rep: str | None = None,
    pool: str | None = None,
    rule: str | None = None,
    tier: str | None = None,
    status: str | None = None,
    sla_status: str | None = None,
) -> dict[str, Any]:
    unknown = sorted(set(request.query_params) - KNOWN)
    if unknown:
        known = ", ".join(sorted(KNOWN))
        raise Invalid(f"{unknown[0]}: not a report parameter (known: {known})", field=unknown[0])
    given = dict(source=source, rep=rep, pool=pool, rule=rule, tier=tier, status=status)
    given["sla_status"] = sla_status
    filters = {k: v for k, v in given.items() if v is not None and k in FILTERS}
    if bucket not in BUCKETS:
        raise Invalid(f"bucket: expected one of {', '.join(BUCKETS)}", field="bucket")
    return {"query": reports.make_query(from_, to, tz, group_by, filters), "bucket": bucket}


Params = Annotated[dict[str, Any], Depends(_params)]


@router.get("/summary")
async def get_summary(params: Params, services: Svc, actor: Manager) -> dict[str, Any]:
    """Every figure of the period, overall and per group, and the period before it."""
    return await run_in_threadpool(
        reports.report_summary, services, actor, params["query"], params["bucket"]
    )


@router.get("/{name}", response_model=None)
async def get_table(
    name: Annotated[str, Path(description=f"One of: {', '.join(NAMES)}.")],
    params: Params,
    services: Svc,
    actor: Manager,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> list[dict[str, Any]] | StreamingResponse:
    """One table of the summary, a row per group: JSON, or CSV with `format=csv`."""
    if name not in NAMES:
        raise Invalid(f"no report table {name!r}: expected one of {', '.join(NAMES)}", field="name")
    summary = await run_in_threadpool(
        reports.report_summary, services, actor, params["query"], params["bucket"]
    )
    rows = table(summary, name)
    if format == "json":
        return rows
    columns = list(dict.fromkeys(k for row in rows for k in row))
    lines = csv_lines(columns, ([row.get(c) for c in columns] for row in rows))
    filename = f"leadflow-{name}-{params['query'].period.start}-{params['query'].period.end}.csv"
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
