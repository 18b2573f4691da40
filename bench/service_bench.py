"""How fast the live service takes leads in: `POST /api/v1/leads` against a real server.

    .venv/bin/python bench/service_bench.py                 # SQLite, PostgreSQL, the bare stack
    .venv/bin/python bench/service_bench.py --seconds 5 --no-postgres

In one run, for each target, a server process is started (`leadflow serve` on 127.0.0.1 and a
free port, on a fresh database) and driven from this process by concurrent httpx clients:

- closed loop: `--clients` threads each post leads back to back for `--seconds` (at most
  `--max-leads`): leads per second, and the p50/p99 latency of a request;
- fixed rate: `--rate` leads per second for `--rate-seconds`, sent on a schedule whatever the
  answers do (open loop); latency counts from the moment a request was due, so a server that
  falls behind shows it.

The targets: leadflow on SQLite (the default `synchronous=FULL`, an fsync per acknowledged
lead; and `NORMAL`), leadflow on PostgreSQL (the machine's, database `leadflow_bench`, created
and emptied by the benchmark; `--postgres-url` for another), and a bare FastAPI endpoint in the
same kind of uvicorn process that only validates the same JSON with the same `LeadCreate`
schema: the limit of the web stack (and of this client) on this machine.

Every lead has a unique Idempotency-Key, so each one is stored and routed. Loopback only.
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))  # databases.py, which serverproc imports
sys.path.insert(0, str(BENCH.parent / "tests" / "e2e"))
import serverproc  # noqa: E402  (the tests' helper that runs `leadflow serve`)

import databases  # noqa: E402  (the tests' PostgreSQL helpers)
from leadflow.api.schemas import LeadCreate  # noqa: E402  (the bare endpoint's schema)

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/leadflow_bench"
GOAL_RATE = 500  # leads per second on SQLite
GOAL_P99_MS = 50.0  # at 200 leads per second
REPS = [f"rep{i:02d}" for i in range(1, 13)]
POLICY = f"""
version: 1
timezone: America/New_York
territories:
  northeast: {{country: US, state: [ME, NH, VT, MA, RI, CT, NY, NJ, PA]}}
reps:
{chr(10).join(f"  - {{id: {r}, name: {r}, email: {r}@example.com}}" for r in REPS)}
pools:
  enterprise: {{strategy: round_robin, members: [{", ".join(REPS[:4])}], overflow: general}}
  northeast: {{strategy: least_loaded, members: [{", ".join(REPS[4:8])}]}}
  general: {{strategy: round_robin, members: [{", ".join(REPS[8:])}]}}
rules:
  - {{name: junk, when: {{email: {{ends_with: "@mailinator.com"}}}}, nurture: junk}}
  - {{name: enterprise, when: {{all: [{{employees: {{gte: 1000}}}}, {{score: {{gte: 60}}}}]}},
     route: enterprise}}
  - {{name: northeast, when: {{territory: northeast}}, route: northeast}}
  - {{name: low-fit, when: {{score: {{lt: 10}}}}, nurture: low-fit}}
fallback: general
"""
PACED_CONNECTIONS = 32  # enough for 200 leads/s at up to 160 ms each
STATES = ["NY", "CA", "TX", "MA", "WA", "NJ", "FL", "IL"]


def bare_app() -> Any:
    """The web stack alone: the same route and schema, no key, no database (uvicorn factory)."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/api/v1/leads", status_code=201)
    def post_lead(lead: LeadCreate) -> dict[str, str]:
        return {"id": str(uuid.uuid4()), "status": "validated"}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def lead(n: int) -> dict[str, Any]:
    """A lead as a form posts it; varied so that every rule and pool gets some."""
    return {
        "external_id": f"form-{n}",
        "source": "website",
        "email": f"person{n}@company{n % 997}.example",
        "first_name": "Jane",
        "last_name": f"Doe{n}",
        "company": f"Company {n % 997}",
        "country": "US" if n % 5 else "DE",
        "state": STATES[n % len(STATES)],
        "employees": (n * 37) % 5000,
        "score": (n * 13) % 100,
        "utm_campaign": "autumn",
    }


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds, of the 2xx answers
    failures: int = 0
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The p-th percentile in milliseconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000


