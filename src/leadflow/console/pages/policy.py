"""`/policy`: the active version, its history and diffs, and an editor to check, try and publish.

Managers and admins see the page; a rep gets 403. The editor is one form with three buttons,
each posting the text to its own URL, so that the text typed is kept whatever the answer:

    POST /policy/check      every error and warning at its line and column
    POST /policy/dry-run    the last N days of leads replayed under the text (service.policy_trial)
    POST /policy/publish    the next version, active at once (admin; refused while it has errors)
    POST /policy/versions/{n}/activate   roll back (or forward) to version n (admin)

Publishing and rolling back answer with a redirect to `/policy?published=n` / `?activated=n`
(`?unchanged=n`: the text was the live version's, and no version was made), where the page says
so (and lists the new version's warnings). For a manager the two are not
shown, and the service refuses them if posted anyway (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from leadflow.console import web
from leadflow.policy import check_policy
from leadflow.service import policies, policy_trial
from leadflow.service.errors import Invalid, NotFound
from leadflow.service.policies import DiffLine, PolicyVersion
from leadflow.service.policy_trial import Trial

router = APIRouter()

TEXT_MAX = 500_000  # characters of YAML: far beyond any real policy
Text = Annotated[str, Form(max_length=TEXT_MAX)]
Days = Annotated[str, Form(max_length=10)]
Message = Annotated[str, Form(max_length=policies.MESSAGE_MAX * 2)]
Version = Annotated[int, Path(ge=1, le=2**31 - 1)]
VersionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1)]


@dataclass
class Editor:
    """What the editor holds and what was said about it."""

    text: str
    days: str = str(policy_trial.TRIAL_DAYS)
    message: str = ""
    problems: list[dict[str, Any]] | None = None  # None: not checked
    checked: bool = False  # `Check` was pressed: say so even when nothing is wrong
    errors: dict[str, str] | None = None  # field -> message (days, message, form)
    trial: Trial | None = None
    changes: list[DiffLine] | None = None  # the text against the active version


@router.get("/policy")
def policy_page(
    request: Request,
    who: web.Viewer,
    svc: web.Svc,
    from_: Annotated[VersionQuery, Query(alias="from")] = None,
    to: VersionQuery = None,
    published: VersionQuery = None,
    activated: VersionQuery = None,
    unchanged: VersionQuery = None,
) -> Response:
    web.require(who, "manager", "admin")
    active = _active(svc)
    editor = Editor((active.text or "") if active is not None else "")
    flash = None
    if active is not None and published == active.version:
        flash = f"Version {active.version} is published and active."
        editor.problems = _checked(editor.text)
    elif active is not None and activated == active.version:
        flash = f"Version {active.version} is active again."
    elif active is not None and unchanged == active.version:
        flash = f"Nothing to publish: the text is version {active.version}'s, which is live."
    return _page(request, who, svc, editor, active, (from_, to), flash=flash)


@router.post("/policy/check")
def check(
    request: Request,
    who: web.Changer,
    svc: web.Svc,
    text: Text = "",
    days: Days = "",
    message: Message = "",
) -> Response:
    web.require(who, "manager", "admin")
    text = _unix(text)
    active = _active(svc)
    editor = Editor(text, days or str(policy_trial.TRIAL_DAYS), message, _checked(text), True)
    editor.changes = _changes(active, text)
    return _page(request, who, svc, editor, active)


@router.post("/policy/dry-run")
def dry_run(
    request: Request,
    who: web.Changer,
    svc: web.Svc,
    text: Text = "",
    days: Days = "",
    message: Message = "",
) -> Response:
    web.require(who, "manager", "admin")
    text = _unix(text)
    active = _active(svc)
    editor = Editor(text, days.strip() or str(policy_trial.TRIAL_DAYS), message)
    editor.changes = _changes(active, text)
    if not editor.days.isdigit():
        editor.errors = {"days": "Enter a whole number of days."}
        return _page(request, who, svc, editor, active, status=422)
    try:
        editor.trial = policy_trial.trial_run(svc, text, who.actor, int(editor.days))
    except Invalid as refused:
        _refusal(editor, refused)
        return _page(request, who, svc, editor, active, status=422)
    editor.problems = [policies.problem_dict(p) for p in editor.trial.warnings]
    return _page(request, who, svc, editor, active)


@router.post("/policy/publish")
def publish(
    request: Request,
    who: web.Changer,
    svc: web.Svc,
    text: Text = "",
    days: Days = "",
    message: Message = "",
) -> Response:
    web.require(who, "manager", "admin")
    text = _unix(text)
    try:
        done = policies.publish_policy(svc, text, who.actor, message=message)
    except Invalid as refused:
        active = _active(svc)
        editor = Editor(text, days or str(policy_trial.TRIAL_DAYS), message)
        editor.changes = _changes(active, text)
        _refusal(editor, refused)
        return _page(request, who, svc, editor, active, status=422)
    said = "unchanged" if done.unchanged else "published"
    return web.redirect(f"/policy?{said}={done.version.version}", request)


@router.post("/policy/versions/{version}/activate")
def activate(request: Request, who: web.Changer, svc: web.Svc, version: Version) -> Response:
    web.require(who, "manager", "admin")
    policies.activate_version(svc, version, who.actor)
    return web.redirect(f"/policy?activated={version}", request)


def _page(
    request: Request,
    who: web.Viewing,
    svc: web.Svc,
    editor: Editor,
    active: PolicyVersion | None,
    compare: tuple[int | None, int | None] = (None, None),
    *,
    flash: str | None = None,
    status: int = 200,
) -> Response:
    versions = policies.list_versions(svc)
    diff_from, diff_to, diff, diff_error = _diff(svc, versions, active, *compare)
    problems = editor.problems or []
    return web.render(
        request,
        who,
        "policy.html",
        status=status,
        title="Policy",
        active=active,
        versions=versions,
        editor=editor,
        lines=editor.text.count("\n") + 1,
        marks={p["line"]: _worst(problems, p["line"]) for p in problems if p["line"]},
        source_lines=editor.text.splitlines(),
        errors_count=sum(p["severity"] == "error" for p in problems),
        warnings_count=sum(p["severity"] == "warning" for p in problems),
        rep_names={r.rep: r.name for r in editor.trial.reps} if editor.trial else {},
        diff_from=diff_from,
        diff_to=diff_to,
        diff=diff,
        diff_error=diff_error,
        may_publish=who.is_("admin"),
        flash=flash,
        flash_kind="ok",
        trial_most_days=policy_trial.MOST_DAYS,
        message_max=policies.MESSAGE_MAX,
    )


def _unix(text: str) -> str:
    """A textarea posts its lines ended with CRLF: keep the policy's own newlines."""
    return text.replace("\r\n", "\n")


