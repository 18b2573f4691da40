"""Many clients at once, through one or two `leadflow serve` processes on one database.

400 leads from 16 concurrent clients to one round-robin pool of 5 reps: on PostgreSQL through
two server processes, on SQLite through one (its writes are serialized). Exactly 80 each, no
lead assigned twice, no cap exceeded; and with one rep capped at 70 a day, that rep gets
exactly 70 and the others share the rest evenly. Each scenario runs once (`outcome`);
each test checks one fact about it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from serverproc import Server, create_key, fresh_database, publish
from sqlalchemy import create_engine, func, select

from leadflow.store.tables import DecisionRow, LeadRow, RepStateRow

REPS = ("r1", "r2", "r3", "r4", "r5")
LEADS = 400
CLIENTS = 16
CAPPED = "r3"
CAP = 70


def policy(capped: bool) -> str:
    lines = []
    for rep in REPS:
        caps = f", caps: {{per_day: {CAP}}}" if capped and rep == CAPPED else ""
        lines.append(f"  - {{id: {rep}, name: {rep.upper()}, email: {rep}@example.com{caps}}}")
    return f"""
version: 1
timezone: UTC
reps:
{chr(10).join(lines)}
pools:
  team: {{strategy: round_robin, members: [{", ".join(REPS)}]}}
rules:
  - {{name: everyone, when: {{email: {{exists: true}}}}, route: team}}
fallback: team
"""


@dataclass
class Run:
    answers: list[tuple[int, dict[str, Any]]]  # (status, body) of every POST
    leads: int
    decisions_per_lead: Counter[int]  # how many leads have n decisions
    decisions_per_rep: dict[str | None, int]
    day_count_per_rep: dict[str, int]


def post_share(url: str, token: str, client: int, out: list[tuple[int, dict[str, Any]]]) -> None:
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60
    ) as http:
        for n in range(client, LEADS, CLIENTS):
            key = f"lead-{n}"
            body = {"email": f"{key}@example.com", "country": "US", "employees": n}
            answer = http.post("/api/v1/leads", json=body, headers={"Idempotency-Key": key})
            out.append((answer.status_code, answer.json()))


def run(url: str, servers: list[Server], token: str) -> Run:
    shares: list[list[tuple[int, dict[str, Any]]]] = [[] for _ in range(CLIENTS)]
    threads = [
        threading.Thread(
            target=post_share, args=(servers[c % len(servers)].url, token, c, shares[c])
        )
        for c in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    engine = create_engine(url)
    try:
        with engine.connect() as db:
            leads = db.scalar(select(func.count()).select_from(LeadRow)) or 0
            per_lead = select(LeadRow.id, func.count(DecisionRow.id)).outerjoin(
                DecisionRow, DecisionRow.lead_id == LeadRow.id
            )
            counts = Counter(n for _, n in db.execute(per_lead.group_by(LeadRow.id)))
            per_rep = select(DecisionRow.rep, func.count()).group_by(DecisionRow.rep)
            day_counts = select(RepStateRow.rep_id, RepStateRow.day_count)
            return Run(
                answers=[a for share in shares for a in share],
                leads=leads,
                decisions_per_lead=counts,
                decisions_per_rep=dict(db.execute(per_rep).all()),
                day_count_per_rep=dict(db.execute(day_counts).all()),
            )
    finally:
        engine.dispose()


SCENARIOS = {
    # name: (database, server processes, one rep capped)
    "postgresql-two-servers": ("postgresql", 2, False),
    "postgresql-two-servers-capped": ("postgresql", 2, True),
    "sqlite-one-server": ("sqlite", 1, False),
    "sqlite-one-server-capped": ("sqlite", 1, True),
}
EVEN = [name for name, (_, _, capped) in SCENARIOS.items() if not capped]
WITH_CAP = [name for name, (_, _, capped) in SCENARIOS.items() if capped]
_runs: dict[str, Run] = {}


@pytest.fixture
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """`outcome(name)`: what the scenario did; each scenario runs once in a session."""

    def get(name: str) -> Run:
        if name not in _runs:
            _runs[name] = play(name, tmp_path_factory.mktemp(name))
        return _runs[name]

    return get


def play(name: str, directory: Path) -> Run:
    kind, processes, capped = SCENARIOS[name]
    url = fresh_database(kind, directory)
    token = create_key(url)
    servers = [Server(url, directory / f"server-{n}.log") for n in range(processes)]
    try:
        for server in servers:
            server.start()
        publish(servers[0], token, policy(capped))
        return run(url, servers, token)
    finally:
        for server in servers:
            server.stop()


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_lead_posted_at_once_is_answered_201_and_assigned(
    outcome: Callable[[str], Run], name: str
) -> None:
    answers = outcome(name).answers
    assert Counter((status, body["status"]) for status, body in answers) == {
        (201, "assigned"): LEADS
    }


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_lead_is_stored_once_with_exactly_one_decision(
    outcome: Callable[[str], Run], name: str
) -> None:
    result = outcome(name)
    assert (result.leads, result.decisions_per_lead) == (LEADS, {1: LEADS})


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_answers_the_decisions_and_the_day_counts_agree_for_each_rep(
    outcome: Callable[[str], Run], name: str
) -> None:
    result = outcome(name)
    answered = Counter(body["owner"] for _, body in result.answers)
    assert answered == result.decisions_per_rep == result.day_count_per_rep


@pytest.mark.parametrize("name", EVEN)
def test_the_round_robin_gives_each_of_five_reps_exactly_80_of_400(
    outcome: Callable[[str], Run], name: str
) -> None:
    assert outcome(name).decisions_per_rep == dict.fromkeys(REPS, 80)


@pytest.mark.parametrize("name", WITH_CAP)
def test_a_rep_capped_at_70_a_day_gets_exactly_70_and_the_others_share_the_rest_evenly(
    outcome: Callable[[str], Run], name: str
) -> None:
    per_rep = outcome(name).decisions_per_rep
    others = sorted(n for rep, n in per_rep.items() if rep != CAPPED)
    # 70 rounds of five, then the 50 left go in turn to the four others: 13, 13, 12, 12.
    assert (per_rep[CAPPED], others) == (CAP, [82, 82, 83, 83])
