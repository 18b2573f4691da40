"""Policy versions: read the active one, publish a new one, roll back, and try a lead on one.

A version's text never changes once published; exactly one version is active (a version may be
published without going live, for later), and the live version's text makes no new one.
Publishing and activating happen under the routing lock and bump the routing clock, so that
every process (each with its own cache of routing state and policies) routes the next lead
under the new version. Each is audited with who did it. A dry run reads only: it decides a lead
under a version (or a draft's text) with the routing state as it stands, and stores nothing.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from leadflow.core.decide import decide
from leadflow.core.lead import Lead
from leadflow.core.policy import Policy
from leadflow.policy import Problem, check_policy
from leadflow.quality.pipeline import prepare
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, Invalid, NotFound
from leadflow.service.holds import place_held
from leadflow.service.routing import Actor
from leadflow.store.routing import RoutingClock, advance_clock, load_state, lock_clock
from leadflow.store.tables import AuditRow, PolicyVersionRow

log = logging.getLogger("leadflow.policy")

MESSAGE_MAX = 500  # a version's message, as the column holds it


@dataclass(frozen=True)
class PolicyVersion:
    """One published version; `text` is left out of listings."""

    version: int
    digest: str
    active: bool
    created_at: datetime
    created_by: str
    activated_at: datetime | None
    text: str | None = None
    message: str | None = None  # why it was published, as its author said


@dataclass(frozen=True)
class Published:
    """A newly published version (active unless it was only stored), and the warnings its text
    raised; or, `unchanged`, the live version, whose text it is."""

    version: PolicyVersion
    warnings: list[Problem]
    unchanged: bool = False


@dataclass(frozen=True)
class DryRun:
    """What a lead would get under a version (or a draft: no version), right now; nothing of
    it is stored."""

    policy_version: int | None
    outcome: str
    rep: str | None
    pool: str | None
    rule: str | None
    reason: str | None
    record: dict[str, Any]


def active_policy(svc: Services) -> PolicyVersion:
    """The active version with its text; NotFound before the first is published."""
    with svc.store.reading() as session:
        row = session.scalars(select(PolicyVersionRow).where(PolicyVersionRow.active)).first()
        if row is None:
            raise NotFound("no policy yet: publish one with PUT /api/v1/policy")
        return _version(row, with_text=True)


def list_versions(svc: Services) -> list[PolicyVersion]:
    """Every published version, newest first."""
    with svc.store.reading() as session:
        query = select(PolicyVersionRow).order_by(PolicyVersionRow.version.desc())
        return [_version(row) for row in session.scalars(query)]


def get_version(svc: Services, version: int) -> PolicyVersion:
    """One published version with its text; NotFound if there is no such version."""
    with svc.store.reading() as session:
        row = session.get(PolicyVersionRow, version)
        if row is None:
            raise NotFound(f"no policy version {version}")
        return _version(row, with_text=True)


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff: `head` (file names), `hunk` (@@), `add`, `del` or `same`."""

    kind: str
    text: str


def version_diff(svc: Services, old: int, new: int) -> list[DiffLine]:
    """What changed from version `old` to version `new`, as a unified diff."""
    before, after = get_version(svc, old), get_version(svc, new)
    assert before.text is not None and after.text is not None
    return text_diff(before.text, after.text, f"version {old}", f"version {new}")


