"""Live history as `leadflow simulate` reads it: a rule change tested on last month's real leads.

`export_history` writes three files into a directory:

- `leads.jsonl`: every lead received in the window, in the order it came (`id`,
  `received_at`, `first_touch_at`, then the fields rules read, as the lead has them: mapped,
  cleaned, with `account.*`). Junk and duplicates are kept: the simulation screens and merges
  them again under the policy it tries. Leads stored by an import without routing are left
  out: live never routed them.
- `events.jsonl`: the outcomes of those leads (`lead.status`: contacted, meeting_booked,
  qualified, disqualified, won, lost, at the time the rep gave), and the reps' availability
  as it was changed at runtime (`rep.updated`: presence, active, caps and time off, each
  event the rep's whole state after the change; one at the window's start for a rep that was
  already changed then).
- `policy.yaml`: the active version's text, to try as it is or edited.

What simulate has no event for is not written: rejections and reassignments by hand (the
simulation decides those leads itself), and a lead's own events other than outcomes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from leadflow.core.calendar import from_epoch, parse_local
from leadflow.core.policy import Policy, Rep
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, Invalid
from leadflow.service.routing import Actor
from leadflow.simulate.items import STATUSES
from leadflow.store.tables import AuditRow, LeadEventRow, LeadRow, PolicyVersionRow

BATCH = 1000
HISTORY_KEYS = ("id", "received_at", "first_touch_at")  # simulate's: not fields rules read
FILES = ("leads.jsonl", "events.jsonl", "policy.yaml")


@dataclass(frozen=True)
class HistoryExport:
    """What was written: how many leads and events, and the policy version (None: none)."""

    directory: Path
    leads: int
    statuses: int
    rep_updates: int
    policy_version: int | None


def window(svc: Services, since: str, until: str | None) -> tuple[datetime, datetime]:
    """`--since` and `--until` as instants: a date or a time without an offset is read in the
    policy's zone; a date `until` takes in that whole day. No `until`: now."""
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    zone = policy.timezone if policy is not None else "UTC"
    start = _instant(since, zone, "since")
    if until is None:
        return start, svc.clock()
    try:
        day = date.fromisoformat(until.strip())
    except ValueError:
        return start, _instant(until, zone, "until")
    return start, _instant((day + timedelta(days=1)).isoformat(), zone, "until")


def _instant(text: str, zone: str, name: str) -> datetime:
    try:
        return parse_local(text, zone)
    except ValueError:
        message = f"{name}: {text!r} is not a date (2026-11-01) or a date and time"
        raise Invalid(message, field=name) from None


