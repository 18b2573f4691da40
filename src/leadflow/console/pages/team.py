"""`/team`: the availability board, and each rep's page of day-to-day changes.

Managers change presence, caps and time off (runtime state, `service.reps.update_rep`);
admins also add and edit reps, which writes a new policy version (`service.policy_reps`): the
policy stays the one source of truth for who the reps are. Forms show their errors beside the
field with what was typed kept; nothing is half-saved.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from leadflow.console import web
from leadflow.service import policy_reps, reps, team
from leadflow.service.errors import Conflict, Invalid, NotFound

router = APIRouter()

CAPS = (("per_day", "Per day"), ("per_week", "Per week"), ("open", "Open at once"))


@router.get("/team")
def board(request: Request, who: web.Viewer, services: web.Svc, done: str = "") -> Response:
    web.require(who, "manager", "admin")
    rows = team.board(services, who.actor)
    return web.render(
        request,
        who,
        "team.html",
        title="Team",
        rows=rows,
        now=services.clock(),
        flash=done[:200] or None,
    )


@router.get("/team/new")
def new_rep(request: Request, who: web.Viewer, services: web.Svc) -> Response:
    web.require(who, "admin")
    return _rep_form(request, who, services, policy_reps.RepForm(id="", name=""), new=True)


@router.post("/team/new")
async def add_rep(request: Request, who: web.Changer, services: web.Svc) -> Response:
    web.require(who, "admin")
    return await _save(request, who, services, new=True)


@router.get("/team/{rep_id}")
def rep_page(request: Request, rep_id: str, who: web.Viewer, services: web.Svc) -> Response:
    web.require(who, "manager", "admin")
    return _rep_page(request, who, services, rep_id, done=request.query_params.get("done"))


@router.post("/team/{rep_id}/edit")
async def edit_rep(request: Request, rep_id: str, who: web.Changer, services: web.Svc) -> Response:
    web.require(who, "admin")
    return await _save(request, who, services, new=False, rep_id=rep_id)


@router.post("/team/{rep_id}/presence")
async def presence(request: Request, rep_id: str, who: web.Changer, services: web.Svc) -> Response:
    web.require(who, "manager", "admin")
    wanted = str((await request.form()).get("presence", ""))
    change = reps.RepUpdate(presence=wanted, given=frozenset({"presence"}))
    view = reps.update_rep(services, rep_id, change, who.actor)
    said = f"{view.name} is {'away' if view.presence == 'away' else 'available'}."
    back = str((await request.form()).get("back", "/team"))
    target = back if back in ("/team", f"/team/{rep_id}") else "/team"
    return web.redirect(target + web.query_string({"done": said}), request)


@router.post("/team/{rep_id}/caps")
async def caps(request: Request, rep_id: str, who: web.Changer, services: web.Svc) -> Response:
    web.require(who, "manager", "admin")
    form = await request.form()
    typed = {name: str(form.get(name, "")).strip() for name, _ in CAPS}
    values: dict[str, int | None] = {}
    errors: dict[str, str] = {}
    for name, label in CAPS:
        text = typed[name]
        if not text:
            values[name] = None
        elif text.isdigit():
            values[name] = int(text)
        else:
            errors[name] = f"{label}: a whole number of leads, or blank for the policy's."
    if errors:
        return _rep_page(request, who, services, rep_id, caps_errors=errors, caps_typed=typed)
    change = reps.RepUpdate(caps=values, given=frozenset({"caps"}))
    try:
        reps.update_rep(services, rep_id, change, who.actor)
    except Invalid as error:
        errors = {"per_day": web.service_error_message(error)}
        return _rep_page(request, who, services, rep_id, caps_errors=errors, caps_typed=typed)
    return web.redirect(f"/team/{rep_id}" + web.query_string({"done": "Caps saved."}))


@router.post("/team/{rep_id}/time-off")
async def time_off(request: Request, rep_id: str, who: web.Changer, services: web.Svc) -> Response:
    web.require(who, "manager", "admin")
    form = await request.form()
    typed = {k: str(form.get(k, "")).strip() for k in ("from", "to", "note")}
    entry = reps.NewTimeOff(typed["from"], typed["to"], typed["note"] or None)
    change = reps.RepUpdate(time_off_add=(entry,), given=frozenset({"time_off_add"}))
    try:
        reps.update_rep(services, rep_id, change, who.actor)
    except Invalid as error:
        field = "to" if ".to" in str(error.detail.get("field", "")) else "from"
        errors = {field: web.service_error_message(error)}
        return _rep_page(request, who, services, rep_id, off_errors=errors, off_typed=typed)
    return web.redirect(f"/team/{rep_id}" + web.query_string({"done": "Time off added."}))


@router.post("/team/{rep_id}/time-off/{entry_id}/remove")
def remove_time_off(rep_id: str, entry_id: int, who: web.Changer, services: web.Svc) -> Response:
    web.require(who, "manager", "admin")
    change = reps.RepUpdate(time_off_remove=(entry_id,), given=frozenset({"time_off_remove"}))
    reps.update_rep(services, rep_id, change, who.actor)
    return web.redirect(f"/team/{rep_id}" + web.query_string({"done": "Time off removed."}))


def _rep_page(
    request: Request, who: web.Viewing, services: web.Svc, rep_id: str, **extra: Any
) -> Response:
    row = next((r for r in team.board(services, who.actor) if r.rep.id == rep_id), None)
    if row is None:
        raise NotFound(f"no rep {rep_id!r} in the active policy")
    status = 422 if any(k.endswith("errors") for k in extra) else 200
    form = policy_reps.form_of(services, rep_id) if who.is_("admin") else None
    return web.render(
        request,
        who,
        "team_rep.html",
        status=status,
        title=row.rep.name,
        row=row,
        caps=CAPS,
        form=form,
        choices=policy_reps.choices(services) if form else None,
        now=services.clock(),
        flash=(extra.pop("done", None) or "")[:200] or None,
        **extra,
    )


def _rep_form(
    request: Request,
    who: web.Viewing,
    services: web.Svc,
    form: policy_reps.RepForm,
    *,
    new: bool,
    errors: dict[str, str] | None = None,
    message: str = "",
) -> Response:
    return web.render(
        request,
        who,
        "team_rep_new.html",
        status=422 if errors else 200,
        title="Add a rep",
        form=form,
        choices=policy_reps.choices(services),
        caps=CAPS,
        errors=errors or {},
        message=message,
    )


async def _save(
    request: Request, who: web.Viewing, services: web.Svc, *, new: bool, rep_id: str = ""
) -> Response:
    posted = await request.form()
    form, errors = _read_form(posted, rep_id)
    message = str(posted.get("message", "")).strip()
    if not errors:
        try:
            published = policy_reps.save_rep(services, who.actor, form, new=new, message=message)
        except (Invalid, Conflict) as error:
            field = str(error.detail.get("field") or "form")
            problems = error.detail.get("problems") or []
            text = web.service_error_message(error)
            if problems:
                text += ": " + "; ".join(f"line {p['line']}: {p['message']}" for p in problems)
            errors = {field if field in _FIELDS else "form": text}
        else:
            said = (
                f"Published policy version {published.version.version}: {published.version.message}"
            )
            return web.redirect(f"/team/{form.id}" + web.query_string({"done": said}))
    if new:
        return _rep_form(request, who, services, form, new=True, errors=errors, message=message)
    row = next((r for r in team.board(services, who.actor) if r.rep.id == rep_id), None)
    if row is None:
        raise NotFound(f"no rep {rep_id!r} in the active policy")
    return web.render(
        request,
        who,
        "team_rep.html",
        status=422,
        title=row.rep.name,
        row=row,
        caps=CAPS,
        form=form,
        choices=policy_reps.choices(services),
        edit_errors=errors,
        message=message,
    )


_FIELDS = ("id", "name", "email", "calendar", "skills", "manager", "pools", "form")


def _read_form(posted: Any, rep_id: str) -> tuple[policy_reps.RepForm, dict[str, str]]:
    """The form's values, and an error per field that cannot be read."""
    errors: dict[str, str] = {}
    rep = rep_id or str(posted.get("id", "")).strip()
    if not rep:
        errors["id"] = "Give the rep an id: letters, digits, dots or dashes (it cannot change)."
    elif not all(c.isalnum() or c in "._-" for c in rep):
        errors["id"] = "Letters, digits, dots, dashes and underscores only."
    name = str(posted.get("name", "")).strip()
    if not name:
        errors["name"] = "Give the rep a name."
    caps: dict[str, int | None] = {}
    for key, label in CAPS:
        text = str(posted.get(f"cap_{key}", "")).strip()
        if text and not text.isdigit():
            errors[f"cap_{key}"] = f"{label}: a whole number, or blank for no limit."
        caps[key] = int(text) if text.isdigit() else None
    pools: dict[str, int] = {}
    for name_ in posted.getlist("pool"):
        weight = str(posted.get(f"weight_{name_}", "1")).strip() or "1"
        if not weight.isdigit() or int(weight) < 1:
            errors["pools"] = f"The weight in {name_} must be a whole number of 1 or more."
            continue
        pools[str(name_)] = int(weight)
    skills = tuple(s.strip() for s in str(posted.get("skills", "")).split(",") if s.strip())
    form = policy_reps.RepForm(
        id=rep,
        name=name,
        email=str(posted.get("email", "")).strip() or None,
        calendar=str(posted.get("calendar", "")).strip() or None,
        skills=skills,
        caps=caps,
        manager=str(posted.get("manager", "")).strip() or None,
        pools=pools,
    )
    return form, errors
