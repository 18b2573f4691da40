"""`/policy`: the active routing policy, publishing a new version, roll back, and dry runs.

Publishing takes the YAML itself as the body (`text/yaml` or `text/plain`), so that a file can
be sent as it is (`curl --data-binary @policy.yaml`). Each handler translates and calls one use
case of `leadflow.service.policies`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status
from starlette.concurrency import run_in_threadpool

from leadflow.api.auth import require
from leadflow.api.deps import get_services
from leadflow.api.params import KnownQuery
from leadflow.api.schemas import LeadCreate
from leadflow.api.schemas_policy import (
    DryRunPublic,
    PolicyProblem,
    PolicyPublic,
    PolicyPublished,
    PolicyVersionPublic,
)
from leadflow.service import policies
from leadflow.service.context import Services
from leadflow.service.routing import Actor

router = APIRouter(prefix="/policy", tags=["policy"], dependencies=[KnownQuery])

Svc = Annotated[Services, Depends(get_services)]
Manager = Annotated[Actor, Depends(require("manager", "admin"))]
Admin = Annotated[Actor, Depends(require("admin"))]

YAML_TYPES = ("text/yaml", "text/plain", "application/yaml", "application/x-yaml", "text/x-yaml")
YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {t: {"schema": {"type": "string"}} for t in ("text/yaml", "text/plain")},
    }
}


@router.get("", response_model=PolicyPublic)
def get_policy(services: Svc, actor: Manager) -> PolicyPublic:
    """The active version: its number, YAML text, digest, and when and by whom it was made."""
    return PolicyPublic.model_validate(asdict(policies.active_policy(services)))


@router.put(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PolicyPublished,
    openapi_extra=YAML_BODY,
    responses={422: {"description": "The policy has errors: `problems`, each at its line."}},
)
async def put_policy(
    request: Request,
    services: Svc,
    actor: Admin,
    message: Annotated[
        str | None, Query(max_length=500, description="Why: shown in the history.")
    ] = None,
) -> PolicyPublished:
    """Validate the YAML and publish it as the next version, active at once (admin only)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in YAML_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send the policy YAML as the body, with Content-Type: text/yaml",
        )
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the policy is not UTF-8 text") from None
    published = await run_in_threadpool(
        policies.publish_policy, services, text, actor, "policy.yaml", message
    )
    return PolicyPublished(
        policy=PolicyPublic.model_validate(asdict(published.version)),
        warnings=[PolicyProblem(**policies.problem_dict(p)) for p in published.warnings],
    )


@router.get("/versions", response_model=list[PolicyVersionPublic])
def list_versions(services: Svc, actor: Manager) -> list[PolicyVersionPublic]:
    """Every published version, newest first; `active` marks the one routing uses."""
    return [PolicyVersionPublic.model_validate(asdict(v)) for v in policies.list_versions(services)]


@router.post("/versions/{version}/activate", response_model=PolicyPublic)
def activate_version(
    version: Annotated[int, Path(ge=1, le=2**31 - 1)], services: Svc, actor: Admin
) -> PolicyPublic:
    """Make a published version active again: roll back (admin only)."""
    activated = policies.activate_version(services, version, actor)
    return PolicyPublic.model_validate(asdict(activated))


@router.post("/dry-run", response_model=DryRunPublic)
def dry_run(
    lead: LeadCreate,
    services: Svc,
    actor: Manager,
    version: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="A published version (default: active)."),
    ] = None,
) -> DryRunPublic:
    """Where this lead would go now (at its `received_at`, if given), and why; nothing is stored."""
    result = policies.dry_run(services, lead.routing_fields(), version, lead.received_at)
    return DryRunPublic.model_validate(asdict(result))
