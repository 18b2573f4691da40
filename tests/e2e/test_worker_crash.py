"""Kills `leadflow worker` with SIGKILL in the middle of a batch of due rows, starts another,
and finds every action done once and every message delivered, each with its own delivery id.

200 leads are assigned with an SLA of one second and no worker running: 200 `lead.assigned`
messages and 200 deadlines are due at once. Each deadline reassigns its lead to the other rep
under a new one-second clock, whose breach, with nobody else left, escalates to the manager.
A worker takes rows in batches of 50 and is killed the moment it is seen holding claimed,
unfinished rows of both kinds. The next worker finds what the dead one held after its
lease (2 s). The scenario runs once per database (a module fixture); each test checks one
fact of it.

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
  - {name: fast, first_touch: 1s, on_breach: [reassign, notify_manager], max_reassignments: 1}
channels:
  crm: {type: webhook, url: "${CRM_HOOK_URL}", secret: s3cret}
notify:
  - {events: [lead.assigned, lead.reassigned], to: owner, via: crm}
  - {events: [sla.breached], to: manager, via: crm}
rules:
  - {name: everyone, route: team}
fallback: team
"""


@dataclass
class Crash:
    killed_after: int  # messages the receiver had seen at the kill
    held_at_kill: dict[str, int]  # kind -> pending rows the killed worker had claimed
    seen: Counter[str]  # delivery id -> times received
    states: dict[str, int]  # job state -> rows, at the end
    stored_ids: set[str]  # every delivery id in the database
    events_per_lead: dict[str, Counter[str]]  # sla event -> lead -> times
    breached_leads: int
    log: str


def worker(url: str, hook: str, log: Path, name: str) -> subprocess.Popen[bytes]:
    env = environment(
        url,
        CRM_HOOK_URL=hook,
        LEADFLOW_WORKER_BATCH="50",
        LEADFLOW_WORKER_LEASE_SECONDS="2",
        LEADFLOW_WORKER_POLL_SECONDS="0.05",
    )
    command = [sys.executable, "-m", "leadflow.cli", "worker", "--senders", str(SENDERS)]
    command += ["--name", name]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(what: object, timeout: float = 60.0, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not what():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)


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
            first = worker(url, f"{hooks.url}/hook", log, "first")
            try:  # kill it while it holds claimed deadlines and messages, not yet finished
                wait_for(lambda: len(held_by(svc, "first")) == 2, timeout=60, every=0.002)
            finally:
                first.kill()
                first.wait(30)
            killed_after = len(hooks.requests)
            held = held_by(svc, "first")
            second = worker(url, f"{hooks.url}/hook", log, "second")
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
                events: dict[str, Counter[str]] = {}
                kinds = ("sla.breached", "sla.reassigned", "sla.escalated")
                query = select(LeadEventRow.type, LeadEventRow.lead_id)
                for type_, lead_id in session.execute(query.where(LeadEventRow.type.in_(kinds))):
                    events.setdefault(type_, Counter())[lead_id] += 1
                breached = session.scalar(
                    select(func.count())
                    .select_from(LeadRow)
                    .where(LeadRow.sla_status == "breached")
                )
            return Crash(
                killed_after,
                held,
                hooks.deliveries(),
                states,
                {d for d in stored if d},
                events,
                breached or 0,
                log.read_text(errors="replace"),
            )
    finally:
        svc.store.close()


def held_by(svc: Services, name: str) -> dict[str, int]:
    """Rows a worker claimed and has not finished, by kind."""
    with svc.store.reading() as session:
        query = (
            select(JobRow.kind, func.count())
            .where(JobRow.worker == name, JobRow.state == "pending")
            .group_by(JobRow.kind)
        )
        return dict(session.execute(query).all())  # type: ignore[arg-type]


def pending(svc: Services) -> int:
    with svc.store.reading() as session:
        query = select(func.count()).select_from(JobRow).where(JobRow.state == "pending")
        return session.scalar(query) or 0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def crashed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Crash:
    return crash(request.param, tmp_path_factory.mktemp(f"worker-crash-{request.param}"))


def test_the_worker_was_killed_holding_claimed_deadlines_and_messages(crashed: Crash) -> None:
    assert crashed.held_at_kill.get("sla", 0) > 0
    assert crashed.held_at_kill.get("deliver", 0) > 0


def test_nothing_is_left_pending_or_dead_after_the_restart(crashed: Crash) -> None:
    assert set(crashed.states) <= {"done", "skipped"}


def test_every_lead_was_breached_twice_reassigned_once_and_escalated_once(crashed: Crash) -> None:
    per_lead = crashed.events_per_lead
    assert crashed.breached_leads == LEADS
    assert len(per_lead["sla.breached"]) == LEADS
    assert set(per_lead["sla.breached"].values()) == {2}
    assert set(per_lead["sla.reassigned"].values()) == {1}
    assert set(per_lead["sla.escalated"].values()) == {1}


def test_every_message_reached_the_receiver(crashed: Crash) -> None:
    # a lead: assigned, breached (to the manager), reassigned, breached and escalated
    assert len(crashed.stored_ids) == 4 * LEADS
    assert set(crashed.seen) == crashed.stored_ids


def test_a_message_seen_twice_was_in_flight_at_the_kill_and_kept_its_id(crashed: Crash) -> None:
    again = [d for d, n in crashed.seen.items() if n > 1]
    assert len(again) <= SENDERS, again
    assert all(crashed.seen[d] == 2 for d in again)
