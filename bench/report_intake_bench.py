"""Does reporting slow intake? Intake's latency at 200 leads/s, alone and with reports running.

    .venv/bin/python bench/report_intake_bench.py                   # SQLite and PostgreSQL
    .venv/bin/python bench/report_intake_bench.py --facts 20000 --only sqlite

For each database, one `leadflow serve` process (as `bench/service_bench.py` starts it) on a
fresh database holding `--facts` leads' report facts of the 90 days before today (generated as
`bench/report_bench.py` generates them, so that a report has history to count). Then, each
`--seconds` long, in this order:

1. intake alone: `POST /api/v1/leads` at `--rate` leads per second on a schedule (latency from
   when each was due, as `service_bench.fixed_rate` measures it);
2. the same rate while a manager's client asks `GET /api/v1/reports/summary` for the last 30
   days grouped by source back to back (each report first brings the new leads' facts up to
   date, as a live report does);
3. intake alone again: the drift of the machine in the same run.

`--report-processes 0` runs the reports in the server's own process, as before they had one of
their own: the comparison of the two is what the separate process buys.

It prints p50, p99 and max of intake in each, the p99's change with reports against the mean
of the two runs alone, and the reports answered (median time). The goal (issue 12): the p99
moves by less than 10 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import report_bench  # noqa: E402  (the facts generator)
import service_bench  # noqa: E402  (the server, the poster and the paced load)
from leadflow.reports.engine import insert_facts  # noqa: E402

GOAL_MS = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facts", type=int, default=100_000, help="leads of history (100,000)")
    parser.add_argument("--rate", type=float, default=200.0, help="intake, leads/s (200)")
    parser.add_argument("--seconds", type=float, default=15.0, help="each phase (15)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument(
        "--report-processes",
        type=int,
        default=1,
        help="the server's report processes (1, as `leadflow serve`; 0: reports in the server)",
    )
    parser.add_argument("--postgres-url", default=service_bench.POSTGRES_URL)
    args = parser.parse_args()
    print(
        f"intake at {args.rate:g} leads/s for {args.seconds:g} s per phase, over"
        f" {args.facts:,} leads of history; one uvicorn process,"
        f" {args.report_processes} report process(es)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        kinds = [k for k in ("sqlite", "postgresql") if args.only in (None, k)]
        for kind in kinds:
            if kind == "sqlite":
                url = service_bench.sqlite_url(directory)
            else:
                url = service_bench.postgres_url(args.postgres_url)(directory)
            run(kind, url, args, directory)


def run(kind: str, url: str, args: argparse.Namespace, directory: Path) -> None:
    service_bench.serverproc.leadflow(url, "db", "upgrade")
    _history(url, args.facts)
    token = service_bench.serverproc.create_key(url)
    env = {"LEADFLOW_REPORT_PROCESSES": str(args.report_processes)}
    server = service_bench.serverproc.Server(url, directory / f"{kind}.log", env=env).start()
    try:
        service_bench.serverproc.publish(server, token, service_bench.POLICY)
        prefix = uuid.uuid4().hex[:8]
        connections = service_bench.PACED_CONNECTIONS
        poster = service_bench.Poster(server.url, token, prefix, connections)
        service_bench.closed_loop(poster, 8, 2.0, 300)  # warm up
        first = 1000
        alone = service_bench.fixed_rate(poster, args.rate, args.seconds, first)
        first += 100_000
        # The manager's client is a process of its own: in this one, reading its answers
        # would hold this process's interpreter lock and delay the intake clients' clocks.
        context = multiprocessing.get_context("spawn")
        stop, answers = context.Event(), context.Queue()
        reporter = context.Process(target=_reports, args=(server.url, token, stop, answers))
        reporter.start()
        busy = service_bench.fixed_rate(poster, args.rate, args.seconds, first)
        stop.set()
        took: list[float] = answers.get(timeout=300)
        reporter.join()
        first += 100_000
        again = service_bench.fixed_rate(poster, args.rate, args.seconds, first)
        poster.close()
    finally:
        server.stop()
    print(f"\n{kind}:")
    for label, phase in (("alone", alone), ("with reports", busy), ("alone again", again)):
        print(
            f"  intake {label:13} {phase.rate:6.0f}/s  p50 {phase.percentile(50):6.1f} ms"
            f"  p99 {phase.percentile(99):6.1f} ms  max {phase.percentile(100):7.1f} ms"
            f"  failed {phase.failures}"
        )
    quiet = (alone.percentile(99) + again.percentile(99)) / 2
    moved = busy.percentile(99) - quiet
    verdict = "met" if moved < GOAL_MS else "NOT met"
    median = f"{statistics.median(took):.0f} ms" if took else "none finished"
    print(f"  reports answered during the load: {len(took)}, median {median}")
    print(f"  p99 moved by {moved:+.1f} ms (goal < {GOAL_MS:g} ms: {verdict})")


def _history(url: str, leads: int) -> None:
    """`leads` leads' facts over the 90 days before today (only the facts: what reports read)."""
    engine = create_engine(url)
    shift = datetime.combine(date.today() - timedelta(days=91), datetime.min.time(), UTC) - (
        datetime.combine(report_bench.START, datetime.min.time(), UTC)
    )
    batch = []
    with engine.begin() as connection:
        for facts in report_bench.generate(leads, seed=7):
            facts.received_epoch += int(shift.total_seconds())
            batch.append(facts)
            if len(batch) == 5000:
                insert_facts(connection, batch)
                batch = []
        insert_facts(connection, batch)
    engine.dispose()


def _reports(url: str, token: str, stop: Any, answers: Any) -> None:
    """A manager's client: the last 30 days' summary by source, again and again, until
    `stop`; then the times it took, in milliseconds, into `answers`."""
    took: list[float] = []
    today = date.today()
    params = {
        "from": (today - timedelta(days=29)).isoformat(),
        "to": today.isoformat(),
        "tz": "America/New_York",
        "group_by": "source",
    }
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        while not stop.is_set():
            started = time.perf_counter()
            answer = client.get("/api/v1/reports/summary", params=params)
            answer.raise_for_status()
            took.append((time.perf_counter() - started) * 1000)
    answers.put(took)


if __name__ == "__main__":
    sys.exit(main())
