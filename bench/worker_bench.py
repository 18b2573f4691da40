"""How fast workers act on due SLA deadlines, and how late: 100,000 pending on PostgreSQL.

    .venv/bin/python bench/worker_bench.py                  # every run below (~15 minutes)
    .venv/bin/python bench/worker_bench.py --deadlines 20000 --workers 1 --rates 200

Each run starts from a fresh database (`leadflow_bench`, created and emptied here) holding
`--deadlines` assigned leads, each with a running SLA clock whose deadline row is pending, and
starts `leadflow worker` processes against it. Every deadline does what a real breach does
under the benchmark's policy: the lead is breached, reassigned to the next rep of its pool
(a routing decision, its record, the rotation and counters) and a new clock starts; with
messages, two are queued (the breach to the manager, the reassignment to the new owner), and
the same workers send them to a local HTTP receiver.

- throughput: every deadline is already due when the workers start, and they run for
  `--run-seconds`; actions a second is the count done over the span from the first
  `finished_at` to the last. With messages and without, for 1 and 2 workers.
- lateness: for each of `--rates`, that many deadlines a second fall due over `--seconds`
  while the rest stay pending hours ahead; lateness is `finished_at - due_at` of each (the
  step's own finish, inside its batch's transaction): median, p99 and max.

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
MESSAGES = """channels:
  ops: {type: webhook, url: "${BENCH_HOOK_URL}", secret: bench}
notify:
  - {events: [sla.breached], to: manager, via: ops}
  - {events: [lead.reassigned], to: owner, via: ops}"""
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
{{messages}}
rules:
  - {{name: everyone, route: team}}
fallback: team
"""


def seed(url: str, count: int, due: list[datetime], messages: bool) -> None:
    """`count` assigned leads with a running clock, and each one's deadline row."""
    svc = Services.build(Settings(database_url=url))
    upgrade(svc.store.engine)
    publish_policy(svc, POLICY.replace("{messages}", MESSAGES if messages else ""), SYSTEM)
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