def _active(svc: web.Svc) -> PolicyVersion | None:
    try:
        return policies.active_policy(svc)
    except NotFound:
        return None


def _checked(text: str) -> list[dict[str, Any]]:
    _, problems = check_policy(text)
    return [policies.problem_dict(p) for p in problems]


def _changes(active: PolicyVersion | None, text: str) -> list[DiffLine] | None:
    if active is None or active.text is None:
        return None
    return policies.text_diff(active.text, text, f"version {active.version}", "the editor")


def _refusal(editor: Editor, refused: Invalid) -> None:
    """Put a refusal where it belongs: the policy's problems, or beside its field."""
    field = refused.detail.get("field")
    if "problems" in refused.detail:
        editor.problems = refused.detail["problems"]
        editor.errors = {"form": web.service_error_message(refused) + "."}
    elif field == "days":
        most = policy_trial.MOST_DAYS
        editor.errors = {"days": f"Choose between 1 and {most} days."}
    elif field == "message":
        editor.errors = {"message": f"At most {policies.MESSAGE_MAX} characters."}
    else:
        editor.errors = {"form": web.service_error_message(refused) + "."}


def _worst(problems: list[dict[str, Any]], line: int) -> str:
    here = {p["severity"] for p in problems if p["line"] == line}
    return "error" if "error" in here else "warning"


def _diff(
    svc: web.Svc,
    versions: list[PolicyVersion],
    active: PolicyVersion | None,
    old: int | None,
    new: int | None,
) -> tuple[int | None, int | None, list[DiffLine] | None, str | None]:
    """The two versions to compare (by default the one before the active one, and the active
    one) and their diff; an error message instead when one of them does not exist."""
    numbers = [v.version for v in versions]
    if len(numbers) < 2:
        return None, None, None, None
    if new is None:
        new = active.version if active is not None else numbers[0]
    if old is None:
        older = [n for n in numbers if n < new]
        old = older[0] if older else numbers[-1]
    missing = [n for n in (old, new) if n not in numbers]
    if missing:
        return old, new, None, f"There is no version {missing[0]}."
    return old, new, policies.version_diff(svc, old, new), None
