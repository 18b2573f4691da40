"""A replay's history as lead facts: `leadflow simulate`'s inputs and its DECISIONS file.

The leads (CSV or JSONL) and events (JSONL) are read by the simulator's own reader
(`simulate.timeline`), in the same zone; the decisions are what the simulator wrote. For each
lead they make the timeline live routing would have stored — received, each decision's outcome
(assigned with rep, pool and rule; held; nurture; merged), an SLA reassignment before the
decision that made it, the first touch (`first_touch_at`) and each `lead.status` — and
`reports.facts.derive` turns it into facts, as it does for a live lead. The facts go into an
in-memory SQLite database with the live schema, where the same engine counts them.

What a DECISIONS file does not hold is not invented: a lead's SLA verdict and its time to first
touch in working time (the simulator's SLA summary has them in aggregate only), and junk leads
(they get no decision). Those figures stay empty for a replay.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine

from leadflow.reports.engine import TABLES, insert_facts
from leadflow.reports.facts import Event, LeadSnapshot, derive
from leadflow.simulate.items import LeadArrival, LeadStatus
from leadflow.simulate.timeline import timeline

STATUSES = {"closed": "disqualified"}  # a simulation's `closed` is live's disqualified


class ReplayError(ValueError):
    """A DECISIONS file that cannot be read: names the file and line."""


def replay_database(decisions: Path, leads: Path, events: Path | None, zone: str) -> Engine:
    """An in-memory database holding the facts of a replay, for the report engine."""
    engine = facts_database()
    with engine.begin() as connection:
        batch = []
        for facts in replay_facts(decisions, leads, events, zone):
            batch.append(facts)
            if len(batch) == 1000:
                insert_facts(connection, batch)
                batch = []
        insert_facts(connection, batch)
    return engine


def facts_database() -> Engine:
    """An empty in-memory SQLite with the live schema of the facts tables."""
    engine = create_engine("sqlite://")
    for table in TABLES:
        table.__table__.create(engine)  # type: ignore[attr-defined]
    return engine


def replay_facts(decisions: Path, leads: Path, events: Path | None, zone: str) -> Iterator[Any]:
    """The facts of every lead of a replay, in the order the leads arrived."""
    arrivals: dict[str, LeadArrival] = {}
    timelines: dict[str, list[Event]] = defaultdict(list)
    for item in timeline(leads, events, zone):
        if isinstance(item, LeadArrival):
            arrivals[item.lead_id] = item
            timelines[item.lead_id].append(Event(_at(item.at), "received"))
            if item.first_touch is not None:
                timelines[item.lead_id].append(Event(_at(item.first_touch), "contacted"))
        elif isinstance(item, LeadStatus) and item.lead_id in arrivals:
            kind = STATUSES.get(item.status, item.status)
            timelines[item.lead_id].append(Event(_at(item.at), kind))
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lead_id, kind, at, data, record in _decisions(decisions):
        if lead_id in timelines:
            timelines[lead_id].append(Event(at, kind, data))
            if kind != "sla.reassigned":
                records[lead_id].append(record)
    for lead_id, arrival in arrivals.items():
        events_of = sorted(timelines[lead_id], key=lambda e: (e.at, e.type != "received"))
        fields = arrival.fields
        status = next((e.type for e in reversed(events_of) if e.type != "received"), "received")
        yield derive(
            LeadSnapshot(
                id=lead_id,
                received_at=_at(arrival.at),
                source=fields.get("source"),
                status=status,
                tier=_tier_of(events_of),
                fields=fields,
                duplicate_of=next(
                    (str(e.data.get("duplicate_of")) for e in events_of if e.type == "merged"),
                    None,
                ),
            ),
            events_of,
            records[lead_id],
        )


def _decisions(
    path: Path,
) -> Iterator[tuple[str, str, datetime, dict[str, Any], dict[str, Any]]]:
    """(lead id, event type, at, data) for each line of a DECISIONS file, in order."""
    with path.open("rb") as lines:
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                d = orjson.loads(line)
                at = datetime.fromisoformat(d["at"])
                record = d.get("record") or {}
                lead_id, outcome = d["lead_id"], d["outcome"]
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as error:
                raise ReplayError(f"{path}:{n}: not a decision line ({error})") from None
            if record.get("reason") == "sla_reassign" or "sla_reassign" in record:
                yield lead_id, "sla.reassigned", at, {}, record
            data = {"rep": d.get("rep"), "pool": d.get("pool"), "rule": d.get("rule")}
            quality = record.get("quality") or {}
            tier = (quality.get("score") or {}).get("tier")
            if tier is not None:
                data["tier"] = tier
            if outcome == "merged":
                data["duplicate_of"] = (quality.get("duplicate_of") or {}).get("lead_id")
            yield lead_id, outcome, at, data, record


def _tier_of(events: list[Event]) -> str | None:
    return next((e.data["tier"] for e in events if "tier" in e.data), None)


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
