"""`leadflow explain LEAD_ID`: a live lead's decisions, read from the environment's database.

The leads are routed by the service on a fixed clock; the command then runs as a user runs it,
in a process of its own with only `LEADFLOW_DATABASE_URL` to find them (SQLite and PostgreSQL).
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from shared_policy import POLICY

from databases import FixedClock
from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM, NewLead, intake
from leadflow.settings import Settings
from leadflow.store.migrate import upgrade

START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Monday 10:00 in New York: everyone works
JUNK_SCREEN = POLICY.replace("fallback: general", "junk: {honeypots: [fax_2]}\nfallback: general")


@pytest.fixture
def routed(database_url: str) -> dict[str, str]:
    """Three leads routed live under the shared policy: their ids by what they are."""
    svc = Services.build(Settings(database_url=database_url), clock=FixedClock(START))
    try:
        upgrade(svc.store.engine)
        publish_policy(svc, JUNK_SCREEN, SYSTEM)
        big = {"email": "cio@bigco.com", "employees": 1200}
        small = {"email": "owner@smallco.com", "country": "US"}
        bot = {"email": "bot@spam.com", "fax_2": "filled"}
        return {
            name: intake(svc, NewLead(fields, payload=fields), SYSTEM).lead_id
            for name, fields in (("big", big), ("small", small), ("bot", bot))
        }
    finally:
        svc.store.close()


def explain(database_url: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LEADFLOW_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "leadflow.cli", "explain", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_explain_of_a_live_lead_prints_its_rule_pool_and_each_candidate(
    database_url: str, routed: dict[str, str], tmp_path: Path
) -> None:
    result = explain(database_url, routed["big"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{routed['big']} at 2026-11-23T15:00:00+00:00: "
        "assigned to dana (rule enterprise, pool enterprise)"
    )
    assert "  yes  enterprise  employees=1200" in lines
    assert "pool enterprise (round_robin, via rule:enterprise)" in lines
    assert "  dana  picked (last: None -> 'dana')" in lines


def test_explain_of_a_live_lead_no_rule_matched_names_the_fallback(
    database_url: str, routed: dict[str, str], tmp_path: Path
) -> None:
    result = explain(database_url, routed["small"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(": assigned to alice (pool general)")
    assert "  no   enterprise  employees=None" in lines
    assert "  bob    eligible, not picked" in lines
    assert any(line.startswith("fallback to general (") for line in lines)


def test_explain_of_a_junk_lead_says_it_was_never_routed_and_why(
    database_url: str, routed: dict[str, str], tmp_path: Path
) -> None:
    result = explain(database_url, routed["bot"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{routed['bot']}: junk (honeypot: fax_2 was filled)")
    assert "never routed" in result.stdout


def test_explain_of_an_unknown_lead_fails_naming_it_and_the_database(
    database_url: str, routed: dict[str, str], tmp_path: Path
) -> None:
    result = explain(database_url, "L-0042", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "error: no lead 'L-0042' in " in result.stderr
    assert ("sqlite" if database_url.startswith("sqlite") else "postgresql") in result.stderr


def test_explain_of_a_decisions_file_without_a_lead_id_says_how_to_read_it(
    database_url: str, routed: dict[str, str], tmp_path: Path
) -> None:
    (tmp_path / "decisions.jsonl").write_text("")
    result = explain(database_url, "decisions.jsonl", cwd=tmp_path)
    assert result.returncode == 1
    assert "leadflow explain decisions.jsonl LEAD_ID" in result.stderr


def test_explain_of_a_missing_decisions_file_fails(database_url: str, tmp_path: Path) -> None:
    result = explain(database_url, "nowhere.jsonl", "L1", cwd=tmp_path)
    assert result.returncode == 2
    assert "decisions file nowhere.jsonl does not exist" in result.stderr
