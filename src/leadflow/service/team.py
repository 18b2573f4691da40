"""The availability board: every rep, whether they can take a lead now, and their load.

`service.reps.list_reps` gives each rep's presence, caps, time off and counts in two reads;
this adds what a manager asks next — working now (until when) or not (starting when), time off
now or next, and SLA breaches this week — from the policy's calendars and one grouped read of
this week's `sla.breached` events. A bounded number of queries for any number of reps.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from leadflow.core.calendar import to_epoch
from leadflow.service import reps
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden
from leadflow.service.routing import Actor
from leadflow.store.tables import LeadEventRow


@dataclass(frozen=True)
class BoardRow:
    rep: reps.RepView
    working: bool  # inside working hours now (their calendar; no calendar: always)
    until: datetime | None  # working: when it ends
    starts: datetime | None  # not working: when it next begins (None: no working time ahead)
    away_now: reps.TimeOff | None  # time off under way
    next_off: reps.TimeOff | None  # the next time off to come
    breaches_week: int  # SLA deadlines missed this week while the lead was theirs

    @property
    def can_take(self) -> bool:
        """Whether routing could give them a lead now (caps aside)."""
        return (
            self.rep.active
            and self.rep.presence == "available"
            and self.working
            and self.away_now is None
        )


def board(svc: Services, actor: Actor) -> list[BoardRow]:
    """Every rep of the active policy, for managers and admins, in the policy's order."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden("the team board is for managers and admins")
    views = reps.list_reps(svc, actor)
    now = svc.clock()
    t = to_epoch(now)
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
        if policy is None:
            return []
        week_start = _monday(now, policy.timezone)
        rep_of = LeadEventRow.data["rep"].as_string()
        breached = session.execute(
            select(rep_of, func.count())
            .where(LeadEventRow.type == "sla.breached", LeadEventRow.at >= week_start)
            .group_by(rep_of)
        ).tuples()
        breaches: dict[str | None, int] = {rep: n for rep, n in breached}
    rows = []
    for view in views:
        calendar = policy.calendars.get(policy.reps[view.id].calendar or "")
        working = calendar is None or calendar.is_open(t)
        until = _at(calendar.next_close(t)) if calendar is not None and working else None
        starts = _at(calendar.next_open(t)) if calendar is not None and not working else None
        current = next((o for o in view.time_off if o.starts_at <= now < o.ends_at), None)
        later = sorted((o for o in view.time_off if o.starts_at > now), key=lambda o: o.starts_at)
        rows.append(
            BoardRow(
                rep=view,
                working=working,
                until=until,
                starts=starts,
                away_now=current,
                next_off=later[0] if later else None,
                breaches_week=int(breaches.get(view.id, 0)),
            )
        )
    return rows


def _monday(now: datetime, zone: str) -> datetime:
    local = now.astimezone(ZoneInfo(zone))
    start = (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0)
    return start.replace(microsecond=0).astimezone(UTC)


def _at(t: float | None) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, UTC)
