"""One history, two sources: lived through the service, and replayed by `leadflow simulate`.

The same leads arrive at the same instants and are touched, booked and won at the same
instants; one history goes through live routing (SQLite and PostgreSQL), the other through the
simulator from a CSV and an events file. The report engine must give the same figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from databases import FixedClock
from leadflow.reports.engine import Query, fairness, figures_by_group
from leadflow.reports.periods import Period
from leadflow.reports.replay import replay_database
from leadflow.service import reports
from leadflow.service.context import Services
from leadflow.service.queries import lead_history
from leadflow.service.routing import Actor, NewLead, intake, record_event
from leadflow.simulate.runner import run_simulation

MANAGER = Actor("mia", "manager")
FORM = Actor("form", "intake")
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer}
  - {id: ben, name: Ben Brook}
  - {id: cid, name: Cid Cole}
pools:
  team: {strategy: round_robin, members: [ann, ben, cid]}
rules:
  - {name: big, when: {employees: {gte: 500}}, route: team}
fallback: team
"""
START = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
# (minutes after START, source, employees, [(minutes after arrival, status), ...])
HISTORY: list[tuple[int, str, int, list[tuple[int, str]]]] = [
    (0, "web", 50, [(3, "contacted"), (60, "meeting_booked"), (600, "won")]),
    (5, "web", 900, [(12, "contacted")]),
    (9, "event", 20, []),
    (30, "event", 1500, [(45, "contacted"), (300, "meeting_booked")]),
    (31, "web", 70, [(2, "contacted"), (30, "lost")]),
    (90, "partner", 10, [(125, "contacted")]),
    (95, "web", 5000, []),
]
PERIOD = Period.of(date(2026, 11, 16), date(2026, 11, 22), "UTC")


def live(svc: Services, clock: FixedClock) -> None:
    """The history through the service, in time order."""
    steps: list[tuple[datetime, int, str]] = []
    for n, (minutes, _, _, statuses) in enumerate(HISTORY):
        arrival = START + timedelta(minutes=minutes)
        steps.append((arrival, n, "received"))
        steps += [(arrival + timedelta(minutes=m), n, status) for m, status in statuses]
    ids: dict[int, str] = {}
    for at, n, kind in sorted(steps, key=lambda s: (s[0], s[2] != "received")):
        clock.set(at)
        _, source, employees, _ = HISTORY[n]
        if kind == "received":
            fields = {"email": f"lead{n}@example.com", "source": source, "employees": employees}
            ids[n] = intake(svc, NewLead(fields, fields, source=source), FORM).lead_id
        else:
            owner = lead_history(svc, ids[n], MANAGER).lead.owner
            record_event(svc, ids[n], kind, Actor(f"{owner}@x", "rep", owner))


def replayed(tmp: Path) -> Any:
    """The history as `leadflow simulate` takes it, simulated, and its facts."""
    policy = tmp / "policy.yaml"
    policy.write_text(POLICY)
    leads = tmp / "leads.csv"
    events = tmp / "events.jsonl"
    rows = ["id,received_at,email,source,employees"]
    lines = []
    for n, (minutes, source, employees, statuses) in enumerate(HISTORY):
        arrival = START + timedelta(minutes=minutes)
        rows.append(f"L{n},{arrival.isoformat()},lead{n}@example.com,{source},{employees}")
        for m, status in statuses:
            at = (arrival + timedelta(minutes=m)).isoformat()
            lines.append(
                (at, {"at": at, "type": "lead.status", "lead_id": f"L{n}", "status": status})
            )
    leads.write_text("\n".join(rows) + "\n")
    events.write_text("".join(json.dumps(e) + "\n" for _, e in sorted(lines, key=lambda x: x[0])))
    decisions = tmp / "decisions.jsonl"
    run_simulation(policy, leads, events, decisions)
    return replay_database(decisions, leads, events, "UTC")


SHARED = (  # the figures both sources hold (a replay has no SLA verdicts: see reports.replay)
    "leads",
    "assigned",
    "time_to_assign",
    "funnel",
    "meeting_share",
    "won_share",
    "reassigned_share",
    "time_to_meeting_p50_seconds",
    "time_to_won_p50_seconds",
)


def shared(figures: dict[str, Any]) -> dict[str, Any]:
    touch = {k: v for k, v in figures["time_to_first_touch"].items() if k != "working_time"}
    touch.pop("within_1_working_day")
    return {**{name: figures[name] for name in SHARED}, "time_to_first_touch": touch}


def test_the_same_history_gives_the_same_figures_live_and_replayed(
    services: Services,
    publish_policy: Callable[[Services, str], int],
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    publish_policy(services, POLICY)
    live(services, clock)
    reports.refresh_facts(services)
    engine = replayed(tmp_path)
    for group_by in (None, "source", "rep", "rule", "hour"):
        query = Query(PERIOD, group_by)
        with services.store.reading() as session:
            lived = figures_by_group(session.connection(), query)
        with engine.connect() as connection:
            simulated = figures_by_group(connection, query)
        assert [(g["group"], shared(g["figures"])) for g in lived] == [
            (g["group"], shared(g["figures"])) for g in simulated
        ], group_by
    with services.store.reading() as session:
        lived_fairness = fairness(session.connection(), Query(PERIOD))
    with engine.connect() as connection:
        assert fairness(connection, Query(PERIOD)) == lived_fairness
    assert lived_fairness[0]["assigned"] == 7


def test_the_history_has_the_figures_the_test_built_it_with(
    services: Services,
    publish_policy: Callable[[Services, str], int],
    clock: FixedClock,
) -> None:
    publish_policy(services, POLICY)
    live(services, clock)
    got = reports.report_summary(services, MANAGER, Query(PERIOD))["overall"]
    assert got["leads"] == 7
    # touched after 2, 3, 12, 45, 125 minutes: the median is the 3rd, 12 minutes
    assert got["time_to_first_touch"]["p50_seconds"] == 12 * 60
    assert got["time_to_first_touch"]["never"] == 2 / 7
    assert got["meeting_share"] == 2 / 7
    assert got["won_share"] == 1 / 7
