"""Today's figures for a manager's or an admin's home page, and the latest alerts.

"Today" is since midnight in the viewer's zone, so that a manager in New York and one in Berlin
each see their own day. Every figure about today counts the leads *received* today, the same
leads that the lead list shows for today's date (`/leads?from=D&to=D`), so that a figure and
the list behind it always agree; held and unassigned leads are counted whatever their day,
as they are now.

Each figure is a bounded query: today's leads are found through the index on `received_at`,
held and unassigned ones through the index on `status`, and the median time to first touch
reads one or two values of today's touched leads, in order, never the table. For example,
today's leads touched after 30 s, 250 s, 254 s and 900 s have the median 252 s ("4m 12s").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from leadflow.service.context import Services
from leadflow.service.errors import Forbidden
from leadflow.service.queues import LeadBrief, brief_of, briefs, count_with_status
from leadflow.service.routing import Actor
from leadflow.store.jobs import DEAD, DELIVER
from leadflow.store.tables import DecisionRow, JobRow, LeadRow

ALERTS = 6  # the most alerts a home page lists


@dataclass(frozen=True)
class Today:
    """The figures of one day in one zone."""

    day: date  # today in the viewer's zone
    since: datetime  # its midnight, as an instant
    until: datetime  # the next midnight
    received: int  # leads received today
    assigned: int  # of those, given an owner (whatever they are now)
    touched: int  # of those, touched (contacted, won, lost, ...)
    median_first_touch: float | None  # seconds from first assignment, wall time; None: none
    breached: int  # of today's leads, those that missed their SLA
    held: int  # held for a pool now, whatever their day
    unassigned: int  # without an owner now, whatever their day


@dataclass(frozen=True)
class Alert:
    """Something that needs a person: a lead nobody could take, or a message that failed."""

    kind: str  # unassigned | message_dead
    at: datetime
    lead: LeadBrief | None
    text: str  # why: the decision's reason, or the message's last error
    record: dict[str, Any] | None = None  # an unassigned lead's decision record


def day_bounds(now: datetime, zone: str) -> tuple[date, datetime, datetime]:
    """Today in `zone` at the instant `now`, and its midnight and the next, as instants.

    A day with a daylight-saving change is 23 or 25 hours long: both midnights are local.
    The instants are in UTC, so that subtracting them counts real hours, not wall time.
    """
    tz = ZoneInfo(zone)
    day = now.astimezone(tz).date()
    since = datetime.combine(day, time(), tz).astimezone(UTC)
    until = datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)
    return day, since, until


def today(svc: Services, actor: Actor, zone: str) -> Today:
    """Today's figures as seen from `zone`; managers and admins only."""
    _may_see(actor)
    day, since, until = day_bounds(svc.clock(), zone)
    of_today = and_(LeadRow.received_at >= since, LeadRow.received_at < until)
    breached = case((LeadRow.sla_status == "breached", 1), else_=0)
    counts = select(
        func.count(),
        func.count(LeadRow.first_assigned_at),
        func.count(LeadRow.first_touch_seconds),
        func.coalesce(func.sum(breached), 0),
    ).where(of_today)
    with svc.store.reading() as session:
        received, assigned, touched, missed = session.execute(counts).one()
        median = _median_first_touch(session, of_today, touched)
        held = count_with_status(session, "queued")
        unassigned = count_with_status(session, "unassigned")
    return Today(
        day=day,
        since=since,
        until=until,
        received=received,
        assigned=assigned,
        touched=touched,
        median_first_touch=median,
        breached=int(missed),
        held=held,
        unassigned=unassigned,
    )


def latest_alerts(svc: Services, actor: Actor, limit: int = ALERTS) -> list[Alert]:
    """The newest leads without an owner and messages that failed for good, newest first."""
    _may_see(actor)
    with svc.store.reading() as session:
        leads = list(
            session.scalars(
                select(LeadRow)
                .where(LeadRow.status == "unassigned")
                .order_by(LeadRow.seq.desc())
                .limit(limit)
            )
        )
        records = _records(session, [r.decision_id for r in leads if r.decision_id])
        jobs = list(
            session.scalars(
                select(JobRow)
                .where(JobRow.kind == DELIVER, JobRow.state == DEAD)
                .order_by(JobRow.id.desc())
                .limit(limit)
            )
        )
        about = briefs(session, (j.lead_id for j in jobs if j.lead_id))
    alerts = []
    for row in leads:
        record = records.get(row.decision_id or 0)
        why = (record or {}).get("reason") or (row.first_response or {}).get("reason")
        alerts.append(
            Alert("unassigned", row.updated_at, brief_of(row), str(why or "unassigned"), record)
        )
    alerts += [
        Alert(
            "message_dead",
            job.finished_at or job.created_at,
            about.get(job.lead_id or ""),
            job.last_error or "it failed every try",
        )
        for job in jobs
    ]
    alerts.sort(key=lambda a: a.at, reverse=True)
    return alerts[:limit]


def _median_first_touch(session: Session, of_today: ColumnElement[bool], n: int) -> float | None:
    """The middle one (odd `n`) or two (even) of today's first-touch times, read in order."""
    if n == 0:
        return None
    middle = list(
        session.scalars(
            select(LeadRow.first_touch_seconds)
            .where(of_today, LeadRow.first_touch_seconds.is_not(None))
            .order_by(LeadRow.first_touch_seconds)
            .offset((n - 1) // 2)
            .limit(2 - n % 2)
        )
    )
    values = [v for v in middle if v is not None]
    return sum(values) / len(values) if values else None


def _records(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    query = select(DecisionRow.id, DecisionRow.record).where(DecisionRow.id.in_(ids))
    return {decision_id: record for decision_id, record in session.execute(query)}


def _may_see(actor: Actor) -> None:
    if actor.role not in ("manager", "admin"):
        raise Forbidden("today's figures are for managers and admins")
