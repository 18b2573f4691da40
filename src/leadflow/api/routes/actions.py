"""`/act/{token}`: the page behind the link in a rep's email, and its buttons: Accept, I
contacted them, and Reject (with a reason).

Opening the link only shows the lead; the buttons POST. Mail scanners open every link in a
message, and must not accept leads on a rep's behalf. The page is plain server-rendered HTML;
its times are in the rep's zone, worded as the email words them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, Template, select_autoescape

from leadflow.api.deps import get_services
from leadflow.service.actions import act_by_link, open_link
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

router = APIRouter(prefix="/act", tags=["actions"])

Svc = Annotated[Services, Depends(get_services)]
LABELS = {
    "accepted": ("Accept", ""),
    "contacted": ("I contacted them", "secondary"),
    "rejected": ("Reject", "danger"),
}
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
def act(
    token: str,
    action: str,
    services: Svc,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> HTMLResponse:
    """Accept the lead, mark it contacted, or reject it (with `reason`), as the rep the link
    was sent to."""
    try:
        routed = act_by_link(services, token, action, reason)
    except Invalid as error:
        if error.detail.get("field") != "reason":
            return _page(error.message, token, error=True, status=_status(error))
        return _shown(token, services, error.message, status=422)
    except ServiceError as error:
        return _page(error.message, token, error=True, status=_status(error))
    if action == "rejected":  # routed again: the lead is no longer this rep's to show
        return _page(f"Done: you rejected the lead; it {_next(routed.status)}.", token)
    return _shown(token, services, f"Done: the lead is {routed.status}.")


def _shown(token: str, services: Services, message: str, status: int = 200) -> HTMLResponse:
    """The page with the lead as it is now, and a message (an error when `status` says so)."""
    try:
        lead = open_link(services, token)
    except ServiceError as error:
        return _page(error.message, token, error=True, status=_status(error))
    return _page(message, token, lead=lead, error=status >= 400, status=status)


def _next(status: str) -> str:
    return {
        "assigned": "went to another rep",
        "queued": "waits for the next rep who can take it",
    }.get(status, f"is {status}")


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
