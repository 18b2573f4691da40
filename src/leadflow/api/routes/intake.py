"""`/intake/{source}`: a lead in a form tool's own shape, mapped by the policy's `intake`.

JSON objects and form posts (`application/x-www-form-urlencoded`, as Salesforce Web-to-Lead
and Zapier send) are both taken. The answer is the same as `POST /leads`: the lead routed.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Depends, Header, Path, Request, Response

from leadflow.api.auth import require
from leadflow.api.deps import get_services
from leadflow.api.metrics import Metrics, get_metrics
from leadflow.api.routes.leads import RETRY_ANSWER, take_in
from leadflow.api.schemas import LeadRouted
from leadflow.service.context import Services
from leadflow.service.errors import Invalid
from leadflow.service.imports import mapped_lead
from leadflow.service.routing import Actor

router = APIRouter(prefix="/intake", tags=["leads"])

Svc = Annotated[Services, Depends(get_services)]
Intake = Annotated[Actor, Depends(require("intake", "manager", "admin"))]


async def form_or_json(request: Request) -> dict[str, Any]:
    """The body as a mapping: a JSON object, or form fields (a repeated field: a list)."""
    body = await request.body()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        fields: dict[str, Any] = {}
        for name, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            if name in fields:
                held = fields[name]
                fields[name] = [*held, value] if isinstance(held, list) else [held, value]
            else:
                fields[name] = value
        return fields
    try:
        data = orjson.loads(body) if body else None
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"the body is not JSON: {exc}", field="body") from None
    if not isinstance(data, dict):
        raise Invalid("expected a JSON object (or a form post) as the body", field="body")
    return data


@router.post("/{source}", status_code=201, response_model=LeadRouted, responses=RETRY_ANSWER)
def post_intake(
    source: Annotated[str, Path(max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")],
    actor: Intake,  # before the body: a caller without a key learns nothing about its body
    raw: Annotated[dict[str, Any], Depends(form_or_json)],
    response: Response,
    services: Svc,
    metrics: Annotated[Metrics, Depends(get_metrics)],
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> LeadRouted:
    """Map the body by the policy's `intake.<source>`, store the lead and route it."""
    new = mapped_lead(services, source, raw, idempotency_key)
    return take_in(services, metrics, new, actor, response, door="intake")
