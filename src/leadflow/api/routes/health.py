"""Health for orchestrators and Prometheus: process up, database reachable, metrics. No key.

They answer at the root (`/healthz`, `/readyz`, `/metrics`), where probes and scrapers look by
default, and under `/api/v1` beside every other resource.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from leadflow.api.deps import get_services
from leadflow.api.metrics import Metrics, get_metrics
from leadflow.service import queries
from leadflow.service.context import Services

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and serving (nothing else is checked: a restart would not help)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database is unreachable."}})
def readyz(services: Annotated[Services, Depends(get_services)]) -> JSONResponse:
    """The database answers a `SELECT 1`: 200, else 503 (take this process out of rotation)."""
    problem = queries.database_reachable(services)
    if problem is not None:
        return JSONResponse({"status": "unavailable", "database": problem}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/metrics", response_class=Response)
def metrics(metrics: Annotated[Metrics, Depends(get_metrics)]) -> Response:
    """Prometheus text: leads received, routed by outcome, decision latency."""
    return Response(metrics.render(), media_type=metrics.content_type)
