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
BATCH = 1000  # leads derived per transaction


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
    """The summary of a period for managers and admins, on facts brought up to date first."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden(f"a {actor.role} may not read reports")
    refresh_facts(svc)
    with svc.store.reading() as session:
        return summary(session.connection(), query, bucket)


def report_dashboard(
    svc: Services, actor: Actor, query: Query, bucket: str = "day"
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The summary of a period and its hour × weekday cells (the heatmap of the reports page
    and the HTML report), on facts brought up to date once for both."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden(f"a {actor.role} may not read reports")
    refresh_facts(svc)
    with svc.store.reading() as session:
        connection = session.connection()
        hours = figures_by_group(connection, Query(query.period, "hour", query.filters))
        return summary(connection, query, bucket), hours


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
        with svc.store.writing() as session:
            _derive_and_store(session, ids)
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


def _derive_and_store(session: Session, lead_ids: Sequence[str]) -> None:
    leads = session.scalars(select(LeadRow).where(LeadRow.id.in_(lead_ids))).all()
    timelines: dict[str, list[Event]] = defaultdict(list)
    for row in session.scalars(
        select(LeadEventRow)
        .where(LeadEventRow.lead_id.in_(lead_ids))
        .order_by(LeadEventRow.lead_id, LeadEventRow.id)
    ):
        timelines[row.lead_id].append(Event(row.at, row.type, row.data or {}))
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lead_id, record in session.execute(
        select(DecisionRow.lead_id, DecisionRow.record)
        .where(DecisionRow.lead_id.in_(lead_ids))
        .order_by(DecisionRow.id)
    ):
        records[lead_id].append(record)
    facts = [derive(snapshot(lead), timelines[lead.id], records[lead.id]) for lead in leads]
    replace_facts(session, facts)


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
