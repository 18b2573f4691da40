"""`/policy`: the active routing policy, publishing a new version, roll back, and dry runs.

Publishing takes the YAML itself as the body (`text/yaml` or `text/plain`), so that a file can
be sent as it is (`curl --data-binary @policy.yaml`); so does a dry run of a draft over a window
of stored leads (`?last=7d`). Each handler translates and calls one use case of
`leadflow.service.policies` (a window: `leadflow.service.policy_trial`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from leadflow.api.auth import require
from leadflow.api.deps import get_services
from leadflow.api.errors import unknown_field
from leadflow.api.params import KnownQuery
from leadflow.api.schemas import LeadCreate
from leadflow.api.schemas_policy import (
    DryRunDraft,
    DryRunPublic,
    DryRunWindowPublic,
    LandingPublic,
    LeadChange,
    PolicyProblem,
    PolicyPublic,
    PolicyPublished,
    PolicyVersionPublic,
    RepChange,
)
from leadflow.service import policies, policy_trial
from leadflow.service.context import Services
from leadflow.service.errors import Invalid
from leadflow.service.routing import Actor

router = APIRouter(prefix="/policy", tags=["policy"], dependencies=[KnownQuery])

Svc = Annotated[Services, Depends(get_services)]
Manager = Annotated[Actor, Depends(require("manager", "admin"))]
Admin = Annotated[Actor, Depends(require("admin"))]

MOST = policy_trial.MOST_DAYS
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
    responses={
        200: {"model": PolicyPublished, "description": "The live version's text: `unchanged`."},
        422: {"description": "The policy has errors: `problems`, each at its line."},
    },
)
async def put_policy(
    request: Request,
    services: Svc,
    actor: Admin,
    response: Response,
    message: Annotated[
        str | None, Query(max_length=500, description="Why: shown in the history.")
    ] = None,
    activate: Annotated[
        bool, Query(description="false: store the version, and leave the live one live.")
    ] = True,
) -> PolicyPublished:
    """Validate the YAML and publish it as the next version, active at once unless `activate`
    is false (admin only). The live version's own text makes none: 200, `unchanged`."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in YAML_TYPES:
        raise HTTPException(
            status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            "send the policy YAML as the body, with Content-Type: text/yaml",
        )
    text = _utf8(await request.body())
    published = await run_in_threadpool(
        policies.publish_policy, services, text, actor, "policy.yaml", message, activate
    )
    if published.unchanged:
        response.status_code = status.HTTP_200_OK
    return PolicyPublished(
        policy=PolicyPublic.model_validate(asdict(published.version)),
        warnings=[PolicyProblem(**policies.problem_dict(p)) for p in published.warnings],
        unchanged=published.unchanged,
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


DRY_RUN_BODY = {
    "requestBody": {
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        {"$ref": "#/components/schemas/LeadCreate"},
                        DryRunDraft.model_json_schema(),
                    ]
                }
            },
            **{t: {"schema": {"type": "string"}} for t in ("text/yaml", "text/plain")},
        }
    }
}


@router.post(
    "/dry-run",
    response_model=DryRunPublic | DryRunWindowPublic,
    openapi_extra=DRY_RUN_BODY,
    responses={422: {"description": "A draft with errors: `problems`, each at its line."}},
)
async def dry_run(
    request: Request,
    services: Svc,
    actor: Manager,
    version: Annotated[
        int | None,
        Query(ge=1, le=2**31 - 1, description="A published version (default: active)."),
    ] = None,
    last: Annotated[
        str | None,
        Query(description=f"A window of stored leads instead of a lead: 7d (1d to {MOST}d)."),
    ] = None,
) -> DryRunPublic | DryRunWindowPublic:
    """Where a lead would go now, or (`last`) what would change for the window's leads, under
    a draft's text (YAML as the body, or `{"policy": ..., "lead": ...}`), the active version or
    `version`. The engine is live routing's; nothing is stored."""
    text, lead = await _tried(request)
    if text is not None and version is not None:
        raise Invalid("give a version or a draft's text, not both", field="version")
    if last is None:
        if lead is None:
            raise Invalid("a lead to try, or `last` for a window of stored leads", field="body")
        result = await run_in_threadpool(
            policies.dry_run,
            services,
            lead.routing_fields(),
            version,
            lead.received_at,
            text=text,
        )
        return DryRunPublic.model_validate(asdict(result))
    if lead is not None:
        raise Invalid("give a lead or a window (`last`), not both", field="last")
    days = _days(last)
    tried = version
    if text is None:
        shown = await run_in_threadpool(_published, services, version)
        text, tried = shown.text, shown.version
    assert text is not None
    trial = await run_in_threadpool(policy_trial.trial_run, services, text, actor, days)
    return _window(trial, tried)


