"""How fast reports answer over 1,000,000 leads of 90 days, on SQLite and PostgreSQL.

    .venv/bin/python bench/report_bench.py                       # 1,000,000 leads, both databases
    .venv/bin/python bench/report_bench.py --leads 100000 --only sqlite

The data: leads over 90 days from Monday 7 September 2026 (busy weekday mornings, quiet nights,
weekends at a quarter), each with the timeline live routing writes — received, sometimes held
first, assigned by one of 10 pools of 5 reps (the decision record names who was eligible),
then accepted or rejected, reminded, reassigned on an SLA breach, contacted, a meeting, won or
lost — turned into facts by `reports.facts.derive`, the one derivation every report counts.
Only the facts tables are written (`lead_facts` and its reasons and shares): a report reads
nothing else once the facts are up to date. The databases are kept (`bench/.data/`, and the
PostgreSQL database `bench_reports`) and reused while the size and seed are the same.

The measure, on each database, each query `--rounds` times after a warm-up (median and max):
- the summary grouped by source (`reports.engine.summary`, what `GET /api/v1/reports/summary`
  answers after its refresh) of the last 30 days and of the whole 90;
- the dashboard's figures (`service.reports.report_dashboard`: the summary and the hour ×
  weekday cells) of the last 30 days;
- the baseline in the same run: `SELECT count(*)` of the period's leads, the least a report of
  them can cost.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text

from leadflow.reports.engine import TABLES, F, Query, figures_by_group, insert_facts, summary
from leadflow.reports.facts import Event, LeadFacts, LeadSnapshot, derive
from leadflow.reports.periods import Period

BENCH = Path(__file__).resolve().parent
DATA = BENCH / ".data"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_reports"
ZONE = "America/New_York"
START = date(2026, 9, 7)  # a Monday
DAYS = 90
GOALS_MS = {"sqlite": 1000.0, "postgresql": 500.0}  # the summary grouped by source (issue 12)
DASHBOARD_GOAL_MS = 1500.0
SOURCES = ("website", "webinar", "paid_search", "linkedin", "partner", "event", "chat", "import")
POOLS = tuple(f"pool-{i}" for i in range(10))
REPS = {pool: tuple(f"rep-{i}-{j}" for j in range(5)) for i, pool in enumerate(POOLS)}
RULES = tuple(f"rule-{i}" for i in range(20))
TIERS = ("A", "B", "C")
FIELDS = ("email", "phone", "company", "title", "website", "country", "industry", "employees")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args()
    engines: list[Engine] = []
    if args.only != "postgresql":
        engines.append(create_engine(f"sqlite:///{DATA / f'reports-{args.leads}.sqlite'}"))
    if args.only != "sqlite":
        engines.append(_postgres())
    print(f"{args.leads:,} leads over {DAYS} days from {START}, {ZONE}")
    for engine in engines:
        _ensure(engine, args.leads, args.seed)
        _measure(engine, args.rounds)
        engine.dispose()


def _measure(engine: Engine, rounds: int) -> None:
    name = engine.dialect.name
    end = START + timedelta(days=DAYS - 1)
    month = Period.of(end - timedelta(days=29), end, ZONE)
    whole = Period.of(START, end, ZONE)
    print(f"\n{name}:")
    with engine.connect() as connection:
        base = _time(lambda: _count(connection, month), rounds)
        print(f"  baseline: count of the 30 days' leads      {_line(base)}")
        for label, period in (("30 days", month), ("90 days", whole)):
            query = Query(period, "source", {})
            took = _time(lambda q=query: summary(connection, q), rounds)  # type: ignore[misc]
            goal = GOALS_MS[name]
            verdict = "met" if statistics.median(took) < goal else "NOT met"
            print(
                f"  summary by source, {label:8}              {_line(took)}"
                f"  {statistics.median(took) / statistics.median(base):5.1f}× baseline"
                f"  (goal {goal:.0f} ms: {verdict})"
            )
        query = Query(month, "source", {})
        dash = _time(
            lambda: (
                summary(connection, query),
                figures_by_group(connection, Query(month, "hour", {})),
            ),
            rounds,
        )
        verdict = "met" if statistics.median(dash) < DASHBOARD_GOAL_MS else "NOT met"
        print(
            f"  dashboard (summary + hour cells), 30 days  {_line(dash)}"
            f"  (goal {DASHBOARD_GOAL_MS:.0f} ms: {verdict})"
        )


def _count(connection: Any, period: Period) -> int:
    start, end = int(period.utc_start.timestamp()), int(period.utc_end.timestamp())
    found = connection.scalar(
        select(func.count()).where(F.received_epoch >= start, F.received_epoch < end)
    )
    return int(found)


def _time(run: Callable[[], Any], rounds: int) -> list[float]:
    run()  # warm-up: the pages into the cache
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _line(took: list[float]) -> str:
    return f"median {statistics.median(took):7.0f} ms  max {max(took):7.0f} ms"


def _postgres() -> Engine:
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname='bench_reports'")):
            connection.execute(text("CREATE DATABASE bench_reports"))
    admin.dispose()
    return create_engine(PG_URL)


def _ensure(engine: Engine, leads: int, seed: int) -> None:
    """The facts of `leads` generated leads, written once and kept while size and seed hold."""
    stamp = f"{leads}:{seed}"
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_stamp (value TEXT)"))
        if connection.scalar(text("SELECT value FROM bench_stamp")) == stamp:
            return
    print(f"  writing {leads:,} leads' facts into {engine.dialect.name} (once)...")
    started = time.perf_counter()
    for table in reversed(TABLES):
        table.__table__.drop(engine, checkfirst=True)  # type: ignore[attr-defined]
    for table in TABLES:
        table.__table__.create(engine)  # type: ignore[attr-defined]
    batch: list[LeadFacts] = []
    with engine.begin() as connection:
        for facts in generate(leads, seed):
            batch.append(facts)
            if len(batch) == 5000:
                insert_facts(connection, batch)
                batch = []
        insert_facts(connection, batch)
        connection.execute(text("DELETE FROM bench_stamp"))
        connection.execute(text("INSERT INTO bench_stamp VALUES (:v)"), {"v": stamp})
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
    print(f"  written in {time.perf_counter() - started:.0f} s")


def generate(leads: int, seed: int) -> Iterator[LeadFacts]:
    """Each lead's facts, derived from a timeline made the way live routing writes one."""
    rng = random.Random(seed)
    start = datetime(START.year, START.month, START.day, 4, tzinfo=UTC)  # midnight New York
    span = DAYS * 86400
    times = sorted(_arrival(rng, span) for _ in range(leads))
    for i, offset in enumerate(times):
        yield _lead(rng, i, start + timedelta(seconds=offset))


