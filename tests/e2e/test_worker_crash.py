"""Kills `leadflow worker` with SIGKILL in the middle of a batch of due rows, starts another,
and finds every action done once and every message delivered, each with its own delivery id.

200 leads are assigned with an SLA of one second and no worker running: 200 `lead.assigned`
messages and 200 deadlines are due at once. A worker takes them in batches of 50 and is
killed once the receiver has seen 60 messages, with deadlines and messages under way. The
next worker finds what the dead one held after its lease (2 s). The scenario runs once per
database (a module fixture); each test checks one fact of it.

What the kill may repeat, and what it may not: an SLA step is marked done in the transaction
that acts on it, so it acts once however often it is claimed. A message is sent, then marked
sent: one that the receiver took in the instant between the two is sent again after the
lease, with the same delivery id, which is what the id is for. So the only ids a receiver
may see twice are those in flight at the kill: at most one per sender (4 here).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from receivers import HookServer
from serverproc import environment, fresh_database
from sqlalchemy import func, select

from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM, Actor, NewLead, intake
from leadflow.settings import Settings
from leadflow.store.tables import JobRow, LeadEventRow, LeadRow

LEADS = 200
SENDERS = 4
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann, email: ann@example.com, manager: max}
  - {id: ben, name: Ben, email: ben@example.com, manager: max}
  - {id: max, name: Max, email: max@example.com, active: false}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
sla:
  - {name: fast, first_touch: 1s, on_breach: [notify_manager]}
channels:
  crm: {type: webhook, url: "${CRM_HOOK_URL}", secret: s3cret}
notify:
  - {events: [lead.assigned], to: owner, via: crm}
  - {events: [sla.breached], to: manager, via: crm}
rules:
  - {name: everyone, route: team}
fallback: team
"""


@dataclass
class Crash:
    killed_after: int  # messages the receiver had seen at the kill
    seen: Counter[str]  # delivery id -> times received
    states: dict[str, int]  # job state -> rows, at the end
    stored_ids: set[str]  # every delivery id in the database
    breaches_per_lead: Counter[str]
    breached_leads: int
    log: str


def worker(url: str, hook: str, log: Path) -> subprocess.Popen[bytes]:
    env = environment(
        url,
        CRM_HOOK_URL=hook,
        LEADFLOW_WORKER_BATCH="50",
        LEADFLOW_WORKER_LEASE_SECONDS="2",
        LEADFLOW_WORKER_POLL_SECONDS="0.05",
    )
    command = [sys.executable, "-m", "leadflow.cli", "worker", "--senders", str(SENDERS)]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(what: object, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def crash(kind: str, directory: Path) -> Crash:
    url = fresh_database(kind, directory)
    svc = Services.build(Settings(database_url=url))
    log = directory / "worker.log"
    try:
        publish_policy(svc, POLICY, SYSTEM)
        form = Actor("form", "intake")
        for i in range(LEADS):
            fields = {"email": f"p{i}@prospect.example"}
            intake(svc, NewLead(fields=fields, payload=fields), form)
        time.sleep(1.1)  # every deadline is due
        with HookServer() as hooks:
            hooks.delay = 0.01
            first = worker(url, f"{hooks.url}/hook", log)
            try:
                wait_for(lambda: len(hooks.requests) >= 60)
            finally:
                first.kill()
                first.wait(30)
            killed_after = len(hooks.requests)
            second = worker(url, f"{hooks.url}/hook", log)
            try:
                wait_for(lambda: pending(svc) == 0)
            finally:
                second.terminate()
                second.wait(30)
            with svc.store.reading() as session:
                states = dict(
                    session.execute(select(JobRow.state, func.count()).group_by(JobRow.state)).all()
                )
                stored = set(
                    session.scalars(select(JobRow.delivery_id).where(JobRow.kind == "deliver"))
                )
                breaches = Counter(
                    session.scalars(
                        select(LeadEventRow.lead_id).where(LeadEventRow.type == "sla.breached")
                    )
                )
                breached = session.scalar(
                    select(func.count())
                    .select_from(LeadRow)
                    .where(LeadRow.sla_status == "breached")
                )
            return Crash(
                killed_after,
                hooks.deliveries(),
                states,
                {d for d in stored if d},
                breaches,
                breached or 0,
                log.read_text(errors="replace"),
            )
    finally:
        svc.store.close()


def pending(svc: Services) -> int:
    with svc.store.reading() as session:
        query = select(func.count()).select_from(JobRow).where(JobRow.state == "pending")
        return session.scalar(query) or 0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crashed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Crash:
    return crash(request.param, tmp_path_factory.mktemp(f"worker-crash-{request.param}"))


def test_the_worker_was_killed_with_work_left_to_do(crashed: Crash) -> None:
    assert 60 <= crashed.killed_after < 2 * LEADS


def test_every_row_is_done_after_the_restart(crashed: Crash) -> None:
    assert crashed.states == {"done": 3 * LEADS}  # a message and a deadline a lead, and a breach


def test_every_deadline_acted_exactly_once(crashed: Crash) -> None:
    assert crashed.breached_leads == LEADS
    assert set(crashed.breaches_per_lead.values()) == {1}
    assert len(crashed.breaches_per_lead) == LEADS


def test_every_message_reached_the_receiver(crashed: Crash) -> None:
    assert set(crashed.seen) == crashed.stored_ids
    assert len(crashed.stored_ids) == 2 * LEADS


def test_a_message_seen_twice_was_in_flight_at_the_kill_and_kept_its_id(crashed: Crash) -> None:
    again = [d for d, n in crashed.seen.items() if n > 1]
    assert len(again) <= SENDERS, again
    assert all(crashed.seen[d] == 2 for d in again)
