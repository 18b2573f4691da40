"""Reports on live history: the facts of changed leads brought up to date, then one engine.

Routing never writes `lead_facts`: it would cost every lead an extra write under the routing
lock. Instead `refresh_facts` derives the facts of every lead whose timeline moved since the
last refresh (`reports.facts.derive`, the one derivation), in batches, and a report runs it
first, so it counts what is committed now. Which leads moved is found by the timeline's ids: a
lead changes only with an event. The last id seen is kept in `instance` (`report_facts_mark`).
On PostgreSQL ids are taken before commit, so a transaction may commit an id below one already
seen: each refresh also keeps the ids missing below its mark (`report_facts_gaps`, within
`LOOKBACK` ids of it), and the next one reads the events that have since filled them. An id
that stays missing is a rolled-back insert; it is forgotten once `LOOKBACK` ids behind.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leadflow.reports.engine import (
    Query,
    ReportError,
    delete_facts,
    figures_by_group,
    insert_facts,
    summary,
)
from leadflow.reports.facts import Event, LeadFacts, LeadSnapshot, derive
from leadflow.reports.periods import Period, PeriodError
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, Invalid
from leadflow.service.routing import Actor
from leadflow.store.tables import DecisionRow, InstanceRow, LeadEventRow, LeadRow

log = logging.getLogger("leadflow.reports")

MARK = "report_facts_mark"
GAPS = "report_facts_gaps"
LOOKBACK = 2000  # ids: how long a missing id below the mark is waited for
BATCH = 200  # leads derived per read, stored per (short) write


def make_query(
    start: date, end: date, zone: str, group_by: str | None, filters: Mapping[str, str]
) -> Query:
    """A report's query, or `Invalid` naming the parameter that is wrong."""
    try:
        return Query(Period.of(start, end, zone), group_by or None, dict(filters))
    except (PeriodError, ReportError) as error:
        raise Invalid(str(error), field=error.field) from None


def report_summary(
    svc: Services, actor: Actor, query: Query, bucket: str = "day"
) -> dict[str, Any]:
    """The summary of a period for managers and admins, on facts brought up to date first
    (in a report process when the server has them: `service.report_process`)."""
    _may_read(actor)
    if svc.reports is not None:
        answer: dict[str, Any] = svc.reports.run("summary", query, bucket)
        return answer
    return summary_here(svc, query, bucket)


