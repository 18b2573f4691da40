"""Kills the server with SIGKILL while clients post leads, restarts it, and finds every lead
that got a 2xx, each routed once; a retry of a request the crash cut off stores its lead once.

The crash is run once per database (a module fixture); each test checks one fact about it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from serverproc import Server, create_key, fresh_database, publish
from sqlalchemy import create_engine, func, select

from leadflow.store.tables import DecisionRow, LeadRow, RepStateRow

REPS = ("ann", "ben", "cy", "dee")
POLICY = f"""
version: 1
timezone: UTC
reps:
{chr(10).join(f"  - {{id: {r}, name: {r.title()}, email: {r}@example.com}}" for r in REPS)}
pools:
  team: {{strategy: round_robin, members: [{", ".join(REPS)}]}}
rules:
  - {{name: everyone, when: {{email: {{exists: true}}}}, route: team}}
fallback: team
"""
CLIENTS = 8
KILL_AFTER = 150  # acknowledged leads before the SIGKILL
PER_CLIENT = 2000  # an upper bound: the clients stop when the server is gone


@dataclass
class Attempt:
    key: str
    status: int | None = None  # None: no answer (the connection broke)
    answer: dict[str, Any] | None = None


@dataclass
class Crash:
    """What the clients saw, and what the restarted server and the database say."""

    attempts: list[Attempt]
    after: dict[str, httpx.Response] = field(default_factory=dict)  # acked key -> GET /leads/id
    retried: dict[str, httpx.Response] = field(default_factory=dict)  # cut key -> the re-post
    leads_per_key: dict[str | None, int] = field(default_factory=dict)
    decisions_per_lead: dict[str, int] = field(default_factory=dict)
    decisions_per_rep: dict[str | None, int] = field(default_factory=dict)
    day_count_per_rep: dict[str, int] = field(default_factory=dict)

    @property
    def acked(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status is not None and 200 <= a.status < 300]

    @property
    def cut(self) -> list[Attempt]:
        return [a for a in self.attempts if a.status is None]


def lead(key: str) -> dict[str, Any]:
    return {"email": f"{key}@example.com", "country": "US", "source": "durability"}


def post_until_gone(url: str, token: str, name: str, out: list[Attempt]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        for i in range(PER_CLIENT):
            attempt = Attempt(f"{name}-{i}")
            out.append(attempt)
            try:
                answer = http.post(
                    "/api/v1/leads",
                    json=lead(attempt.key),
                    headers={"Idempotency-Key": attempt.key},
                )
            except httpx.TransportError:
                return  # the server is gone; this request's fate is unknown
            attempt.status = answer.status_code
            attempt.answer = answer.json()


def crash(url: str, directory: Path) -> Crash:
    token = create_key(url)
    server = Server(url, directory / "server-1.log").start()
    attempts: list[list[Attempt]] = [[] for _ in range(CLIENTS)]
    try:
        publish(server, token, POLICY)
        threads = [
            threading.Thread(target=post_until_gone, args=(server.url, token, f"c{n}", attempts[n]))
            for n in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while sum(a.status is not None for one in attempts for a in one) < KILL_AFTER:
            assert time.monotonic() < deadline, "the clients were too slow to reach the kill"
            time.sleep(0.005)
        server.kill()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        server.kill()
    result = Crash([a for one in attempts for a in one])

    with (
        Server(url, directory / "server-2.log").start() as restarted,
        httpx.Client(
            base_url=restarted.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as http,
    ):
        for a in result.acked:
            assert a.answer is not None
            result.after[a.key] = http.get(f"/api/v1/leads/{a.answer['id']}")
        for a in result.cut:
            headers = {"Idempotency-Key": a.key}
            result.retried[a.key] = http.post("/api/v1/leads", json=lead(a.key), headers=headers)

    engine = create_engine(url)
    try:
        with engine.connect() as db:
            keys = select(LeadRow.idempotency_key, func.count()).group_by(LeadRow.idempotency_key)
            result.leads_per_key = {k: n for k, n in db.execute(keys)}
            per_lead = select(LeadRow.id, func.count(DecisionRow.id)).outerjoin(
                DecisionRow, DecisionRow.lead_id == LeadRow.id
            )
            result.decisions_per_lead = dict(db.execute(per_lead.group_by(LeadRow.id)).all())
            per_rep = select(DecisionRow.rep, func.count()).group_by(DecisionRow.rep)
            result.decisions_per_rep = dict(db.execute(per_rep).all())
            day_counts = select(RepStateRow.rep_id, RepStateRow.day_count)
            result.day_count_per_rep = dict(db.execute(day_counts).all())
    finally:
        engine.dispose()
    return result


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crashed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Crash:
    directory = tmp_path_factory.mktemp(f"durability-{request.param}")
    return crash(fresh_database(request.param, directory), directory)


def test_the_server_was_killed_while_requests_were_in_flight(crashed: Crash) -> None:
    assert len(crashed.acked) >= KILL_AFTER
    assert len(crashed.cut) >= 1  # else the kill proved nothing about requests in flight


def test_every_lead_acknowledged_before_the_kill_is_found_after_the_restart(
    crashed: Crash,
) -> None:
    found = {key: answer.status_code for key, answer in crashed.after.items()}
    assert found == {a.key: 200 for a in crashed.acked}


def test_every_acknowledged_lead_has_exactly_one_decision_and_the_owner_it_was_told(
    crashed: Crash,
) -> None:
    seen, told = {}, {}
    for a in crashed.acked:
        assert a.answer is not None
        detail = crashed.after[a.key].json()
        seen[a.key] = (detail["owner"], [d["id"] for d in detail["decisions"]])
        told[a.key] = (a.answer["owner"], [a.answer["decision_id"]])
    assert seen == told


def test_a_request_cut_by_the_kill_sent_again_with_its_key_gets_a_2xx(crashed: Crash) -> None:
    statuses = {key: answer.status_code for key, answer in crashed.retried.items()}
    assert set(statuses.values()) <= {200, 201}
    assert len(statuses) == len(crashed.cut)


def test_every_key_sent_is_stored_as_exactly_one_lead(crashed: Crash) -> None:
    sent = {a.key for a in crashed.attempts}
    assert crashed.leads_per_key == dict.fromkeys(sent, 1)


def test_every_stored_lead_has_exactly_one_decision(crashed: Crash) -> None:
    assert Counter(crashed.decisions_per_lead.values()) == {1: len(crashed.attempts)}


def test_the_rotation_is_exact_across_the_kill(crashed: Crash) -> None:
    total = len(crashed.attempts)
    even, extra = divmod(total, len(REPS))
    expected = sorted([even + 1] * extra + [even] * (len(REPS) - extra))
    assert sorted(crashed.decisions_per_rep.values()) == expected
    assert crashed.day_count_per_rep == crashed.decisions_per_rep