def text_diff(before: str, after: str, old_name: str, new_name: str) -> list[DiffLine]:
    """A unified diff of two policy texts, three lines of context; empty when they are equal."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), old_name, new_name, lineterm=""
    )
    return [DiffLine("head" if i < 2 else _diff_kind(line), line) for i, line in enumerate(lines)]


def _diff_kind(line: str) -> str:
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "same")


def publish_policy(
    svc: Services,
    text: str,
    actor: Actor,
    filename: str = "policy.yaml",
    message: str | None = None,
    activate: bool = True,
) -> Published:
    """Validate a policy and publish it as the next version, active at once (or, `activate`
    False, stored for later: `activate_version` makes it live).

    A policy with any error is refused as a whole (`Invalid` with every problem, each at its
    line), so a bad policy never reaches routing; warnings do not stop it. `message` says
    why, for the history. The text of the live version makes no new version: the answer is
    the live one, `unchanged` (a deploy that sends its file every time adds nothing).
    """
    _admin_only(actor, "publish a policy")
    message = (message or "").strip() or None
    if message is not None and len(message) > MESSAGE_MAX:
        raise Invalid(f"message: at most {MESSAGE_MAX} characters", field="message")
    policy, problems = checked(text, "nothing was published", filename)
    with svc.store.writing() as session:
        clock = lock_clock(session)  # versions are numbered and switched one at a time
        live = session.scalars(select(PolicyVersionRow).where(PolicyVersionRow.active)).first()
        if live is not None and live.digest == policy.digest:
            log.info("policy.unchanged version=%s by=%s", live.version, actor.name)
            return Published(_version(live, with_text=True), list(problems), unchanged=True)
        number = (session.scalar(select(func.max(PolicyVersionRow.version))) or 0) + 1
        now = svc.clock()
        row = PolicyVersionRow(
            version=number,
            text=text,
            digest=policy.digest,
            active=False,
            created_at=now,
            created_by=actor.name,
            message=message,
        )
        session.add(row)
        session.flush()
        if activate:
            _make_active(session, clock, row, now)
        data = {"digest": policy.digest, "warnings": len(problems), "activated": activate}
        _audit(session, now, actor, "policy.published", number, data)
        published = Published(_version(row, with_text=True), list(problems))
    if activate:
        _reloaded(svc, actor)
    log.info(
        "policy.published version=%s digest=%s activated=%s by=%s",
        number,
        policy.digest,
        activate,
        actor.name,
    )
    return published


def checked(text: str, refused: str, filename: str = "policy.yaml") -> tuple[Policy, list[Problem]]:
    """The policy a text compiles to, and its warnings; `Invalid` with every problem (each at
    its line and column, as `leadflow policy check` prints them) when it has an error."""
    policy, problems = check_policy(text, filename)
    if policy is None:
        errors = sum(p.severity == "error" for p in problems)
        raise Invalid(
            f"the policy has {errors} error{'s' if errors != 1 else ''}: {refused}",
            problems=[problem_dict(p) for p in problems],
        )
    return policy, list(problems)


def activate_version(svc: Services, version: int, actor: Actor) -> PolicyVersion:
    """Make a published version the active one again: a roll back (or forward)."""
    _admin_only(actor, "activate a policy version")
    with svc.store.writing() as session:
        clock = lock_clock(session)
        row = session.get(PolicyVersionRow, version)
        if row is None:
            raise NotFound(f"no policy version {version}")
        before = session.scalar(select(PolicyVersionRow.version).where(PolicyVersionRow.active))
        now = svc.clock()
        _make_active(session, clock, row, now)
        _audit(session, now, actor, "policy.activated", version, {"before": before})
        activated = _version(row, with_text=True)
    _reloaded(svc, actor)
    log.info("policy.activated version=%s before=%s by=%s", version, before, actor.name)
    return activated


def dry_run(
    svc: Services,
    fields: dict[str, Any],
    version: int | None = None,
    at: datetime | None = None,
    lead_id: str = "dry-run",
    text: str | None = None,
) -> DryRun:
    """Decide a lead under the active version (or `version`, or the draft `text`) with the
    routing state as it is, through the same steps and `decide` as live routing.

    The state is loaded fresh from the rows in a reading transaction: nothing is locked,
    nothing is written, and no cache is touched, so a dry run can never change what live
    routing does next. A draft with an error is `Invalid` with every problem at its line.
    """
    if text is not None and version is not None:
        raise Invalid("give a version or a draft's text, not both", field="version")
    draft = checked(text, "nothing was tried")[0] if text is not None else None
    svc.accounts.refresh(svc.store)
    with svc.store.reading() as session:
        if draft is not None:
            policy = draft
        elif version is None:
            active = svc.policies.active(session)
            if active is None:
                raise NotFound("no policy yet: publish one with PUT /api/v1/policy")
            policy = active
        else:
            if session.get(PolicyVersionRow, version) is None:
                raise NotFound(f"no policy version {version}")
            policy = svc.policies.version(session, version)
        state = load_state(session, policy)
        accounts = svc.accounts.index(session, policy.matching)
    # Cleaned, screened, matched and scored as live; a dry run looks for no duplicate.
    prepared = prepare(fields, policy, accounts)
    if prepared.junk is not None:
        return DryRun(
            policy_version=policy.published_version,
            outcome="junk",
            rep=None,
            pool=None,
            rule=None,
            reason=prepared.junk,
            record={"quality": prepared.record, "outcome": "junk", "reason": prepared.junk},
        )
    lead = Lead(lead_id, prepared.fields, quality=prepared.record)
    decision = decide(lead, policy, state, at or svc.clock())
    return DryRun(
        policy_version=policy.published_version,
        outcome=decision.outcome.value,
        rep=decision.rep,
        pool=decision.pool,
        rule=decision.rule,
        reason=decision.reason,
        record=decision.record,
    )


def _make_active(
    session: Session, clock: RoutingClock, row: PolicyVersionRow, now: datetime
) -> None:
    """Switch the active version, and move the routing clock so every process reloads."""
    session.execute(
        update(PolicyVersionRow)
        .where(PolicyVersionRow.active, PolicyVersionRow.version != row.version)
        .values(active=False)
    )
    row.active = True
    row.activated_at = now
    advance_clock(session, clock)


def _reloaded(svc: Services, actor: Actor) -> None:
    """After a switch: drop this process's routing cache, then place the leads held so far.

    A new version may have new members or fewer limits, so held leads get a chance at once.
    """
    svc.routing.forget()
    place_held(svc, None, actor)


def _admin_only(actor: Actor, what: str) -> None:
    if actor.role != "admin":
        raise Forbidden(f"only an admin may {what}")


def _audit(
    session: Session, now: datetime, actor: Actor, action: str, version: int, data: dict[str, Any]
) -> None:
    target = f"policy:{version}"
    session.add(AuditRow(at=now, actor=actor.name, action=action, target=target, data=data))


def problem_dict(p: Problem) -> dict[str, Any]:
    return {
        "line": p.line,
        "column": p.column,
        "severity": p.severity,
        "message": p.message,
        "path": p.path,
    }


def _version(row: PolicyVersionRow, *, with_text: bool = False) -> PolicyVersion:
    return PolicyVersion(
        version=row.version,
        digest=row.digest,
        active=row.active,
        created_at=row.created_at,
        created_by=row.created_by,
        activated_at=row.activated_at,
        text=row.text if with_text else None,
        message=row.message,
    )
