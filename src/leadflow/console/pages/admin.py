"""`/admin`: API keys, users and a test message to each notification channel. Admins only.

- API keys: listed without their secrets; a new key's secret is shown once, on the page the
  form redirects to (`console.once` carries it there, never in a URL), so that reloading
  shows it no more; revoking asks first.
- Users: listed by email; each has a page to change the role, set a new password, disable or
  enable. An admin cannot disable themselves nor change their own role (another admin can).
- Channels: the active policy's, each with a button that sends a test message now and says
  "sent" or the error, as text.

Every form shows its errors beside their fields and keeps what was typed (never a password);
the use cases (`service.keys`, `service.users`, `service.channels`) check and change.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from leadflow.console import once, web
from leadflow.console.web import Viewing
from leadflow.service import channels, keys, roster, users
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Invalid, ServiceError

router = APIRouter()

KEY_ROLES = (
    ("intake", "Intake: posts leads, nothing else"),
    ("rep", "Rep: one rep's own leads"),
    ("manager", "Manager: every lead, rep and queue"),
    ("admin", "Admin: everything, policy and keys too"),
)
USER_ROLES = (
    ("rep", "Rep: their own leads"),
    ("manager", "Manager: every lead, rep and queue"),
    ("admin", "Admin: everything, policy, keys and users too"),
)
DONE = {
    "revoked": "Key revoked: it is refused from now on (by other servers within 30 seconds).",
    "added": "User added: they can sign in now.",
    "role": "Role changed. Their open sessions ended: they sign in again with the new role.",
    "password": "Password set. Their open sessions ended: they sign in with the new one.",
    "disabled": "Disabled: they cannot sign in, and their open sessions have ended.",
    "enabled": "Enabled: they can sign in again.",
}
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Text = Annotated[str, Form(max_length=200)]


@router.get("/admin")
def admin_page(request: Request, who: web.Viewer, services: web.Svc, done: str = "") -> Response:
    web.require(who, "admin")
    return _page(request, who, services, flash=DONE.get(done))


# API keys


@router.post("/admin/keys")
def create_key(
    request: Request,
    who: web.Changer,
    services: web.Svc,
    name: Text = "",
    role: Text = "",
    rep: Text = "",
) -> Response:
    web.require(who, "admin")
    typed = {"name": name.strip(), "role": role, "rep": rep if role == "rep" else ""}
    errors = {}
    if not typed["name"]:
        errors["name"] = "Name the key after who or what will use it."
    elif len(typed["name"]) > 120:
        errors["name"] = "At most 120 characters."
    if role not in keys.ROLES:
        errors["role"] = "Choose a role."
    if role == "rep" and rep not in roster.rep_names(services):
        errors["rep"] = "Choose the rep this key belongs to."
    if not errors:
        try:
            made = keys.create_key(
                services, role, typed["name"], rep_id=typed["rep"] or None, by=who.actor.name
            )
        except Invalid as error:
            errors[error.detail.get("field", "name")] = _said(error)
    if errors:
        return _page(request, who, services, key_form=typed, key_errors=errors, status=422)
    target = f"/admin/keys/{made.id}/created"
    answer = web.redirect(target, request)
    answer.set_cookie(
        once.COOKIE,
        once.seal(services, made.token, _purpose(made.id, who)),
        max_age=once.MAX_AGE,
        path=target,
        httponly=True,
        samesite="strict",
        secure=_https(request, services),
    )
    return answer


@router.get("/admin/keys/{key_id}/created")
def key_created(request: Request, key_id: KeyId, who: web.Viewer, services: web.Svc) -> Response:
    """The new key's secret, this once: the cookie that carried it is deleted here."""
    web.require(who, "admin")
    key = next((k for k in keys.list_keys(services) if k.id == key_id), None)
    if key is None:
        raise web.PageRefused(404, "There is no such API key.")
    sealed = request.cookies.get(once.COOKIE)
    token = once.unseal(services, sealed, _purpose(key_id, who)) if sealed else None
    if token is not None and not token.startswith(f"lf_{key.prefix}_"):
        token = None
    answer = web.render(
        request,
        who,
        "admin_key_created.html",
        headers={"Cache-Control": "no-store"},
        title="New API key",
        key=key,
        token=token,
        base_url=str(request.base_url).rstrip("/"),
    )
    answer.delete_cookie(once.COOKIE, path=request.url.path)
    return answer


