"""`leadflow report` on the demo's database: terminal tables, JSON and CSV, and bad options."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from leadflow.cli import app

DEMO_WEEK = ["--from", "2026-11-23", "--to", "2026-11-29", "--tz", "America/New_York"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('report') / 'leadflow.sqlite'}"
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LEADFLOW_DATABASE_URL", url)
        env.setenv("LEADFLOW_SQLITE_SYNCHRONOUS", "NORMAL")
        assert CliRunner().invoke(app, ["demo"]).exit_code == 0
    return url


def leadflow(url: str, *args: str) -> Result:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("LEADFLOW_DATABASE_URL", url)
        return CliRunner().invoke(app, list(args))


def test_json_counts_the_demo_weeks_400_leads(demo: str) -> None:
    done = leadflow(demo, "report", *DEMO_WEEK, "--format", "json")
    assert done.exit_code == 0, done.output
    overall = json.loads(done.stdout)["overall"]
    # the demo routes 400 leads: 291 assigned at once, 57 held, 50 nurture, 2 merged; held
    # leads are assigned later, so more than 291 have an assignment in the end
    assert overall["leads"] == 400
    assert overall["assigned"] >= 291


def test_csv_of_a_table_has_a_row_per_source(demo: str) -> None:
    done = leadflow(
        demo, "report", *DEMO_WEEK, "--group-by", "source", "--table", "speed", "--format", "csv"
    )
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert sum(int(r["leads"]) for r in rows) == 400
    assert len({r["source"] for r in rows}) == len(rows) > 1


def test_the_terminal_shows_a_column_per_group(demo: str) -> None:
    done = leadflow(demo, "report", *DEMO_WEEK, "--group-by", "source", "--table", "funnel")
    assert done.exit_code == 0, done.output
    assert "funnel" in done.stdout and "meeting share" in done.stdout


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--tz", "Mars/Olympus"], "no time zone"),
        (["--from", "2026-12-01", "--to", "2026-11-01"], "is after"),
        (["--group-by", "colour"], "group_by"),
        (["--format", "csv"], "needs --table"),
        (["--from", "yesterday"], "expected a date"),
    ],
)
def test_a_bad_option_fails_saying_what_is_wrong(demo: str, args: list[str], says: str) -> None:
    done = leadflow(demo, "report", *args)
    assert done.exit_code == 2
    assert says in done.output


def test_a_missing_database_file_is_created_empty(tmp_path: Path) -> None:
    done = leadflow(f"sqlite:///{tmp_path / 'new.sqlite'}", "report", "--format", "json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["overall"]["leads"] == 0


def test_a_simulation_is_reported_from_the_files_simulate_took_and_wrote(tmp_path: Path) -> None:
    from importlib import resources

    demo_files = resources.files("leadflow") / "demo"
    decisions = tmp_path / "decisions.jsonl"
    simulated = CliRunner().invoke(app, ["demo", "--simulate", "--out", str(decisions)])
    assert simulated.exit_code == 0, simulated.output
    leads, events = str(demo_files / "leads.csv"), str(demo_files / "events.jsonl")
    done = leadflow(
        "sqlite:///" + str(tmp_path / "unused.sqlite"),
        "report",
        *DEMO_WEEK,
        "--simulation",
        str(decisions),
        "--leads",
        leads,
        "--events",
        events,
        "--format",
        "json",
    )
    assert done.exit_code == 0, done.output
    overall = json.loads(done.stdout)["overall"]
    assert overall["leads"] == 400
    # the demo's events close 39 leads as won (16) or lost (23): each is also its first touch
    assert (overall["funnel"]["won"]["count"], overall["funnel"]["lost"]) == (16, 23)


def test_simulation_without_its_leads_is_refused(tmp_path: Path) -> None:
    decisions = tmp_path / "decisions.jsonl"
    decisions.write_text("")
    done = leadflow("sqlite://", "report", "--simulation", str(decisions))
    assert done.exit_code == 2
    assert "go together" in done.output
