"""How fast the console's pages answer with 100,000 leads and 200 reps stored (SQLite).

    .venv/bin/python bench/console_bench.py                  # builds the data once, then measures
    .venv/bin/python bench/console_bench.py --leads 20000 --rounds 20

The data: the simulation benchmark's 200-rep policy (`bench/generate.py`: 40 pools, 50 rules)
and its leads, taken in through the live service's own intake (`service.routing.intake_batch`,
with the service clock at each lead's arrival time, so decisions, timelines, caps and SLA
clocks are what live routing writes), then ~8% accepted, ~4% contacted and ~2% rejected through
`record_event`. The database is kept in `bench/.data/` and reused by later runs.

The measure: a `leadflow serve` process (SQLite, no in-process worker, so that no background
work runs during the measure) is signed in to as an admin, a manager and a rep, and each page is
fetched `--rounds` times one after another after 3 warm-ups: p50, p95 and max in milliseconds.
The baseline, in the same run and the same server: `GET /healthz`, which does no database
work — the cost of the web stack and this client.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent / "tests"))
sys.path.insert(0, str(BENCH.parent / "tests" / "e2e"))
sys.path.insert(0, str(BENCH))
import serverproc  # noqa: E402  (the tests' helper that runs `leadflow serve`)

import generate  # noqa: E402  (the simulation benchmark's data)
from leadflow.api.schemas import LeadCreate  # noqa: E402
from leadflow.service import routing, users  # noqa: E402
from leadflow.service.context import Services  # noqa: E402
from leadflow.service.policies import publish_policy  # noqa: E402
from leadflow.service.routing import SYSTEM, NewLead  # noqa: E402
from leadflow.settings import Settings  # noqa: E402
from leadflow.store.migrate import upgrade  # noqa: E402

GOAL_P95_MS = 150.0  # every console page (issue 11)
DASHBOARD_GOAL_MS = 1500.0  # /reports, which counts a period of facts (issue 12)
PASSWORD = "benchmark password"
ADMIN, MANAGER = "admin@bench.example", "manager@bench.example"
ZONE = ZoneInfo(generate.TIMEZONE)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(ZONE)

    def __call__(self) -> datetime:
        return self.now


def build(path: Path, leads: int) -> str:
    """The database of the benchmark, built once: the policy, the leads, some reps' events."""
    url = f"sqlite:///{path}"
    clock = Clock()
    svc = Services.build(Settings(database_url=url, sqlite_synchronous="NORMAL"), clock=clock)
    try:
        upgrade(svc.store.engine)
        policy = generate.generate_policy(path.with_suffix(".yaml"))
        publish_policy(svc, policy.read_text(), SYSTEM, message="the benchmark policy")
        leads_csv = generate.generate_leads(path.with_suffix(".csv"), leads)
        started = time.perf_counter()
        ids = _take_in(svc, clock, leads_csv)
        print(f"  {len(ids):,} leads taken in: {time.perf_counter() - started:.0f} s")
        started = time.perf_counter()
        moved = _events(svc, clock, ids)
        print(f"  {moved:,} rep events recorded: {time.perf_counter() - started:.0f} s")
        rep = _busiest_rep(svc)
        users.add_user(svc, ADMIN, PASSWORD, "admin", by="bench")
        users.add_user(svc, MANAGER, PASSWORD, "manager", by="bench")
        users.add_user(svc, f"{rep}@bench.example", PASSWORD, "rep", rep_id=rep, by="bench")
        path.with_suffix(".rep").write_text(f"{rep}@bench.example\n")
    finally:
        svc.store.close()
    return url


def _take_in(svc: Services, clock: Clock, leads_csv: Path) -> list[tuple[str, str | None]]:
    """Every lead through live intake, 500 to a transaction; (lead id, owner) of each."""
    out: list[tuple[str, str | None]] = []
    batch: list[NewLead] = []
    with leads_csv.open(newline="") as file:
        for row in csv.DictReader(file):
            at = datetime.fromisoformat(row["received_at"]).replace(tzinfo=ZONE)
            payload: dict[str, Any] = {
                k: v for k, v in row.items() if v and k not in ("id", "received_at")
            }
            payload.setdefault("email", f"{row['id'].lower()}@nobody.example")
            payload.pop("account.owner", None)
            lead = LeadCreate.model_validate(payload)
            batch.append(
                NewLead(
                    fields=lead.routing_fields(),
                    payload=payload,
                    source=lead.source,
                    external_id=row["id"],
                    received_at=at,
                )
            )
            if len(batch) == 500:
                out.extend(_batch(svc, clock, batch))
                batch = []
    if batch:
        out.extend(_batch(svc, clock, batch))
    return out


