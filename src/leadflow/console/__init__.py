"""The console: server-rendered pages for reps, managers and admins, on the API's app.

A room of its own on top of the service layer: each page handler translates a request, calls
the same use cases the API calls (with the signed-in user's `Actor`, so the API's role rules
hold here too) and renders a Jinja2 template. It never reads a table. Plumbing (sessions,
CSRF, rendering, headers) is in `web`; each page is a module of `pages`.

`install(app)` mounts it at `/`: the static files under `/static`, the pages, and error pages
in HTML for every path that is not the API's.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from leadflow.console import web
from leadflow.console.pages import ROUTERS
from leadflow.service.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError

NOT_CONSOLE = ("/api/", "/act/", "/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/static/")
STATUS = {NotFound: 404, Forbidden: 403, Conflict: 409, Invalid: 422}


def install(app: FastAPI) -> None:
    """Add the console to the app: static files, pages, HTML error pages, security headers."""
    static = resources.files("leadflow.console") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    api_handlers = dict(app.exception_handlers)
    app.add_exception_handler(web.SignInRequired, _sign_in)  # type: ignore[arg-type]
    app.add_exception_handler(web.PageRefused, _refused)  # type: ignore[arg-type]
    for kind in (ServiceError, HTTPException, RequestValidationError, Exception):
        app.add_exception_handler(kind, _either(api_handlers[kind]))
    app.add_middleware(web.SecurityHeaders)


def is_console(request: Request) -> bool:
    return not request.url.path.startswith(NOT_CONSOLE)


def _sign_in(request: Request, error: web.SignInRequired) -> Response:
    target = "/login" + web.query_string({"next": error.next_url if error.next_url != "/" else ""})
    return web.redirect(target, request)


def _refused(request: Request, error: web.PageRefused) -> Response:
    return web.page_error(request, error.status, error.message)


def _either(api: web.Handler) -> web.Handler:
    """The API's handler for API paths; an HTML error page for the console's."""

    async def handle(request: Request, error: Exception) -> Response:
        if not is_console(request):
            answer = api(request, error)
            return answer if isinstance(answer, Response) else await answer
        if isinstance(error, ServiceError):
            status = next((s for k, s in STATUS.items() if isinstance(error, k)), 400)
            return web.page_error(request, status, web.service_error_message(error))
        if isinstance(error, HTTPException):
            message = {404: "There is no such page."}.get(error.status_code, str(error.detail))
            return web.page_error(request, error.status_code, message)
        if isinstance(error, RequestValidationError):
            return web.page_error(request, 400, "The request was not understood.")
        api(request, error)  # logs it with its traceback, as for the API
        return web.page_error(request, 500, "Something went wrong on our side; it is logged.")

    return handle
