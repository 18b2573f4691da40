"""The console's plumbing: who is signed in, CSRF, rendering, security headers, error pages.

Every page handler takes one of these dependencies and nothing else to know who is asking:

    Viewer   = signed in, any role             (GET pages)
    Changer  = signed in, CSRF token checked   (every POST that changes something)

and calls `require(viewer, "manager", "admin")` where the page is for some roles only (403).
Without a session a page answers with a redirect to `/login?next=...` (an htmx request gets
`HX-Redirect` instead, so the whole page moves, not a fragment). A POST whose CSRF token
(form field `csrf_token`, or the `X-CSRF-Token` header htmx sends) is missing or wrong is a
403 before the handler runs: nothing changes.

Pages render through `render(request, viewer, template, **context)`: Jinja2 with autoescape
on, so a lead's fields are always text. Times are shown with the `local` filter in the
viewer's zone, with the zone's name: the user's own zone, else their rep's, else the policy's.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadflow.api.deps import get_services
from leadflow.console import words
from leadflow.service import users
from leadflow.service.context import Services
from leadflow.service.errors import ServiceError
from leadflow.service.routing import Actor

log = logging.getLogger("leadflow.console")

SESSION_COOKIE = "lf_session"
LOGIN_CSRF_COOKIE = "lf_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# No inline script or style anywhere: every script and stylesheet is a file under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


@dataclass(frozen=True)
class Viewing:
    """The person behind a request: their user, their actor for use cases, their CSRF token
    and the zone their times are shown in."""

    user: users.User
    actor: Actor
    csrf: str
    zone: str

    @property
    def role(self) -> str:
        return self.user.role

    def is_(self, *roles: str) -> bool:
        return self.user.role in roles


class SignInRequired(Exception):
    """No live session: send the browser to the sign-in page, and back here after."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class PageRefused(Exception):
    """A page or action this person may not have (403), or that does not exist (404)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


async def viewer(request: Request) -> Viewing:
    """The signed-in person; `SignInRequired` otherwise."""
    services: Services = await get_services(request)
    token = request.cookies.get(SESSION_COOKIE)
    found = await run_in_threadpool(users.find_session, services, token) if token else None
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target if request.method == "GET" else "/")
    request.state.viewing = viewing = Viewing(
        found.user, found.actor, found.csrf, await run_in_threadpool(_zone_of, services, found)
    )
    return viewing


async def changer(request: Request, who: Annotated[Viewing, Depends(viewer)]) -> Viewing:
    """The signed-in person, for a request that changes something: its CSRF token must match."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and _is_form(request):
        sent = (await request.form()).get(CSRF_FIELD)  # type: ignore[assignment]
    if not isinstance(sent, str) or not secrets.compare_digest(sent, who.csrf):
        log.info("console.csrf_refused path=%s user=%s", request.url.path, who.user.id)
        raise PageRefused(
            403,
            "This form has expired or did not come from leadflow. "
            "Go back, reload the page and try again.",
        )
    return who


Viewer = Annotated[Viewing, Depends(viewer)]
Changer = Annotated[Viewing, Depends(changer)]
Svc = Annotated[Services, Depends(get_services)]


def require(who: Viewing, *roles: str) -> None:
    """403 unless the person has one of these roles."""
    if who.role not in roles:
        raise PageRefused(403, f"This page is not for the {who.role} role.")


def render(
    request: Request,
    who: Viewing | None,
    template: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page (or, for htmx, a fragment) from `templates/`, in the viewer's time zone."""
    html = (
        _env()
        .get_template(template)
        .render(
            request=request,
            who=who,
            zone=who.zone if who else "UTC",
            csrf=who.csrf if who else "",
            path=request.url.path,
            htmx=request.headers.get("hx-request") == "true",
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def redirect(url: str, request: Request | None = None) -> Response:
    """After a form post: 303 to `url`; to htmx, the same as `HX-Redirect`."""
    if request is not None and request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def service_error_message(error: ServiceError) -> str:
    """A service error as one sentence for a page."""
    return error.message[:1].upper() + error.message[1:]


def query_string(params: dict[str, Any], **changes: Any) -> str:
    """`?a=1&b=2` from the non-empty values of `params` updated by `changes`."""
    merged = {**params, **changes}
    kept = {k: v for k, v in merged.items() if v not in (None, "", [])}
    return "?" + urlencode(kept, doseq=True) if kept else ""


def local(value: datetime | None, zone: str, fmt: str = "%b %-d, %H:%M") -> str:
    """An instant in `zone`, with the zone's abbreviation: `Dec 7, 09:15 EST`."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    shown = value.astimezone(ZoneInfo(zone))
    return f"{shown.strftime(fmt)} {shown.tzname()}"


def _soon(at: datetime, now: datetime, zone: ZoneInfo) -> str:
    shown = at.astimezone(zone)
    return f"{words.day_and_time(shown, now.astimezone(zone))} {shown.tzname()}"


def iso(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _zone_of(services: Services, found: users.WebSession) -> str:
    """The zone the person's times are shown in: theirs, their rep's, the policy's, UTC."""
    if found.user.timezone:
        return found.user.timezone
    with services.store.reading() as session:
        policy = services.policies.active(session)
    if policy is None:
        return "UTC"
    rep = policy.reps.get(found.user.rep_id or "")
    return rep.timezone if rep is not None else policy.timezone


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("leadflow", "console/templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = local
    env.filters["iso"] = iso
    env.filters["urlquote"] = lambda v: quote(str(v), safe="")
    env.filters["status_label"] = words.status_label
    env.filters["status_kind"] = words.status_kind
    env.filters["event_label"] = words.event_label
    env.filters["soon"] = lambda at, zone, now: _soon(at, now, ZoneInfo(zone))
    env.filters["time_off"] = lambda t, zone, now: words.time_off(
        t.starts_at.astimezone(ZoneInfo(zone)), t.ends_at.astimezone(ZoneInfo(zone)), now.year
    )
    env.globals["SLA_LABELS"] = words.SLA_LABELS
    env.globals["SLA_KINDS"] = words.SLA_KINDS
    env.globals["OUTCOMES"] = words.OUTCOMES
    env.globals["query_string"] = query_string
    env.globals["csrf_field"] = lambda csrf: Markup(
        f'<input type="hidden" name="{CSRF_FIELD}" value="{Markup.escape(csrf)}">'
    )
    return env


class SecurityHeaders:
    """Add the security headers to every response that does not set its own (the API docs
    set a CSP of their own: `leadflow.api.docs`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(name, value) for name, value in SECURITY_HEADERS if name not in present]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


Handler = Callable[[Request, Exception], Awaitable[Response] | Response]


def page_error(request: Request, status: int, message: str) -> HTMLResponse:
    """The error page: the message, a way home, and the navigation if someone is signed in."""
    who = getattr(request.state, "viewing", None)
    titles = {403: "Not allowed", 404: "Not found", 409: "Not possible now", 429: "Please wait"}
    return render(
        request,
        who,
        "error.html",
        status=status,
        title=titles.get(status, "Something went wrong"),
        message=message,
    )