def start_workers(
    url: str, n: int, hook: str, log: Path, split: bool = False
) -> list[subprocess.Popen[bytes]]:
    """`n` workers; `split`: n of each kind (`--only sla`, `--only messages`) instead."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADFLOW_")}
    env |= {
        "LEADFLOW_DATABASE_URL": url,
        "LEADFLOW_WORKER_POLL_SECONDS": "0.05",
        "LEADFLOW_LOG_LEVEL": "warning",
        "BENCH_HOOK_URL": hook,
    }
    command = [sys.executable, "-m", "leadflow.cli", "worker"]
    kinds = [["--only", "sla"], ["--only", "messages"]] if split else [[]]
    with log.open("ab") as out:
        return [
            subprocess.Popen(
                [*command, "--name", f"bench-{i}-{j}", *kind], env=env, stdout=out, stderr=out
            )
            for i in range(n)
            for j, kind in enumerate(kinds)
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


def throughput(
    url: str,
    count: int,
    n: int,
    seconds: float,
    messages: bool,
    hook: str,
    log: Path,
    split: bool = False,
) -> dict[str, Any]:
    """Every deadline due at once; the workers run for `seconds`: actions a second."""
    now = datetime.now(UTC)
    seed(url, count, [now - timedelta(seconds=1) for _ in range(count)], messages)
    workers = start_workers(url, n, hook, log, split)
    try:
        time.sleep(seconds)
    finally:
        stop(workers)
    done = finished(url)
    span = (max(f for _, f in done) - min(f for _, f in done)).total_seconds()
    sent, queued = messages_sent(url)
    return {
        "actions": len(done),
        "span_s": span,
        "rate": len(done) / span,
        "sent": sent,
        "queued": queued,
    }


def messages_sent(url: str) -> tuple[int, int]:
    """Messages sent, and messages queued in all, so far."""
    svc = Services.build(Settings(database_url=url))
    with svc.store.reading() as session:
        query = select(JobRow.state, func.count()).where(JobRow.kind == jobs.DELIVER)
        counts = dict(session.execute(query.group_by(JobRow.state)).all())
    svc.store.close()
    return counts.get(jobs.DONE, 0), sum(counts.values())


def lateness(
    url: str,
    count: int,
    n: int,
    rate: float,
    seconds: float,
    hook: str,
    log: Path,
    messages: bool = True,
) -> dict[str, Any]:
    """`rate` deadlines a second fall due for `seconds`, among `count` pending: how late."""
    timed = int(rate * seconds)
    lead_in = 5.0  # seconds for the workers to start before the first deadline
    t0 = datetime.now(UTC) + timedelta(seconds=60)  # the seeding takes a while; set after it
    due = [t0 + timedelta(seconds=i / rate) for i in range(timed)]
    due += [t0 + timedelta(hours=2, seconds=i / rate) for i in range(count - timed)]
    seed(url, count, due, messages)
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
    parser.add_argument("--deadlines", type=int, default=100_000, help="pending in each run")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--run-seconds", type=float, default=60.0, help="of each throughput run")
    parser.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=[1000.0, 200.0],
        help="deadlines due a second, in the lateness runs",
    )
    parser.add_argument("--seconds", type=float, default=20.0, help="of deadlines falling due")
    parser.add_argument(
        "--messages",
        choices=["both", "yes", "no"],
        default="both",
        help="throughput runs with messages, without, or both",
    )
    parser.add_argument("--no-lateness", dest="lateness", action="store_false")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"{machine}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    fresh = postgres_url(args.postgres_url)
    directory = Path(tempfile.mkdtemp(prefix="leadflow-worker-bench-"))
    log = directory / "workers.log"
    with HookServer() as hooks:
        hook = f"{hooks.url}/hook"
        runs = {
            "both": [(True, False), (True, True), (False, False)],
            "yes": [(True, False), (True, True)],
            "no": [(False, False)],
        }[args.messages]
        for messages, split in runs:
            for n in args.workers:
                got = throughput(
                    fresh(directory),
                    args.deadlines,
                    n,
                    args.run_seconds,
                    messages,
                    hook,
                    log,
                    split,
                )
                what = "breach + reassign + 2 messages" if messages else "breach + reassign"
                if split:
                    what += ", each worker one sla and one messages process"
                sent = (
                    f"; messages sent {got['sent']:,} of {got['queued']:,} queued "
                    f"({got['sent'] / args.run_seconds:,.0f}/s)"
                    if messages
                    else ""
                )
                print(
                    f"throughput, {what}, {n} worker(s), {args.deadlines:,} pending: "
                    f"{got['actions']:,} acted on in {got['span_s']:.1f} s = "
                    f"{got['rate']:,.0f} actions/s (goal {GOAL_RATE:,.0f}){sent}",
                    flush=True,
                )
        for rate in args.rates if args.lateness else ():
            for n in args.workers:
                with_messages = args.messages != "no"
                got = lateness(
                    fresh(directory),
                    args.deadlines,
                    n,
                    rate,
                    args.seconds,
                    hook,
                    log,
                    with_messages,
                )
                kind = "with messages" if with_messages else "without messages"
                print(
                    f"lateness {kind}, {n} worker(s), {rate:,.0f} due/s for {args.seconds:.0f} s, "
                    f"{args.deadlines:,} pending: {got['actions']:,} acted on; late by median "
                    f"{got['median_s'] * 1000:,.0f} ms, p99 {got['p99_s'] * 1000:,.0f} ms, "
                    f"max {got['max_s'] * 1000:,.0f} ms (goal: within {GOAL_LATE:.0f} s)",
                    flush=True,
                )
        print(f"messages received by the local endpoint: {len(hooks.requests):,}")
    print(f"worker logs: {log}")


if __name__ == "__main__":
    main()
