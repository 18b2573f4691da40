"""The audit: a CRM export's leads measured by the report engine, before and after a policy.

Step 1 of the workflow is to measure the process a team has now. Each good row of the export
(`reports.crm_export`) becomes a lead's timeline — received when it was created, assigned to
its owner when the owner was assigned, contacted at its first activity — and
`reports.facts.derive` turns it into facts, exactly as for a live lead or a replay. The facts
go into an in-memory database with the live schema (`replay.facts_database`) and
`engine.summary` counts them: one engine, so the audit's figures mean what live ones mean.

What a CRM export does not say is not invented:

- **Even share.** A CRM has no record of who could have taken each lead, so every owner who
  appears in the export is owed an equal part of each owned lead (one pool, `crm`): 300 leads
  and 3 owners owe 100 each, and an owner with 180 deviates by +80%.
- **No owner assigned time** (a Salesforce or Pipedrive export): a lead is owned from its
  creation, so time to first touch counts from then; a touch before the owner's assigned time
  (HubSpot keeps the latest assignment, so a reassigned lead shows a later one) means the
  owner had it by the touch.
- **Duplicates**: a lead with the email of an earlier one is a duplicate of it (kept, counted).

`after(...)` replays the same leads through a policy with the simulator `leadflow simulate`
runs (the CRM's first touches are the history's `first_touch_at`, as in an SLA backtest:
the touch happens when it did, whoever owns the lead), then reads its decisions back through
`reports.replay` — the path of `leadflow report --simulation`.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from leadflow.reports.crm_export import ExportRow
from leadflow.reports.engine import Query, insert_facts, summary
from leadflow.reports.facts import Event, LeadFacts, LeadSnapshot, derive
from leadflow.reports.replay import facts_database, replay_database

POOL = "crm"  # the one pool of an export: every owner in it, owed an even share


@dataclass(frozen=True)
class Counts:
    """What the audit knows of its rows beyond the engine's figures, for its notes."""

    owned_from_creation: int  # owned, but no owner assigned time in the row
    touched_before_assigned: int
    date_only_touches: int


def export_facts(rows: Sequence[ExportRow]) -> Iterator[LeadFacts]:
    """The facts of each row, derived as a live lead's are (see the module's docstring)."""
    owners = sorted({row.owner for row in rows if row.owner})
    first_of: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: (r.created, r.line)):
        duplicate_of = None
        if row.email:
            duplicate_of = first_of.setdefault(row.email, row.id)
            duplicate_of = None if duplicate_of == row.id else duplicate_of
        events, decisions = [Event(row.created, "received")], []
        if row.owner:
            owned = owned_at(row)
            events.append(Event(owned, "assigned", {"rep": row.owner, "pool": POOL}))
            decisions.append(_even_share(row.owner, owners))
        if row.touched is not None:
            events.append(Event(row.touched, "contacted"))
        events.sort(key=lambda e: (e.at, e.type != "received", e.type != "assigned"))
        yield derive(
            LeadSnapshot(
                id=row.id,
                received_at=row.created,
                source=row.source,
                status=row.status or ("assigned" if row.owner else "received"),
                tier=None,
                fields={"email": row.email, "company": row.fields.get("company")},
                duplicate_of=duplicate_of,
            ),
            events,
            decisions,
        )


def owned_at(row: ExportRow) -> datetime:
    """When the row's owner had the lead: the owner assigned time, else its creation; at the
    latest its first touch."""
    at = row.assigned or row.created
    return min(at, row.touched) if row.touched is not None else at


def counts(rows: Sequence[ExportRow]) -> Counts:
    owned = [r for r in rows if r.owner]
    return Counts(
        owned_from_creation=sum(1 for r in owned if r.assigned is None),
        touched_before_assigned=sum(
            1 for r in owned if r.assigned and r.touched and r.touched < r.assigned
        ),
        date_only_touches=sum(1 for r in rows if r.touched_date_only),
    )


def before(rows: Sequence[ExportRow], query: Query, bucket: str = "day") -> dict[str, Any]:
    """The engine's summary of the export as it is: the current process."""
    return _summary(before_database(rows), query, bucket)


def after(
    rows: Sequence[ExportRow], policy: Path, query: Query, bucket: str = "day"
) -> dict[str, Any]:
    """The same leads simulated under `policy`, counted by the same engine."""
    return _summary(after_database(rows, policy, query.period.zone), query, bucket)


def before_database(rows: Sequence[ExportRow]) -> Engine:
    """An in-memory facts database of the export's leads as they are."""
    engine = facts_database()
    with engine.begin() as connection:
        batch: list[LeadFacts] = []
        for facts in export_facts(rows):
            batch.append(facts)
            if len(batch) == 1000:
                insert_facts(connection, batch)
                batch = []
        insert_facts(connection, batch)
    return engine


def after_database(rows: Sequence[ExportRow], policy: Path, zone: str) -> Engine:
    """An in-memory facts database of the same leads routed by `policy` in the simulator."""
    from leadflow.simulate.runner import run_simulation

    with tempfile.TemporaryDirectory(prefix="leadflow-audit-") as tmp:
        leads, decisions = Path(tmp) / "leads.csv", Path(tmp) / "decisions.jsonl"
        write_leads(rows, leads)
        run_simulation(policy, leads, None, decisions)
        return replay_database(decisions, leads, None, zone)


def write_leads(rows: Sequence[ExportRow], path: Path) -> None:
    """The rows as a LEADS file of `leadflow simulate`: times in UTC, the CRM's first touch as
    `first_touch_at` (empty: never touched), the owner left out (the policy decides)."""
    columns = ["id", "received_at", "first_touch_at", "source", "email"]
    columns += ["first_name", "last_name", "company"]
    ordered = sorted(rows, key=lambda r: (r.created, r.line))
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)  # the data as it is: this file is read by the simulator
        writer.writerow(columns)
        for row in ordered:
            writer.writerow(
                [
                    row.id,
                    _utc(row.created),
                    _utc(row.touched) if row.touched else "",
                    row.source or "",
                    row.email or "",
                    *(row.fields.get(name, "") for name in ("first_name", "last_name", "company")),
                ]
            )


def span(rows: Sequence[ExportRow], zone: str) -> tuple[date, date]:
    """The first and last day (in `zone`) that a lead of the export was created on."""
    tz = ZoneInfo(zone)
    days = [row.created.astimezone(tz).date() for row in rows]
    return min(days), max(days)


def _even_share(owner: str, owners: Sequence[str]) -> dict[str, Any]:
    """A decision record as routing writes one, for `facts.owed`: every owner eligible."""
    return {
        "outcome": "assigned",
        "pools": [
            {
                "pool": POOL,
                "result": "assigned",
                "picked": owner,
                "candidates": [{"rep": rep, "eligible": True} for rep in owners],
            }
        ],
    }


def _summary(engine: Engine, query: Query, bucket: str) -> dict[str, Any]:
    with engine.connect() as connection:
        return summary(connection, query, bucket)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


def side_by_side(before: dict[str, Any], after: dict[str, Any] | None) -> dict[str, Any]:
    """One summary for the HTML report (`reports.html`), whose second column is the previous
    period: here it is the export as it was, and the first is the same leads after the
    policy; both runs' fairness, the export's pool named as such."""
    if after is None:
        return before
    shown = dict(after)
    shown["previous"] = {"period": before["period"], "overall": before["overall"]}
    crm = [{**pool, "pool": f"{pool['pool']} (before)"} for pool in before["fairness"]]
    shown["fairness"] = [*after["fairness"], *crm]
    return shown