@router.post("/admin/keys/{key_id}/revoke")
def revoke_key(request: Request, key_id: KeyId, who: web.Changer, services: web.Svc) -> Response:
    web.require(who, "admin")
    keys.revoke_key(services, key_id, by=who.actor.name)
    return web.redirect("/admin?done=revoked#keys", request)


# Users


@router.get("/admin/users/new")
def new_user(request: Request, who: web.Viewer, services: web.Svc) -> Response:
    web.require(who, "admin")
    return _user_form(request, who, services)


@router.post("/admin/users")
def add_user(
    request: Request,
    who: web.Changer,
    services: web.Svc,
    email: Annotated[str, Form(max_length=320)] = "",
    name: Text = "",
    role: Text = "",
    rep: Text = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    timezone: Text = "",
) -> Response:
    web.require(who, "admin")
    typed = {"email": email.strip(), "name": name.strip(), "role": role, "rep": rep}
    typed["timezone"] = timezone.strip()
    errors = _role_errors(services, role, rep)
    if not typed["email"]:
        errors["email"] = "Enter their email: they sign in with it."
    if len(password) < users.MIN_PASSWORD:
        errors["password"] = f"At least {users.MIN_PASSWORD} characters."
    if not errors:
        try:
            added = users.add_user(
                services,
                typed["email"],
                password,
                role,
                rep_id=rep if role == "rep" else None,
                name=typed["name"] or None,
                timezone=typed["timezone"] or None,
                by=who.actor.name,
            )
        except (Invalid, Conflict) as error:
            errors[error.detail.get("field", "email")] = _said(error)
        else:
            return web.redirect(f"{_user_url(added.email)}?done=added", request)
    return _user_form(request, who, services, typed, errors, status=422)


@router.get("/admin/users/{email:path}")
def user_page(
    request: Request, email: str, who: web.Viewer, services: web.Svc, done: str = ""
) -> Response:
    web.require(who, "admin")
    return _user_page(request, who, services, users.get_user(services, email), DONE.get(done))


@router.post("/admin/users/role")
def change_role(
    request: Request,
    who: web.Changer,
    services: web.Svc,
    email: Annotated[str, Form(max_length=320)],
    role: Text = "",
    rep: Text = "",
) -> Response:
    web.require(who, "admin")
    user = users.get_user(services, email)
    if user.id == who.user.id:
        return _refuse_self(request, who, services, "change your own role")
    errors = _role_errors(services, role, rep)
    if not errors:
        try:
            users.update_user(
                services,
                user.email,
                who.actor.name,
                role=role,
                rep_id=rep if role == "rep" else None,
            )
        except Invalid as error:
            errors[error.detail.get("field", "role")] = _said(error)
        else:
            return web.redirect(f"{_user_url(user.email)}?done=role", request)
    typed = {"role": role, "rep": rep}
    return _user_page(request, who, services, user, role_form=typed, errors=errors, status=422)


