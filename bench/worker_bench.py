"""How fast workers act on due SLA deadlines, and how late: 100,000 pending on PostgreSQL.

    .venv/bin/python bench/worker_bench.py                  # 1 and 2 workers, both runs
    .venv/bin/python bench/worker_bench.py --deadlines 20000 --workers 1

Each run starts from a fresh database (`leadflow_bench`, created and emptied here) holding
`--deadlines` assigned leads, each with a running SLA clock whose deadline row is pending, and
starts `leadflow worker` processes against it. Every deadline does what a real breach does
under the benchmark's policy: the lead is breached, reassigned to the next rep of its pool
(a routing decision, its record, the rotation and counters), a new clock starts, and two
messages are queued (the breach to the manager, the reassignment to the new owner), which the
same workers send to a local HTTP receiver.

- throughput: every deadline is already due when the workers start; actions per second is
  the count over the span between the first and the last `finished_at`;
- lateness: `--rate` deadlines a second fall due over `--seconds`, the rest stay pending
  hours ahead; lateness is `finished_at - due_at` of each (the step's own finish, inside its
  batch's transaction), median, p99 and max.

Client, workers and PostgreSQL share this machine's cores.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))
sys.path.insert(0, str(BENCH.parent / "tests" / "e2e"))
from receivers import HookServer  # noqa: E402  (the tests' HTTP receiver)

from leadflow.service.context import Services  # noqa: E402
from leadflow.service.policies import publish_policy  # noqa: E402
from leadflow.service.routing import SYSTEM  # noqa: E402
from leadflow.settings import Settings  # noqa: E402
from leadflow.store import jobs  # noqa: E402
from leadflow.store.migrate import upgrade  # noqa: E402
from leadflow.store.tables import JobRow, LeadRow  # noqa: E402
from service_bench import postgres_url  # noqa: E402  (creates and empties leadflow_bench)

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/leadflow_bench"
GOAL_RATE = 1000.0  # actions a second
GOAL_LATE = 1.0  # seconds
REPS = [f"rep{i:02d}" for i in range(1, 21)]
POLICY = f"""
version: 1
timezone: UTC
reps:
{chr(10).join(f"  - {{id: {r}, name: {r}, email: {r}@example.com, manager: boss}}" for r in REPS)}
  - {{id: boss, name: Boss, email: boss@example.com, active: false}}
pools:
  team: {{strategy: round_robin, members: [{", ".join(REPS)}]}}
sla:
  - {{name: hot, first_touch: 1h, on_breach: [reassign, notify_manager], max_reassignments: 3}}
channels:
  ops: {{type: webhook, url: "${{BENCH_HOOK_URL}}", secret: bench}}
notify:
  - {{events: [sla.breached], to: manager, via: ops}}
  - {{events: [lead.reassigned], to: owner, via: ops}}
rules:
  - {{name: everyone, route: team}}
fallback: team
"""


def seed(url: str, count: int, due: list[datetime]) -> None:
    """`count` assigned leads with a running clock, and each one's deadline row."""
    svc = Services.build(Settings(database_url=url))
    upgrade(svc.store.engine)
    publish_policy(svc, POLICY, SYSTEM)
    now = datetime.now(UTC)
    leads, steps = [], []
    for i in range(count):
        lead_id = str(uuid.uuid4())
        leads.append(
            {
                "id": lead_id,
                "received_at": now,
                "payload": {},
                "fields": {"email": f"p{i}@example.com"},
                "status": "assigned",
                "owner": REPS[i % len(REPS)],
                "pool": "team",
                "rule": "everyone",
                "previous_owners": [],
                "updated_at": now,
                "sla_tier": "hot",
                "sla_status": "pending",
                "sla_clock": 1,
                "sla_started_at": now,
                "sla_due_at": due[i],
                "sla_reminded": 0,
                "sla_reassignments": 0,
                "first_assigned_at": now,
            }
        )
        data = {"clock": 1, "step": "deadline", "reminders": [], "due": due[i].timestamp()}
        steps.append(jobs.new_job(jobs.SLA, due[i], now, data, lead_id=lead_id))
    with svc.store.writing() as session:
        for start in range(0, count, 5000):
            session.execute(insert(LeadRow), leads[start : start + 5000])
            session.execute(insert(JobRow), steps[start : start + 5000])
    svc.store.close()