def report_dashboard(
    svc: Services, actor: Actor, query: Query, bucket: str = "day"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary of a period and its hour × weekday cells (the heatmap of the reports page
    and the HTML report), on facts brought up to date once for both."""
    _may_read(actor)
    if svc.reports is not None:
        both: tuple[dict[str, Any], list[dict[str, Any]]] = svc.reports.run(
            "dashboard", query, bucket
        )
        return both
    return dashboard_here(svc, query, bucket)


def summary_here(svc: Services, query: Query, bucket: str) -> dict[str, Any]:
    """`report_summary` in this process, whoever asked (checked by the caller)."""
    refresh_facts(svc)
    with svc.store.reading() as session:
        return summary(session.connection(), query, bucket)


def dashboard_here(
    svc: Services, query: Query, bucket: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """`report_dashboard` in this process, whoever asked (checked by the caller)."""
    refresh_facts(svc)
    with svc.store.reading() as session:
        connection = session.connection()
        hours = figures_by_group(connection, Query(query.period, "hour", query.filters))
        return summary(connection, query, bucket), hours


def _may_read(actor: Actor) -> None:
    if actor.role not in ("manager", "admin"):
        raise Forbidden("reports are for managers and admins")


def refresh_facts(svc: Services) -> int:
    """Derive the facts of every lead whose timeline moved since the last refresh; how many."""
    with svc.store.reading() as session:
        mark, gaps = _mark(session)
        top = session.scalar(select(func.max(LeadEventRow.id))) or 0
    if top <= mark and not gaps:
        return 0
    moved = (LeadEventRow.id > mark) & (LeadEventRow.id <= top)
    if gaps:
        moved = moved | LeadEventRow.id.in_(gaps)
    done, after = 0, ""
    while True:  # leads in id order, a batch at a time (keyset: no OFFSET rescans)
        with svc.store.reading() as session:
            ids = list(
                session.scalars(
                    select(LeadEventRow.lead_id)
                    .where(moved)
                    .where(LeadEventRow.lead_id > after)
                    .group_by(LeadEventRow.lead_id)
                    .order_by(LeadEventRow.lead_id)
                    .limit(BATCH)
                )
            )
        if not ids:
            break
        _refresh_batch(svc, ids)
        done += len(ids)
        after = ids[-1]
    with svc.store.writing() as session:
        missing = _missing(session, gaps, max(mark, top), svc.store.is_sqlite)
        _set_mark(session, max(mark, top), missing)
    log.info("report.facts_refreshed leads=%d mark=%d waiting=%d", done, top, len(missing))
    return done


def _missing(session: Session, gaps: Sequence[int], top: int, sqlite: bool) -> list[int]:
    """The ids at most `LOOKBACK` below `top` that no committed event has yet.

    SQLite has one writer at a time and commits ids in order: an id missing there was rolled
    back and never comes, so nothing is waited for.
    """
    if sqlite:
        return []
    low = max(top - LOOKBACK, 0)
    seen = set(
        session.scalars(
            select(LeadEventRow.id).where(LeadEventRow.id > low, LeadEventRow.id <= top)
        )
    )
    return [n for n in range(low + 1, top + 1) if n not in seen]


def _refresh_batch(svc: Services, lead_ids: Sequence[str]) -> None:
    """Derive these leads' facts in a read, then store them in a short write.

    The derivation is the slow part, and on SQLite a write holds the one writer's lock that
    intake waits for: so it runs outside it. A lead whose timeline grew in between (its events
    counted again in the write differ) is derived again inside the write, so the facts stored
    are never older than the timeline they replace.
    """
    with svc.store.reading() as session:
        facts, read = _derive(session, lead_ids)
    with svc.store.writing() as session:
        moved = sorted(
            lead_id
            for lead_id, shape in _timeline_shapes(session, lead_ids).items()
            if read.get(lead_id) != shape
        )
        if moved:
            again, _ = _derive(session, moved)
            redone = set(moved)
            facts = [f for f in facts if f.lead_id not in redone] + again
        replace_facts(session, facts)


def _timeline_shapes(session: Session, lead_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Each lead's (number of events, last event id): what changes when its timeline does."""
    rows = session.execute(
        select(LeadEventRow.lead_id, func.count(), func.max(LeadEventRow.id))
        .where(LeadEventRow.lead_id.in_(lead_ids))
        .group_by(LeadEventRow.lead_id)
    )
    return {lead_id: (int(n), int(top)) for lead_id, n, top in rows}


def _derive(
    session: Session, lead_ids: Sequence[str]
) -> tuple[list[LeadFacts], dict[str, tuple[int, int]]]:
    """These leads' facts, and the shape of each timeline they were derived from."""
    leads = session.scalars(select(LeadRow).where(LeadRow.id.in_(lead_ids))).all()
    timelines: dict[str, list[Event]] = defaultdict(list)
    shapes: dict[str, tuple[int, int]] = {}
    for row in session.scalars(
        select(LeadEventRow)
        .where(LeadEventRow.lead_id.in_(lead_ids))
        .order_by(LeadEventRow.lead_id, LeadEventRow.id)
    ):
        timelines[row.lead_id].append(Event(row.at, row.type, row.data or {}))
        shapes[row.lead_id] = (len(timelines[row.lead_id]), row.id)
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lead_id, record in session.execute(
        select(DecisionRow.lead_id, DecisionRow.record)
        .where(DecisionRow.lead_id.in_(lead_ids))
        .order_by(DecisionRow.id)
    ):
        records[lead_id].append(record)
    facts = [derive(snapshot(lead), timelines[lead.id], records[lead.id]) for lead in leads]
    return facts, shapes


def replace_facts(session: Session, facts: Sequence[LeadFacts]) -> None:
    """Write these leads' facts, replacing what was there for them."""
    connection = session.connection()
    delete_facts(connection, [f.lead_id for f in facts])
    insert_facts(connection, facts)


def snapshot(row: LeadRow) -> LeadSnapshot:
    """What reporting reads of a stored lead itself."""
    return LeadSnapshot(
        id=row.id,
        received_at=row.received_at,
        source=row.source,
        status=row.status,
        tier=row.tier,
        fields=row.fields or {},
        sla_tier=row.sla_tier,
        sla_status=row.sla_status,
        first_touch_business_seconds=row.first_touch_business_seconds,
        duplicate_of=row.duplicate_of,
        junk_reason=row.junk_reason,
        account_id=row.account_id,
    )


def _mark(session: Session) -> tuple[int, list[int]]:
    """The last id a refresh saw, and the ids below it it had not seen."""
    rows = session.execute(
        select(InstanceRow.name, InstanceRow.value).where(InstanceRow.name.in_((MARK, GAPS)))
    )
    values = {name: value for name, value in rows}
    gaps = values.get(GAPS, "")
    return int(values.get(MARK) or 0), [int(n) for n in gaps.split(",") if n]


def _set_mark(session: Session, mark: int, gaps: Sequence[int]) -> None:
    row = session.get(InstanceRow, MARK, with_for_update=True)
    if row is not None and int(row.value) > mark:
        return  # a later refresh has written already: its gaps are the newer ones
    values = {MARK: str(mark), GAPS: ",".join(map(str, gaps))}
    for name, value in values.items():
        found = row if name == MARK else session.get(InstanceRow, name)
        if found is None:
            session.add(InstanceRow(name=name, value=value))
        else:
            found.value = value