def export_history(
    svc: Services, since: datetime, until: datetime, out: Path, actor: Actor
) -> HistoryExport:
    """Write the leads received in [since, until), their outcomes and the reps' runtime
    changes into `out` (made if missing), in the files `leadflow simulate` reads."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden("only a manager or an admin may export the history")
    if until <= since:
        raise Invalid("until must be after since", field="until")
    if out.exists() and not out.is_dir():
        raise Invalid(f"{out} is a file, not a directory", field="out")
    out.mkdir(parents=True, exist_ok=True)
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
        version = session.scalars(
            select(PolicyVersionRow).where(PolicyVersionRow.active.is_(True))
        ).first()
        if version is not None:
            (out / "policy.yaml").write_text(version.text, encoding="utf-8")
        with (out / "leads.jsonl").open("wb") as file:
            leads = _write(file, _leads(session, since, until))
        with (out / "events.jsonl").open("wb") as file:
            reps = _write(file, _rep_updates(session, policy, since, until))
            statuses = _write(file, _statuses(session, since, until))
    return HistoryExport(out, leads, statuses, reps, version.version if version else None)


def _write(file: IO[bytes], lines: Iterator[dict[str, Any]]) -> int:
    count = 0
    for line in lines:
        file.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))
        count += 1
    return count


def _exported(since: datetime, until: datetime) -> Any:
    """The leads of the window that live routed (or screened): not those stored unrouted."""
    return and_(
        LeadRow.received_at >= since, LeadRow.received_at < until, LeadRow.status != "stored"
    )


def _leads(session: Session, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    query = (
        select(LeadRow.id, LeadRow.received_at, LeadRow.first_touch_at, LeadRow.fields)
        .where(_exported(since, until))
        .order_by(LeadRow.received_at, LeadRow.seq)
    )
    for row in _streamed(session, query):
        fields = dict(row.fields)
        clashes = {key: fields.pop(key) for key in HISTORY_KEYS if key in fields}
        if clashes:  # a field of these names would be read as history: keep it, as custom
            custom = fields.setdefault("custom", {})
            if isinstance(custom, dict):
                for key, value in clashes.items():
                    custom.setdefault(key, value)
        touch = row.first_touch_at
        yield {
            "id": row.id,
            "received_at": row.received_at.isoformat(),
            "first_touch_at": touch.isoformat() if touch is not None else None,  # None: never
            **fields,
        }


def _statuses(session: Session, since: datetime, until: datetime) -> Iterator[dict[str, Any]]:
    """The outcomes of the window's leads, oldest first, at the time the rep gave."""
    query = (
        select(LeadEventRow.lead_id, LeadEventRow.type, LeadEventRow.at, LeadEventRow.data)
        .join(LeadRow, LeadRow.id == LeadEventRow.lead_id)
        .where(_exported(since, until), LeadEventRow.type.in_(STATUSES))
        .order_by(LeadEventRow.at, LeadEventRow.id)
    )
    for row in _streamed(session, query):
        given = row.data.get("at") if isinstance(row.data, dict) else None
        at = given if isinstance(given, str) and given else row.at.isoformat()
        yield {"at": at, "type": "lead.status", "lead_id": row.lead_id, "status": row.type}


def _rep_updates(
    session: Session, policy: Policy | None, since: datetime, until: datetime
) -> Iterator[dict[str, Any]]:
    """Each rep's state as changed at runtime: as it stood at `since`, then every change."""
    if policy is None:
        return
    changed = select(func.max(AuditRow.id)).where(
        AuditRow.action == "rep.updated", AuditRow.at < since
    )
    before = select(AuditRow).where(AuditRow.id.in_(changed.group_by(AuditRow.target)))
    for row in session.scalars(before.order_by(AuditRow.id)):
        if row.target in policy.reps:
            yield _rep_state(policy.reps[row.target], since, row.data.get("after") or {})
    during = select(AuditRow).where(
        AuditRow.action == "rep.updated", AuditRow.at >= since, AuditRow.at < until
    )
    for row in session.scalars(during.order_by(AuditRow.at, AuditRow.id)):
        if row.target in policy.reps:
            yield _rep_state(policy.reps[row.target], row.at, row.data.get("after") or {})


def _rep_state(rep: Rep, at: datetime, after: dict[str, Any]) -> dict[str, Any]:
    """A `rep.updated` with the rep's whole state: the policy's, with the runtime overrides."""
    caps = after.get("caps") or {
        name: getattr(rep.caps, name) for name in ("per_day", "per_week", "open")
    }
    own = [
        {"from": _at(p.start, rep.timezone), "to": _at(p.end, rep.timezone)} for p in rep.time_off
    ]
    added = [{"from": t["from"], "to": t["to"]} for t in after.get("time_off") or ()]
    active = after.get("active")
    return {
        "at": at.isoformat(),
        "type": "rep.updated",
        "rep": rep.id,
        "presence": after.get("presence") or "available",
        "active": rep.active if active is None else bool(active),
        "caps": caps,
        "time_off": own + added,
    }


def _at(epoch: float, zone: str) -> str:
    return from_epoch(epoch, zone).isoformat()


def _streamed(session: Session, query: Select[Any]) -> Iterator[Any]:
    """The rows a batch at a time: an export of 100,000 leads never holds them all."""
    yield from session.execute(query.execution_options(yield_per=BATCH))
