"""`/act/{token}`: the page behind the link in a rep's email, and its two buttons.

Opening the link only shows the lead; the buttons POST. Mail scanners open every link in a
message, and must not accept leads on a rep's behalf. The page is plain server-rendered HTML.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, Template, select_autoescape

from leadflow.api.deps import get_services
from leadflow.service.actions import act_by_link, open_link
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

router = APIRouter(prefix="/act", tags=["actions"])

Svc = Annotated[Services, Depends(get_services)]
LABELS = {"accepted": ("Accept", ""), "contacted": ("I contacted them", "secondary")}
STATUS: dict[type[ServiceError], int] = {Invalid: 400, NotFound: 404, Conflict: 409, Forbidden: 403}


@router.get("/{token}", response_class=HTMLResponse)
def show(token: str, services: Svc) -> HTMLResponse:
    """The lead, and what the rep may do with it."""
    try:
        lead = open_link(services, token)
    except ServiceError as error:
        return _page(error.message, token, error=True, status=_status(error))
    return _page(None, token, lead=lead)


@router.post("/{token}/{action}", response_class=HTMLResponse)
def act(token: str, action: str, services: Svc) -> HTMLResponse:
    """Accept the lead, or mark it contacted, as the rep the link was sent to."""
    try:
        routed = act_by_link(services, token, action)
        lead = open_link(services, token)
    except ServiceError as error:
        return _page(error.message, token, error=True, status=_status(error))
    return _page(f"Done: the lead is {routed.status}.", token, lead=lead)


def _page(
    message: str | None, token: str, lead: Any = None, error: bool = False, status: int = 200
) -> HTMLResponse:
    actions = [(a, *LABELS[a]) for a in (lead.actions if lead else ())]
    html = _template().render(
        title="Your lead" if lead else "leadflow",
        message=message,
        error=error,
        lead=lead,
        actions=actions,
        base=f"/act/{token}",
    )
    return HTMLResponse(html, status_code=status)


def _status(error: ServiceError) -> int:
    return STATUS.get(type(error), 400)


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(loader=PackageLoader("leadflow", "templates"), autoescape=select_autoescape())
    return env.get_template("pages/act.html")