class Poster:
    """Posts numbered leads to one server over a pool of open connections, made up front.

    (An `httpx.Client` costs milliseconds to make, and its first request a connect: made during
    a measurement, they would be counted as the server's latency.)
    """

    def __init__(self, url: str, token: str | None, prefix: str, connections: int) -> None:
        self.prefix = prefix
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._all = [
            httpx.Client(base_url=url, headers=headers, timeout=30) for _ in range(connections)
        ]
        self._idle: queue.SimpleQueue[httpx.Client] = queue.SimpleQueue()
        for client in self._all:
            client.get("/healthz")  # open the connection
            self._idle.put(client)

    def post(self, n: int) -> bool:
        client = self._idle.get()
        try:
            body = lead(n)
            body["external_id"] = key = f"{self.prefix}-{n}"
            answer = client.post("/api/v1/leads", json=body, headers={"Idempotency-Key": key})
        except httpx.TransportError:
            return False
        finally:
            self._idle.put(client)
        return answer.status_code in (200, 201)

    def close(self) -> None:
        for client in self._all:
            client.close()


def closed_loop(poster: Poster, clients: int, seconds: float, limit: int) -> Run:
    run = Run()
    numbers = iter(range(limit))
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        while time.perf_counter() < deadline:
            with lock:
                n = next(numbers, None)
            if n is None:
                return
            started = time.perf_counter()
            ok = poster.post(n)
            took = time.perf_counter() - started
            with lock:
                if ok:
                    run.latencies.append(took)
                else:
                    run.failures += 1

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    run.elapsed = time.perf_counter() - began
    return run


def fixed_rate(poster: Poster, rate: float, seconds: float, first: int) -> Run:
    """Send `rate` leads per second on a schedule; latency counts from when each was due."""
    run = Run()
    lock = threading.Lock()
    total = int(rate * seconds)

    def send(n: int, due: float) -> None:
        ok = poster.post(first + n)
        took = time.perf_counter() - due
        with lock:
            if ok:
                run.latencies.append(took)
            else:
                run.failures += 1

    with ThreadPoolExecutor(PACED_CONNECTIONS) as pool:
        everyone = threading.Barrier(PACED_CONNECTIONS)  # all the threads exist before the start
        list(pool.map(lambda _: everyone.wait(), range(PACED_CONNECTIONS)))
        began = time.perf_counter()
        for n in range(total):
            due = began + n / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            pool.submit(send, n, due)
    run.elapsed = time.perf_counter() - began
    return run


@dataclass
class Target:
    name: str
    start: Callable[[Path], tuple[serverproc.Server, str | None]]  # the server and its key


def leadflow_target(name: str, url: Callable[[Path], str], **env: str) -> Target:
    def start(directory: Path) -> tuple[serverproc.Server, str | None]:
        database = url(directory)
        serverproc.leadflow(database, "db", "upgrade")
        token = serverproc.create_key(database)
        server = serverproc.Server(database, directory / f"{name}.log", env=env).start()
        serverproc.publish(server, token, POLICY)
        return server, token

    return Target(name, start)


def bare_target() -> Target:
    def start(directory: Path) -> tuple[serverproc.Server, str | None]:
        module = ("uvicorn", "--factory", "service_bench:bare_app", "--app-dir", str(BENCH))
        options = ("--no-access-log", "--log-level", "info")
        unused = f"sqlite:///{directory / 'unused.sqlite'}"
        log = directory / "bare.log"
        return serverproc.Server(unused, log, module=(*module, *options)).start(), None

    return Target("bare FastAPI, LeadCreate only", start)


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / f'bench-{uuid.uuid4().hex[:8]}.sqlite'}"


