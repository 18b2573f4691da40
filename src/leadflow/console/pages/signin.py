"""Signing in and out, and `/`, which sends each person to their home page.

The sign-in form carries a CSRF token of its own (a cookie and a field that must match: the
visitor has no session yet). A wrong password shows the form again with the email kept; an
email that failed `SIGN_IN_LIMIT` times in `SIGN_IN_WINDOW` answers 429 with the time to wait.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leadflow.console import web
from leadflow.service import users
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, Invalid

router = APIRouter()

HOMES = {"rep": "/inbox", "manager": "/home", "admin": "/home"}


def home_of(role: str) -> str:
    return HOMES.get(role, "/login")


@router.get("/")
async def root(request: Request, services: web.Svc) -> Response:
    """A signed-in person goes to their home page; anyone else to sign in."""
    token = request.cookies.get(web.SESSION_COOKIE)
    found = await run_in_threadpool(users.find_session, services, token) if token else None
    return web.redirect(home_of(found.user.role) if found else "/login")


@router.get("/login")
def login_page(request: Request, next: str = "") -> Response:
    return _form(request, next_url=next)


@router.post("/login")
def login(
    request: Request,
    services: web.Svc,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    expected = request.cookies.get(web.LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise web.PageRefused(403, "The sign-in form expired. Reload the page and try again.")
    if not email.strip():
        return _form(request, email, next, errors={"email": "Enter your email."}, status=422)
    try:
        signed = users.sign_in(services, email, password)
    except users.TooManyAttempts as error:
        wait = error.retry_after
        return _form(
            request,
            email,
            next,
            errors={"form": web.service_error_message(error)},
            status=429,
            headers={"Retry-After": str(wait)},
        )
    except Invalid:
        errors = {"password": "Wrong email or password."}
        return _form(request, email, next, errors=errors, status=401)
    except Forbidden as error:
        return _form(request, email, next, errors={"form": error.message}, status=403)
    answer = web.redirect(_safe_next(next) or home_of(signed.user.role))
    answer.set_cookie(
        web.SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        secure=_secure(request, services),
        path="/",
    )
    answer.delete_cookie(web.LOGIN_CSRF_COOKIE, path="/login")
    return answer


@router.post("/logout")
def logout(request: Request, services: web.Svc, who: web.Changer) -> Response:
    """Sign out: the session ends on the server, not only in this browser."""
    token = request.cookies.get(web.SESSION_COOKIE)
    if token:
        users.end_session(services, token)
    answer = web.redirect("/login", request)
    answer.delete_cookie(web.SESSION_COOKIE, path="/")
    return answer


def _form(
    request: Request,
    email: str = "",
    next_url: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    csrf = request.cookies.get(web.LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    answer = web.render(
        request,
        None,
        "login.html",
        status=status,
        headers=headers,
        login_csrf=csrf,
        email=email,
        next_url=_safe_next(next_url),
        errors=errors or {},
    )
    answer.set_cookie(web.LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/login")
    return answer


def _safe_next(url: str) -> str:
    """Only a path on this server: `next` must not send anyone elsewhere after sign-in."""
    if url.startswith("/") and not url.startswith(("//", "/\\")) and "\n" not in url:
        return url
    return ""


def _secure(request: Request, services: Services) -> bool:
    """Secure cookies behind https: the request's own scheme or the configured public URL."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return (
        request.url.scheme == "https"
        or forwarded == "https"
        or services.settings.public_url.startswith("https://")
    )