def start_workers(url: str, n: int, hook: str, log: Path) -> list[subprocess.Popen[bytes]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env |= {
        "LEADFLOW_DATABASE_URL": url,
        "LEADFLOW_WORKER_POLL_SECONDS": "0.05",
        "LEADFLOW_LOG_LEVEL": "warning",
        "BENCH_HOOK_URL": hook,
    }
    command = [sys.executable, "-m", "leadflow.cli", "worker"]
    with log.open("ab") as out:
        return [
            subprocess.Popen([*command, "--name", f"bench-{i}"], env=env, stdout=out, stderr=out)
            for i in range(n)
        ]


def finished(url: str, until: datetime | None = None) -> list[tuple[datetime, datetime]]:
    """(due_at, finished_at) of the deadline rows done so far (due by `until`)."""
    svc = Services.build(Settings(database_url=url))
    query = select(JobRow.due_at, JobRow.finished_at).where(
        JobRow.kind == jobs.SLA,
        JobRow.state != jobs.PENDING,
        JobRow.data["step"].as_string() == "deadline",
    )
    if until is not None:
        query = query.where(JobRow.due_at <= until)
    with svc.store.reading() as session:
        rows = [(d, f) for d, f in session.execute(query) if f is not None]
    svc.store.close()
    return rows


def due_count(url: str, until: datetime) -> int:
    svc = Services.build(Settings(database_url=url))
    with svc.store.reading() as session:
        query = (
            select(func.count())
            .select_from(JobRow)
            .where(JobRow.kind == jobs.SLA, JobRow.state == jobs.PENDING, JobRow.due_at <= until)
        )
        left = session.scalar(query) or 0
    svc.store.close()
    return left


def stop(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        w.terminate()
    for w in workers:
        w.wait(30)


def throughput(url: str, count: int, n: int, hook: str, log: Path) -> dict[str, Any]:
    now = datetime.now(UTC)
    seed(url, count, [now - timedelta(seconds=1) for _ in range(count)])
    started = time.monotonic()
    workers = start_workers(url, n, hook, log)
    try:
        while due_count(url, datetime.now(UTC)) > 0:
            time.sleep(0.5)
    finally:
        stop(workers)
    wall = time.monotonic() - started
    done = finished(url)
    span = (max(f for _, f in done) - min(f for _, f in done)).total_seconds()
    return {"actions": len(done), "span_s": span, "rate": len(done) / span, "wall_s": wall}


def lateness(
    url: str, count: int, n: int, rate: float, seconds: float, hook: str, log: Path
) -> dict[str, Any]:
    timed = int(rate * seconds)
    lead_in = 5.0  # seconds for the workers to start before the first deadline
    t0 = datetime.now(UTC) + timedelta(seconds=60)  # the seeding takes a while; set after it
    due = [t0 + timedelta(seconds=i / rate) for i in range(timed)]
    due += [t0 + timedelta(hours=2, seconds=i / rate) for i in range(count - timed)]
    seed(url, count, due)
    shift = (datetime.now(UTC) + timedelta(seconds=lead_in)) - t0  # move the schedule to now
    _shift_schedule(url, shift)
    t0 += shift
    workers = start_workers(url, n, hook, log)
    try:
        end = t0 + timedelta(seconds=seconds)
        while datetime.now(UTC) < end or due_count(url, end) > 0:
            time.sleep(0.5)
    finally:
        stop(workers)
    late = sorted(
        (f - d).total_seconds() for d, f in finished(url, t0 + timedelta(seconds=seconds))
    )
    return {
        "actions": len(late),
        "median_s": statistics.median(late),
        "p99_s": late[int(0.99 * (len(late) - 1))],
        "max_s": late[-1],
    }


def _shift_schedule(url: str, shift: timedelta) -> None:
    """Move every deadline by `shift` (seeding 100,000 rows takes longer than a lead-in)."""
    svc = Services.build(Settings(database_url=url))
    seconds = shift.total_seconds()
    with svc.store.writing() as session:
        session.connection().exec_driver_sql(
            f"UPDATE jobs SET due_at = due_at + interval '{seconds} seconds'"
        )
        session.connection().exec_driver_sql(
            f"UPDATE leads SET sla_due_at = sla_due_at + interval '{seconds} seconds'"
        )
    svc.store.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--deadlines", type=int, default=100_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rate", type=float, default=1000.0, help="deadlines due a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="of deadlines falling due")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"{machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    fresh = postgres_url(args.postgres_url)
    directory = Path(tempfile.mkdtemp(prefix="leadflow-worker-bench-"))
    log = directory / "workers.log"
    with HookServer() as hooks:
        hook = f"{hooks.url}/hook"
        for n in args.workers:
            got = throughput(fresh(directory), args.deadlines, n, hook, log)
            print(
                f"throughput, {n} worker(s): {got['actions']:,} deadlines acted on in "
                f"{got['span_s']:.1f} s = {got['rate']:,.0f} actions/s "
                f"(goal {GOAL_RATE:,.0f}; wall with start-up {got['wall_s']:.1f} s)",
                flush=True,
            )
        for n in args.workers:
            got = lateness(fresh(directory), args.deadlines, n, args.rate, args.seconds, hook, log)
            print(
                f"lateness, {n} worker(s), {args.rate:,.0f} due/s for {args.seconds:.0f} s with "
                f"{args.deadlines:,} pending: {got['actions']:,} acted on; late by median "
                f"{got['median_s'] * 1000:.0f} ms, p99 {got['p99_s'] * 1000:.0f} ms, "
                f"max {got['max_s'] * 1000:.0f} ms (goal p99 < {GOAL_LATE:.0f} s)",
                flush=True,
            )
        print(f"messages received by the local endpoint: {len(hooks.requests):,}")
    print(f"worker logs: {log}")


if __name__ == "__main__":
    main()
