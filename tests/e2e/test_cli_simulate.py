"""`leadflow simulate`, `explain` and `demo` as a user runs them: a real process, real files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from leadflow.simulate import runner

POLICY = """
version: 1
timezone: America/New_York
calendars:
  ny: {hours: {mon-fri: ["09:00-17:00"]}, holidays: US}
reps:
  - {id: ann, name: Ann, email: ann@example.com, calendar: ny}
  - {id: ben, name: Ben, email: ben@example.com, calendar: ny, caps: {per_day: 2}}
  - {id: cy, name: Cy, email: cy@example.com, calendar: ny}
pools:
  team: {strategy: round_robin, members: [ann, ben, cy], when_unavailable: hold}
rules:
  - {name: tiny, when: {employees: {lt: 10}}, nurture: tiny}
  - {name: owner, when: {existing_owner: {exists: true}}, assign: existing_owner, else: team}
  - {name: us, when: {country: US}, route: team}
fallback: team
"""

LEADS = """\
id,received_at,email,country,employees,existing_owner
L1,2026-11-23T09:30,l1@example.com,US,50,
L2,2026-11-23T09:31,l2@example.com,US,5,
L3,2026-11-23T09:32,l3@example.com,us,500,
L4,2026-11-23T09:33,l4@example.com,DE,80,
L5,2026-11-23T09:34,l5@example.com,US,80,cy@example.com
L6,2026-11-23T21:00,l6@example.com,US,80,
L7,2026-11-26T10:00,l7@example.com,US,80,
"""

EVENTS = [
    {"at": "2026-11-23T09:00:00", "type": "rep.updated", "rep": "ann", "presence": "away"},
    {"at": "2026-11-23T12:00:00", "type": "lead.status", "lead_id": "L1", "status": "won"},
]


def leadflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadflow.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(textwrap.dedent(POLICY))
    (tmp_path / "leads.csv").write_text(LEADS)
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in EVENTS))
    return tmp_path


def simulate(files: Path, out: str = "decisions.jsonl") -> subprocess.CompletedProcess[str]:
    return leadflow(
        "simulate",
        "--policy", "policy.yaml",
        "--leads", "leads.csv",
        "--events", "events.jsonl",
        "--out", out,
        "--summary-json", "summary.json",
        cwd=files,
    )  # fmt: skip


def decisions(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_simulate_writes_one_line_per_decision_with_the_documented_keys(files: Path) -> None:
    result = simulate(files)
    assert result.returncode == 0, result.stderr
    lines = decisions(files / "decisions.jsonl")
    keys = {"lead_id", "at", "outcome", "rep", "pool", "rule", "record"}
    assert all(set(line) == keys for line in lines)
    by_lead = {(line["lead_id"], line["outcome"]): line for line in lines}
    assert by_lead["L1", "assigned"]["rep"] == "ben"  # ann is away
    assert by_lead["L2", "nurture"]["rule"] == "tiny"
    assert by_lead["L3", "assigned"]["rep"] == "cy"  # "us" equals US
    assert by_lead["L4", "assigned"]["rule"] is None  # no rule: the fallback
    assert by_lead["L5", "assigned"]["rep"] == "cy"  # existing owner, by email


def test_a_night_lead_is_queued_then_assigned_at_nine_the_next_morning(files: Path) -> None:
    simulate(files)
    l6 = [line for line in decisions(files / "decisions.jsonl") if line["lead_id"] == "L6"]
    assert [(line["outcome"], line["at"]) for line in l6] == [
        ("queued", "2026-11-24T02:00:00+00:00"),
        ("assigned", "2026-11-24T14:00:00+00:00"),
    ]


def test_a_lead_on_thanksgiving_waits_for_the_next_working_day(files: Path) -> None:
    simulate(files)
    l7 = [line for line in decisions(files / "decisions.jsonl") if line["lead_id"] == "L7"]
    assert l7[-1]["at"] == "2026-11-27T14:00:00+00:00"


def test_the_same_inputs_give_byte_identical_decisions(files: Path) -> None:
    assert simulate(files, "first.jsonl").returncode == 0
    assert simulate(files, "second.jsonl").returncode == 0
    first = (files / "first.jsonl").read_bytes()
    assert first and first == (files / "second.jsonl").read_bytes()


def test_the_summary_reports_outcomes_per_rep_and_fairness(files: Path) -> None:
    result = simulate(files)
    summary = json.loads((files / "summary.json").read_text())
    assert summary["leads"] == 7
    assert summary["outcomes"] == {"assigned": 6, "nurture": 1}
    assert summary["statuses"] == {"won": 1}
    assert summary["held"]["leads"] == 2
    assert "Leads per rep" in result.stdout and "Fairness" in result.stdout


def test_a_bad_time_stops_the_run_naming_the_file_line_and_field(files: Path) -> None:
    (files / "leads.csv").write_text(LEADS + "L8,2026-13-01T10:00,l8@example.com,US,80,\n")
    result = simulate(files)
    assert result.returncode == 1
    assert "leads.csv line 9: received_at: '2026-13-01T10:00'" in result.stderr


def test_a_broken_policy_stops_the_run_with_its_line_and_column(files: Path) -> None:
    broken = textwrap.dedent(POLICY).replace("[ann, ben, cy]", "[ann, zed]")
    (files / "policy.yaml").write_text(broken)
    result = simulate(files)
    assert result.returncode == 1
    assert (
        "policy.yaml:11:48: error: unknown rep 'zed' in pool 'team' (known reps: ann, ben, cy)\n"
        in result.stderr
    )


def test_explain_prints_why_each_candidate_was_or_was_not_picked(files: Path) -> None:
    simulate(files)
    result = leadflow("explain", "decisions.jsonl", "L1", cwd=files)
    assert result.returncode == 0, result.stderr
    assert "L1 at 2026-11-23T14:30:00+00:00: assigned to ben (rule us, pool team)" in result.stdout
    assert "ann  excluded: away" in result.stdout
    assert "ben  picked (last: None -> 'ben')" in result.stdout


def test_explain_of_an_unknown_lead_fails(files: Path) -> None:
    simulate(files)
    result = leadflow("explain", "decisions.jsonl", "L99", cwd=files)
    assert result.returncode == 1
    assert "no decision for lead 'L99'" in result.stderr


def test_demo_replays_the_shipped_week_of_leads(tmp_path: Path) -> None:
    result = leadflow("demo", "--simulate", "--out", "demo.jsonl", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "400 leads" in result.stdout
    lead_ids = {line["lead_id"] for line in decisions(tmp_path / "demo.jsonl")}
    assert len(lead_ids) == 400  # every demo lead has a decision: none dropped


def test_the_progress_bar_on_large_inputs_changes_no_decision(
    files: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = files / "plain.jsonl"
    runner.run_simulation(files / "policy.yaml", files / "leads.csv", None, plain)
    monkeypatch.setattr(runner, "PROGRESS_FROM", 1)  # these few leads count as a large input
    barred = files / "barred.jsonl"
    summary = runner.run_simulation(
        files / "policy.yaml", files / "leads.csv", None, barred, progress=True
    )
    assert summary.leads == 7
    assert barred.read_bytes() == plain.read_bytes()


def test_a_csv_without_an_id_column_names_its_leads_by_line(files: Path) -> None:
    """An import's file has no ids: the first lead under the header is row-2."""
    no_ids = (
        "received_at,email,country,employees\n2026-11-23T09:30,a@example.com,US,50\n\n"
        "2026-11-23T09:31,b@example.com,US,5\n"
    )
    (files / "import.csv").write_text(no_ids)
    result = leadflow(
        "simulate", "--policy", "policy.yaml", "--leads", "import.csv", "--out", "d.jsonl",
        cwd=files,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = decisions(files / "d.jsonl")
    assert [(line["lead_id"], line["outcome"]) for line in lines] == [
        ("row-2", "assigned"),
        ("row-4", "nurture"),  # line 3 is blank; employees 5: the rule tiny
    ]
    explained = leadflow("explain", "d.jsonl", "row-4", cwd=files)
    assert explained.returncode == 0 and "row-4 at " in explained.stdout


def test_a_csv_without_received_at_is_still_refused(files: Path) -> None:
    (files / "import.csv").write_text("email,country\na@b.com,US\n")
    result = leadflow("simulate", "--policy", "policy.yaml", "--leads", "import.csv", cwd=files)
    assert result.returncode == 1
    assert "the header has no received_at column" in result.stderr