def _published(services: Services, version: int | None) -> policies.PolicyVersion:
    """The published version a window is replayed under: `version`, or the active one."""
    if version is None:
        return policies.active_policy(services)
    return policies.get_version(services, version)


async def _tried(request: Request) -> tuple[str | None, LeadCreate | None]:
    """The draft's text and the lead in a dry run's body: YAML alone, a lead alone (as `POST
    /leads` takes it), or `{"policy": text, "lead": lead}`; either may be missing."""
    raw = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in YAML_TYPES:
        return _utf8(raw), None
    if not raw.strip():
        return None, None
    if kind != "application/json" and not kind.endswith("+json"):  # as every JSON route
        sent = f"it came as {kind}" if kind else "it came without a Content-Type"
        raise HTTPException(
            415,
            "send a lead (or {policy, lead}) with Content-Type: application/json, or a draft "
            f"as text/yaml ({sent})",
        )
    try:
        body = json.loads(raw)
    except ValueError:
        error = {
            "loc": ("body",),
            "msg": "not JSON (send a draft as text/yaml)",
            "type": "json_invalid",
        }
        raise RequestValidationError([error]) from None
    if (
        isinstance(body, dict)
        and isinstance(body.get("policy"), str)
        and not (body.keys() & {"email", "phone"})
    ):
        draft = _validated(DryRunDraft, body, ("body",))
        lead = None if draft.lead is None else _validated(LeadCreate, draft.lead, ("body", "lead"))
        return draft.policy, lead
    return None, _validated(LeadCreate, body, ("body",))


Model = TypeVar("Model", bound=BaseModel)


def _validated(model: type[Model], data: Any, where: tuple[str, ...]) -> Model:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = [
            {**e, "loc": (*where, *e["loc"])}
            | ({"msg": unknown_field(model, e["loc"])} if e["type"] == "extra_forbidden" else {})
            for e in error.errors()
        ]
        raise RequestValidationError(problems) from None


def _days(last: str) -> int:
    """`7d` as 7; a 422 naming `last` for anything else, or a window over `MOST` days."""
    found = re.fullmatch(r"([0-9]{1,3})d?", last.strip())
    if found is None or not 1 <= int(found.group(1)) <= MOST:
        raise Invalid(f"last: a number of days such as 7d, from 1d to {MOST}d", field="last")
    return int(found.group(1))


def _window(trial: policy_trial.Trial, version: int | None) -> DryRunWindowPublic:
    return DryRunWindowPublic(
        policy_version=version,
        days=trial.days,
        since=trial.since,
        until=trial.until,
        leads=trial.leads,
        changed=trial.changed,
        changed_by=trial.changed_by,
        changes=[
            LeadChange(
                lead_id=m.lead_id,
                received_at=m.received_at,
                changed=policy_trial.changed(m.before, m.after),
                before=_landing(m.before),
                after=_landing(m.after),
            )
            for m in trial.changes
        ],
        reps=[
            RepChange(rep=r.rep, name=r.name, before=r.before, after=r.after) for r in trial.reps
        ],
        warnings=[PolicyProblem(**policies.problem_dict(p)) for p in trial.warnings],
    )


def _landing(landing: policy_trial.Landing) -> LandingPublic:
    return LandingPublic(status=landing.outcome, owner=landing.rep, rule=landing.rule)


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "the policy is not UTF-8 text") from None