def _batch(svc: Services, clock: Clock, batch: list[NewLead]) -> list[tuple[str, str | None]]:
    assert batch[-1].received_at is not None
    clock.now = batch[-1].received_at
    done = routing.intake_batch(svc, batch, SYSTEM)
    return [(r.lead_id, r.owner) for r in done if isinstance(r, routing.Routed)]


def _events(svc: Services, clock: Clock, ids: list[tuple[str, str | None]]) -> int:
    """Some of the leads accepted, contacted or rejected by their owner, minutes later."""
    moved = 0
    for i, (lead_id, owner) in enumerate(ids):
        if owner is None or i % 7 not in (0, 3):
            continue
        actor = routing.Actor(f"{owner}@bench.example", "rep", owner)
        clock.now += timedelta(seconds=1)
        kind = ("accepted", "contacted", "rejected")[i % 3]
        try:
            routing.record_event(svc, lead_id, kind, actor, note="bench")
        except routing.Conflict:
            continue
        moved += 1
    return moved


def _busiest_rep(svc: Services) -> str:
    from leadflow.service import reps

    views = reps.list_reps(svc, SYSTEM)
    return max(views, key=lambda v: v.open_count).id


def signed_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(
        base_url=base, timeout=300, follow_redirects=False
    )  # a first report derives every lead's facts
    client.get("/login")
    token = client.cookies.get("lf_login_csrf")
    answer = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token or ""}
    )
    assert answer.status_code == 303, f"{email} could not sign in: {answer.status_code}"
    return client


def measure(client: httpx.Client, url: str, rounds: int) -> list[float]:
    for _ in range(3):
        client.get(url)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        answer = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, f"{url}: {answer.status_code} {answer.text[:300]}"
    return times


def pages(
    client: httpx.Client, admin: httpx.Client, rep_client: httpx.Client
) -> list[tuple[str, httpx.Client, str]]:
    """(label, client, url) of every page: `client` is a manager's."""
    listing = client.get("/leads.csv?status=assigned").text.splitlines()
    lead_id = listing[1].split(",")[0] if len(listing) > 1 else ""
    return [
        ("/healthz (baseline)", client, "/healthz"),
        ("/home (manager)", client, "/home"),
        ("/inbox (rep)", rep_client, "/inbox"),
        ("/leads", client, "/leads"),
        ("/leads?status=assigned&source=webinar", client, "/leads?status=assigned&source=webinar"),
        ("/leads?q=acme", client, "/leads?q=acme"),
        ("/leads (rep)", rep_client, "/leads"),
        ("/leads/{id}", client, f"/leads/{lead_id}"),
        ("/team", client, "/team"),
        ("/policy", client, "/policy"),
        ("/queues", client, "/queues"),
        ("/admin (admin)", admin, "/admin"),
        ("/reports (a week)", client, "/reports?from=2026-11-23&to=2026-11-29"),
        (
            "/reports?group_by=source (a week)",
            client,
            "/reports?from=2026-11-23&to=2026-11-29&group_by=source",
        ),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--data", type=Path, default=BENCH / ".data")
    args = parser.parse_args(argv)
    args.data.mkdir(parents=True, exist_ok=True)
    path = args.data / f"console-{args.leads}.sqlite"
    if not path.exists():
        print(f"building {path} ({args.leads:,} leads, 200 reps): once, a few minutes")
        try:
            url = build(path, args.leads)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    else:
        url = f"sqlite:///{path}"
    server = serverproc.Server(
        url,
        args.data / "console-bench.log",
        module=("leadflow.cli", "serve", "--no-worker"),
        env={"LEADFLOW_HELD_CHECK_SECONDS": "0"},
    )
    with server.start(timeout=120):
        manager = signed_in(server.url, MANAGER)
        admin = signed_in(server.url, ADMIN)
        rep = signed_in(server.url, path.with_suffix(".rep").read_text().strip())
        rows = pages(manager, admin, rep)
        print(f"\n{args.leads:,} leads, 200 reps, SQLite; {args.rounds} requests a page")
        print(f"{'page':<42}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        worst = {"page": 0.0, "dashboard": 0.0}
        for label, client, url_ in rows:
            times = measure(client, url_, args.rounds)
            p95 = statistics.quantiles(times, n=20)[-1]
            if not label.endswith("(baseline)"):
                kind = "dashboard" if url_.startswith("/reports") else "page"
                worst[kind] = max(worst[kind], p95)
            print(f"{label:<42}{statistics.median(times):>9.1f}{p95:>9.1f}{max(times):>9.1f}")
        for kind, goal in (("page", GOAL_P95_MS), ("dashboard", DASHBOARD_GOAL_MS)):
            verdict = "met" if worst[kind] < goal else "NOT met"
            print(f"slowest {kind} p95: {worst[kind]:.1f} ms (goal < {goal:.0f} ms: {verdict})")


if __name__ == "__main__":
    main()