def postgres_url(url: str) -> Callable[[Path], str]:
    def fresh(_directory: Path) -> str:
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        target = make_url(url)
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            exists = connection.exec_driver_sql(
                "SELECT 1 FROM pg_database WHERE datname = %s", (target.database,)
            ).first()
            if exists is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
        admin.dispose()
        databases.reset_postgres(url)
        return url

    return fresh


def measure(target: Target, args: argparse.Namespace, directory: Path) -> tuple[Run, Run]:
    server, token = target.start(directory)
    try:
        connections = max(args.clients, PACED_CONNECTIONS)
        poster = Poster(server.url, token, uuid.uuid4().hex[:8], connections)
        closed_loop(poster, args.clients, 2.0, 300)  # warm up: connections, caches, the JIT-less
        loop = closed_loop(poster, args.clients, args.seconds, args.max_leads)
        paced = fixed_rate(poster, args.rate, args.rate_seconds, first=args.max_leads + 1000)
        poster.close()
        return loop, paced
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--seconds", type=float, default=10.0, help="closed-loop time (10)")
    parser.add_argument("--max-leads", type=int, default=20_000, help="closed-loop bound")
    parser.add_argument("--rate", type=float, default=200.0, help="fixed rate, leads/s (200)")
    parser.add_argument("--rate-seconds", type=float, default=10.0, help="fixed-rate time (10)")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="emptied by the benchmark")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    args = parser.parse_args()

    targets = [
        bare_target(),
        leadflow_target("leadflow, SQLite (FULL)", sqlite_url),
        leadflow_target(
            "leadflow, SQLite (NORMAL)", sqlite_url, LEADFLOW_SQLITE_SYNCHRONOUS="NORMAL"
        ),
    ]
    if not args.no_postgres:
        problem = databases.postgres_problem(args.postgres_url.rsplit("/", 1)[0] + "/postgres")
        if problem is None:
            targets.append(leadflow_target("leadflow, PostgreSQL", postgres_url(args.postgres_url)))
        else:
            print(f"PostgreSQL left out: {problem}", file=sys.stderr)

    print(
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {args.clients} clients (threads, httpx) for {args.seconds:g} s, "
        f"then {args.rate:g} leads/s for {args.rate_seconds:g} s; server: one uvicorn process"
    )
    header = (
        f"{'target':<30} {'leads/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'fail':>5}"
        f" | {f'sent {args.rate:g}/s, done':>16} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}"
        f" {'fail':>5}"
    )
    print(header)
    print("-" * len(header))
    results: dict[str, tuple[Run, Run]] = {}
    with tempfile.TemporaryDirectory(prefix="leadflow-bench-") as tmp:
        for target in targets:
            loop, paced = measure(target, args, Path(tmp))
            results[target.name] = (loop, paced)
            print(
                f"{target.name:<30} {loop.rate:>8,.0f} {loop.percentile(50):>7.1f}"
                f" {loop.percentile(99):>7.1f} {loop.failures:>5}"
                f" | {paced.rate:>14,.0f}/s {paced.percentile(50):>7.1f}"
                f" {paced.percentile(99):>7.1f} {paced.percentile(100):>7.1f} {paced.failures:>5}",
                flush=True,
            )
    loop, paced = results["leadflow, SQLite (FULL)"]
    met = "met" if loop.rate >= GOAL_RATE else "NOT met"
    print(f"goal {GOAL_RATE} leads/s on SQLite (FULL): {met} ({loop.rate:,.0f})")
    met = "met" if paced.percentile(99) < GOAL_P99_MS else "NOT met"
    print(
        f"goal p99 < {GOAL_P99_MS:g} ms at {args.rate:g} leads/s on SQLite (FULL): {met}"
        f" ({paced.percentile(99):.1f} ms)"
    )


if __name__ == "__main__":
    main()