@router.post("/admin/users/password")
def set_password(
    request: Request,
    who: web.Changer,
    services: web.Svc,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    web.require(who, "admin")
    user = users.get_user(services, email)
    try:
        users.set_password(services, user.email, password, who.actor.name)
    except Invalid:
        errors = {"password": f"At least {users.MIN_PASSWORD} characters."}
        return _user_page(request, who, services, user, errors=errors, status=422)
    return web.redirect(f"{_user_url(user.email)}?done=password", request)


@router.post("/admin/users/disable")
def disable_user(
    request: Request,
    who: web.Changer,
    services: web.Svc,
    email: Annotated[str, Form(max_length=320)],
) -> Response:
    web.require(who, "admin")
    user = users.get_user(services, email)
    if user.id == who.user.id:
        return _refuse_self(request, who, services, "disable yourself")
    users.disable_user(services, user.email, who.actor.name)
    return web.redirect(f"{_user_url(user.email)}?done=disabled", request)


@router.post("/admin/users/enable")
def enable_user(
    request: Request,
    who: web.Changer,
    services: web.Svc,
    email: Annotated[str, Form(max_length=320)],
) -> Response:
    web.require(who, "admin")
    user = users.enable_user(services, email, who.actor.name)
    return web.redirect(f"{_user_url(user.email)}?done=enabled", request)


# Channels


@router.post("/admin/channels/{name}/test")
def test_channel(
    request: Request,
    who: web.Changer,
    services: web.Svc,
    name: Annotated[str, Path(max_length=120)],
) -> Response:
    """Send a test message now; the page again, saying whether it went."""
    web.require(who, "admin")
    result = channels.send_test(services, name, who.actor, to=who.user.email)
    return _page(request, who, services, tested=result)


# Rendering


def _page(
    request: Request,
    who: Viewing,
    services: Services,
    *,
    key_form: dict[str, str] | None = None,
    key_errors: dict[str, str] | None = None,
    flash: str | None = None,
    flash_kind: str = "ok",
    tested: channels.TestResult | None = None,
    status: int = 200,
) -> Response:
    return web.render(
        request,
        who,
        "admin.html",
        status=status,
        title="Admin",
        keys=list(reversed(keys.list_keys(services))),  # newest first
        users=users.list_users(services),
        channels=channels.list_channels(services, who.actor),
        reps=roster.rep_names(services),
        key_roles=KEY_ROLES,
        key_form=key_form or {"name": "", "role": "", "rep": ""},
        errors=key_errors or {},
        flash=flash,
        flash_kind=flash_kind,
        tested=tested,
    )


def _user_form(
    request: Request,
    who: Viewing,
    services: Services,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return web.render(
        request,
        who,
        "admin_user_new.html",
        status=status,
        title="Add a user",
        form=typed or {"email": "", "name": "", "role": "", "rep": "", "timezone": ""},
        errors=errors or {},
        reps=roster.rep_names(services),
        user_roles=USER_ROLES,
        zones=_zones(),
        min_password=users.MIN_PASSWORD,
    )


def _user_page(
    request: Request,
    who: Viewing,
    services: Services,
    user: users.User,
    flash: str | None = None,
    *,
    role_form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    flash_kind: str = "ok",
    status: int = 200,
) -> Response:
    return web.render(
        request,
        who,
        "admin_user.html",
        status=status,
        title=user.email,
        user=user,
        myself=user.id == who.user.id,
        role_form=role_form or {"role": user.role, "rep": user.rep_id or ""},
        errors=errors or {},
        reps=roster.rep_names(services),
        user_roles=USER_ROLES,
        min_password=users.MIN_PASSWORD,
        flash=flash,
        flash_kind=flash_kind,
    )


def _refuse_self(request: Request, who: Viewing, services: Services, what: str) -> Response:
    said = f"You cannot {what}: another admin can, so that nobody locks themselves out."
    user = users.get_user(services, who.user.email)
    return _user_page(request, who, services, user, said, flash_kind="error", status=409)


def _role_errors(services: Services, role: str, rep: str) -> dict[str, str]:
    if role not in users.USER_ROLES:
        return {"role": "Choose a role."}
    if role == "rep" and rep not in roster.rep_names(services):
        return {"rep": "Choose the rep of the policy this user is."}
    return {}


def _said(error: ServiceError) -> str:
    """A service error beside its field: without the field's name in front ("email: ...")."""
    field = str(error.detail.get("field", ""))
    text = error.message.removeprefix(f"{field}: ") if field else error.message
    return web.service_error_message(ServiceError(text)) + ("" if text.endswith(".") else ".")


def _user_url(email: str) -> str:
    return f"/admin/users/{quote(email, safe='@')}"


def _purpose(key_id: int, who: Viewing) -> str:
    return f"apikey:{key_id}:{who.csrf}"


def _https(request: Request, services: Services) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "")
    return (
        request.url.scheme == "https"
        or forwarded == "https"
        or services.settings.public_url.startswith("https://")
    )


@lru_cache(maxsize=1)
def _zones() -> list[str]:
    return sorted(z for z in zoneinfo.available_timezones() if "/" in z and "Etc/" not in z)