def _arrival(rng: random.Random, span: int) -> float:
    """Seconds into the period: weekday working hours busy, nights quiet, weekends a quarter."""
    while True:
        at = rng.random() * span
        day, hour = int(at // 86400) % 7, (at % 86400) / 3600
        weight = (1.0 if 8 <= hour < 18 else 0.15) * (0.25 if day >= 5 else 1.0)
        if rng.random() < weight:
            return at


def _lead(rng: random.Random, i: int, received: datetime) -> LeadFacts:
    source = rng.choice(SOURCES)
    pool = POOLS[min(int(rng.expovariate(0.35)), len(POOLS) - 1)]
    reps = REPS[pool]
    junk = rng.random() < 0.03
    merged = not junk and rng.random() < 0.04
    fields = {name: "x" for name in FIELDS if rng.random() < 0.8}
    events = [Event(received, "received")]
    decisions: list[dict[str, Any]] = []
    status, sla_status, sla_tier, business = "junk" if junk else "new", None, None, None
    if not junk and not merged:
        at = received
        if rng.random() < 0.06:
            events.append(Event(at, "queued", {"pool": pool}))
            at += timedelta(seconds=rng.uniform(600, 14 * 3600))
        at += timedelta(seconds=rng.uniform(0.002, 0.05))
        eligible = [r for r in reps if rng.random() < 0.8] or [reps[0]]
        rep = rng.choice(eligible)
        rule = RULES[min(int(rng.expovariate(0.2)), len(RULES) - 1)]
        events.append(Event(at, "assigned", {"rep": rep, "pool": pool, "rule": rule}))
        decisions.append(_record(pool, reps, eligible, rep))
        status, sla_tier, sla_status = "assigned", rng.choice(("hot", "standard")), "pending"
        if rng.random() < 0.6:
            events.append(Event(at + timedelta(minutes=rng.uniform(1, 30)), "accepted"))
            status = "accepted"
        elif rng.random() < 0.08:
            events.append(Event(at + timedelta(minutes=2), "rejected", {"note": "not my region"}))
            events.append(Event(at + timedelta(minutes=2), "rerouted", {"reason": "rejected"}))
            other = rng.choice(reps)
            events.append(Event(at + timedelta(minutes=2), "assigned", {"rep": other}))
        if rng.random() < 0.2:
            events.append(Event(at + timedelta(minutes=20), "sla.reminded"))
        touch = math.exp(rng.gauss(math.log(1500), 1.3))  # median 25 minutes
        if rng.random() < 0.1:
            events.append(Event(at + timedelta(hours=1), "sla.escalated"))
            events.append(Event(at + timedelta(hours=1), "sla.reassigned"))
            events.append(Event(at + timedelta(hours=1), "assigned", {"rep": rng.choice(reps)}))
        if rng.random() < 0.8:
            touched = at + timedelta(seconds=touch)
            events.append(Event(touched, "contacted"))
            status = "contacted"
            business = touch * rng.uniform(0.3, 1.0)
            sla_status = "met" if touch < 3600 else "breached"
            if rng.random() < 0.25:
                events.append(Event(touched + timedelta(days=rng.uniform(1, 6)), "meeting_booked"))
                status = "meeting_booked"
                if rng.random() < 0.3:
                    won = touched + timedelta(days=rng.uniform(7, 40))
                    value = round(rng.uniform(2000, 60000), 2)
                    events.append(Event(won, "won", {"value": value}))
                    status = "won"
        elif rng.random() < 0.5:
            sla_status = "breached"
    snapshot = LeadSnapshot(
        id=f"L{i:08d}",
        received_at=received,
        source=source,
        status=status,
        tier=rng.choice(TIERS),
        fields=fields,
        sla_tier=sla_tier,
        sla_status=sla_status,
        first_touch_business_seconds=business,
        duplicate_of="L00000000" if merged else None,
        junk_reason="disposable_email: mailinator.com" if junk else None,
        account_id="A1" if rng.random() < 0.4 else None,
    )
    return derive(snapshot, events, decisions)


def _record(pool: str, reps: tuple[str, ...], eligible: list[str], rep: str) -> dict[str, Any]:
    return {
        "outcome": "assigned",
        "pools": [
            {
                "pool": pool,
                "result": "assigned",
                "picked": rep,
                "weights": {},
                "candidates": [{"rep": r, "eligible": r in eligible} for r in reps],
            }
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
