"""`/jobs`: the worker's rows (deliveries, SLA steps); dead ones are retried from here.

A delivery that failed every try is `dead`: nothing sends it again until a person has looked
(a wrong webhook URL, a missing secret) and retried it. Managers and admins only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from leadflow.api.auth import require
from leadflow.api.deps import get_services
from leadflow.api.params import KnownQuery
from leadflow.api.schemas_jobs import JobPublic
from leadflow.service import jobs
from leadflow.service.context import Services
from leadflow.service.routing import Actor
from leadflow.store.tables import JobRow

router = APIRouter(prefix="/jobs", tags=["jobs"], dependencies=[KnownQuery])

Svc = Annotated[Services, Depends(get_services)]
Manager = Annotated[Actor, Depends(require("manager", "admin"))]


@router.get("", response_model=list[JobPublic])
def list_jobs(
    services: Svc,
    _actor: Manager,
    state: Annotated[str | None, Query(description="pending, done, skipped or dead")] = None,
    kind: Annotated[str | None, Query(description="deliver, sla or digest")] = None,
    lead_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[JobPublic]:
    """The worker's rows, newest first: `?state=dead` lists what needs a person."""
    rows = jobs.list_jobs(services, state=state, kind=kind, lead_id=lead_id, limit=limit)
    return [_public(row) for row in rows]


@router.post("/{job_id}/retry", response_model=JobPublic)
def retry_job(job_id: int, services: Svc, _actor: Manager) -> JobPublic:
    """Run a dead row again now, with its tries counted afresh and the same delivery id."""
    return _public(jobs.retry_job(services, job_id))


def _public(row: JobRow) -> JobPublic:
    """The row without the links that act as the owner: they are for the owner's eyes only."""
    job = JobPublic.model_validate(row)
    links = job.data.get("context", {}).get("links")
    if isinstance(links, dict):
        kept = {k: v for k, v in links.items() if "/act/" not in str(v)}
        job.data = {**job.data, "context": {**job.data["context"], "links": kept}}
    return job
