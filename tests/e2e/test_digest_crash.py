"""Kills `leadflow worker` with SIGKILL while it counts a manager's weekly digest, starts
another, and finds the digest emailed once, through a real SMTP server (aiosmtpd).

The digest is due now: its policy sends it today at 00:00 (UTC), and its row is the one the
scheduler made a week ago (the same id, made from the manager and the week). 1,000 leads of
yesterday make its count take a while: the first worker is killed the moment it is seen
holding the claimed row, before it could mark it done. The next worker
takes the row after its lease (2 s) and queues the email once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from receivers import MailBox
from serverproc import environment, fresh_database
from sqlalchemy import func, insert, select

from databases import FixedClock
from leadflow.core.digest import WEEKDAYS, covers
from leadflow.service.context import Services
from leadflow.service.digest import EVENT, key
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM, Actor, NewLead, intake
from leadflow.settings import Settings
from leadflow.store.jobs import DIGEST, new_job
from leadflow.store.tables import JobRow

LEADS = 1000
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann, email: ann@example.com, manager: max}
  - {id: max, name: Max Major, email: max@example.com, active: false}
pools:
  team: {strategy: round_robin, members: [ann]}
channels:
  mail: {type: email}
reports:
  digest: {at: "DAY 00:00"}
rules:
  - {name: everyone, route: team}
fallback: team
"""


def worker(url: str, smtp_port: int, log: Path, name: str) -> subprocess.Popen[bytes]:
    env = environment(
        url,
        LEADFLOW_SMTP_HOST="127.0.0.1",
        LEADFLOW_SMTP_PORT=str(smtp_port),
        LEADFLOW_WORKER_LEASE_SECONDS="2",
        LEADFLOW_WORKER_POLL_SECONDS="0.05",
    )
    command = [sys.executable, "-m", "leadflow.cli", "worker", "--name", name]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def wait_for(what: Callable[[], bool], timeout: float = 60.0, every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)


def digest_row(svc: Services) -> JobRow:
    with svc.store.reading() as session:
        row = session.scalar(
            select(JobRow)
            .where(JobRow.kind == DIGEST, JobRow.data["manager"].as_string() == "max")
            .order_by(JobRow.due_at)
        )
        assert row is not None
        return row


def digest_messages(svc: Services) -> int:
    with svc.store.reading() as session:
        query = select(func.count()).select_from(JobRow)
        found = session.scalar(query.where(JobRow.data["event"].as_string() == EVENT))
        return found or 0


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_worker_killed_while_counting_a_digest_is_taken_over_and_the_digest_sent_once(
    kind: str, tmp_path: Path
) -> None:
    url = fresh_database(kind, tmp_path)
    now = datetime.now(UTC)
    svc = Services.build(Settings(database_url=url), clock=FixedClock(now - timedelta(days=1)))
    log = tmp_path / "worker.log"
    try:
        publish_policy(svc, POLICY.replace("DAY", WEEKDAYS[now.weekday()]), SYSTEM)
        form = Actor("form", "intake")
        for i in range(LEADS):
            fields = {"email": f"p{i}@prospect.example"}
            intake(svc, NewLead(fields=fields, payload=fields), form)
        start, end = covers(now, "UTC")
        data = {"manager": "max", "from": str(start), "to": str(end), "zone": "UTC"}
        row = new_job(DIGEST, now, now, data | {"at": "today"}, key=key("max", start))
        with svc.store.writing() as session:
            session.execute(insert(JobRow), [row])
        with MailBox() as box:
            first = worker(url, box.port, log, "first")
            try:  # kill it while it holds the digest's row, not yet done
                wait_for(lambda: digest_row(svc).worker == "first", timeout=60, every=0.002)
            finally:
                first.kill()
                first.wait(30)
            held = digest_row(svc)
            assert (held.state, held.worker) == ("pending", "first"), log.read_text()
            assert digest_messages(svc) == 0  # it died before queuing anything
            second = worker(url, box.port, log, "second")
            try:
                wait_for(lambda: box.to("max@example.com").count(EVENT) >= 1)
                time.sleep(1.0)  # time enough for a second copy, were one to come
            finally:
                second.terminate()
                second.wait(30)
            assert box.to("max@example.com").count(EVENT) == 1
            done = digest_row(svc)
            assert (done.state, done.worker, done.attempts) == ("done", "second", 2)
            assert digest_messages(svc) == 1
    finally:
        svc.store.close()
