"""`leadflow export history`: live history written as `leadflow simulate` reads it, round trip.

Leads are routed live by the service on a fixed clock (SQLite and PostgreSQL); the export and
the simulation then run as a user runs them, each in a process of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from databases import FixedClock
from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.reps import RepUpdate, update_rep
from leadflow.service.routing import SYSTEM, NewLead, intake, record_event
from leadflow.settings import Settings
from leadflow.store.migrate import upgrade

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York
POLICY = """\
version: 1
timezone: America/New_York
reps:
  - {id: alice, name: Alice Adams, email: alice@example.com}
  - {id: bob, name: Bob Brown, email: bob@example.com}
  - {id: chen, name: Chen Li, email: chen@example.com}
pools:
  general: {strategy: round_robin, members: [alice, bob, chen]}
junk: {honeypots: [fax_2]}
sla:
  - {name: default, first_touch: 1h}
fallback: general
"""
# The round robin, with bob away from the third lead on: alice, bob, then chen and alice.
OWNERS = ["alice", "bob", "chen", "alice", "chen", "alice"]


def run(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadflow.cli", *args],
        cwd=cwd,
        env={**os.environ, "LEADFLOW_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def svc(database_url: str) -> Any:
    services = Services.build(Settings(database_url=database_url), clock=FixedClock(START))
    upgrade(services.store.engine)
    publish_policy(services, POLICY, SYSTEM)
    yield services
    services.store.close()


def lead(svc: Services, n: int, **more: Any) -> str:
    fields = {"email": f"lead{n}@prospect{n}.com", "company": f"Prospect {n}", **more}
    return intake(svc, NewLead(fields, payload=fields), SYSTEM).lead_id


@pytest.fixture
def live(svc: Services) -> dict[str, Any]:
    """Six leads ten minutes apart, bob away after the second, the first won; and a bot."""
    clock: FixedClock = svc.clock  # type: ignore[assignment]
    ids = []
    for n in range(6):
        if n == 2:
            update_rep(
                svc, "bob", RepUpdate(presence="away", given=frozenset({"presence"})), SYSTEM
            )
        ids.append(lead(svc, n))
        clock.advance(minutes=10)
    record_event(svc, ids[0], "won", SYSTEM)
    bot = lead(svc, 99, fax_2="filled")
    return {"ids": ids, "bot": bot}


def simulated_owners(out: Path, database_url: str) -> dict[str, str | None]:
    result = run(
        database_url,
        "simulate",
        "--policy", "policy.yaml",
        "--leads", "leads.jsonl",
        "--events", "events.jsonl",
        "--out", "decisions.jsonl",
        "--no-progress",
        cwd=out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in (out / "decisions.jsonl").read_text().splitlines()]
    return {line["lead_id"]: line["rep"] for line in lines}


def test_export_then_simulate_gives_each_lead_its_live_owner(
    database_url: str, live: dict[str, Any], tmp_path: Path
) -> None:
    done = run(
        database_url, "export", "history", "--since", "2026-11-23", "--out", "h", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "Wrote 7 leads" in done.stdout
    owners = simulated_owners(tmp_path / "h", database_url)
    assert [owners[i] for i in live["ids"]] == OWNERS
    assert live["bot"] not in owners  # junk again: no decision, as live


def test_the_export_holds_the_outcomes_the_runtime_change_and_first_touches(
    database_url: str, live: dict[str, Any], tmp_path: Path
) -> None:
    run(database_url, "export", "history", "--since", "2026-11-23", "--out", "h", cwd=tmp_path)
    events = [
        json.loads(line) for line in (tmp_path / "h" / "events.jsonl").read_text().splitlines()
    ]
    away = {
        "at": "2026-11-23T15:20:00+00:00",
        "type": "rep.updated",
        "rep": "bob",
        "presence": "away",
        "active": True,
        "caps": {"per_day": None, "per_week": None, "open": None},
        "time_off": [],
    }
    won = {"type": "lead.status", "lead_id": live["ids"][0], "status": "won"}
    assert away in events
    assert [{k: e[k] for k in won} for e in events if e["type"] == "lead.status"] == [won]
    leads = [json.loads(line) for line in (tmp_path / "h" / "leads.jsonl").read_text().splitlines()]
    first = leads[0]
    assert (first["id"], first["received_at"]) == (live["ids"][0], "2026-11-23T15:00:00+00:00")
    assert first["first_touch_at"] is not None  # won: a touch
    assert leads[1]["first_touch_at"] is None  # never touched, and said so
    assert first["company"] == "Prospect 0"


def test_a_rep_away_before_the_window_starts_away_in_it(
    database_url: str, live: dict[str, Any], tmp_path: Path
) -> None:
    since = "2026-11-23T10:25"  # New York time: after bob went away, before the fourth lead
    run(database_url, "export", "history", "--since", since, "--out", "h", cwd=tmp_path)
    events = [
        json.loads(line) for line in (tmp_path / "h" / "events.jsonl").read_text().splitlines()
    ]
    (bob,) = [e for e in events if e["type"] == "rep.updated"]
    assert (bob["at"], bob["presence"]) == ("2026-11-23T10:25:00-05:00", "away")
    owners = simulated_owners(tmp_path / "h", database_url)
    assert "bob" not in owners.values()


def test_until_a_date_takes_that_whole_day_and_nothing_after(
    database_url: str, svc: Services, live: dict[str, Any], tmp_path: Path
) -> None:
    clock: FixedClock = svc.clock  # type: ignore[assignment]
    clock.set(START + timedelta(days=1))
    tuesday = lead(svc, 7)
    args = ("export", "history", "--since", "2026-11-22", "--until", "2026-11-23", "--out", "h")
    assert run(database_url, *args, cwd=tmp_path).returncode == 0
    ids = [
        json.loads(line)["id"] for line in (tmp_path / "h" / "leads.jsonl").read_text().splitlines()
    ]
    assert ids == [*live["ids"], live["bot"]]
    assert tuesday not in ids


def test_a_since_that_is_not_a_date_is_an_error_naming_it(
    database_url: str, svc: Services, tmp_path: Path
) -> None:
    result = run(
        database_url, "export", "history", "--since", "last week", "--out", "h", cwd=tmp_path
    )
    assert result.returncode == 2
    assert "since: 'last week' is not a date (2026-11-01) or a date and time" in result.stderr
    assert not (tmp_path / "h").exists()
