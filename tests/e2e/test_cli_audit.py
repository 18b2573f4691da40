"""`leadflow audit` on an export the test writes: table, JSON, CSV, --policy's before and after.

The export: eight leads on Monday 2026-11-23 (New York), lead i created at 09:00 + 10i minutes
and owned 2i minutes later; Ann owns six of them, Ben two; leads 1-6 are touched 30 minutes
after their owner got them, 7 and 8 never. One more row has a created time that is no date.
The policy is a round robin of Ann and Ben: it would have given each four.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner, Result

from leadflow.cli import app

NY = ZoneInfo("America/New_York")
POLICY = """\
version: 1
timezone: America/New_York
reps:
  - {id: Ann, name: Ann Adams}
  - {id: Ben, name: Ben Brown}
pools:
  team: {strategy: round_robin, members: [Ann, Ben]}
rules:
  - {name: everyone, route: team}
fallback: team
"""


@pytest.fixture
def export(tmp_path: Path) -> Path:
    lines = ["Record ID,Email,Create Date,Contact owner,Owner assigned date,Last Activity Date"]
    for i in range(1, 9):
        created = datetime(2026, 11, 23, 9, 0, tzinfo=NY) + timedelta(minutes=10 * i)
        owned = created + timedelta(minutes=2 * i)
        touched = f"{owned + timedelta(minutes=30):%Y-%m-%d %H:%M}" if i <= 6 else ""
        owner = "Ann" if i in (1, 2, 3, 5, 6, 7) else "Ben"
        lines.append(
            f"{i},l{i}@x.example,{created:%Y-%m-%d %H:%M},{owner},{owned:%Y-%m-%d %H:%M},{touched}"
        )
        if i == 4:
            lines.append("99,bad@x.example,not a date,Ann,,")  # line 6
    path = tmp_path / "hubspot.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


def audit(*args: str) -> Result:
    return CliRunner().invoke(app, ["audit", *args])


def test_json_reports_the_export_as_it_was(export: Path) -> None:
    done = audit(str(export), "--tz", "America/New_York", "--format", "json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    overall = result["before"]["overall"]
    assert overall["leads"] == 8
    assert overall["time_to_assign"]["p50_seconds"] == 8 * 60  # 2, 4, ... 16 min: rank 4
    assert overall["time_to_first_touch"]["p50_seconds"] == 30 * 60
    assert overall["time_to_first_touch"]["never"] == pytest.approx(0.25)
    assert result["audit"]["rows"] == {"read": 9, "used": 8, "skipped": 1}
    assert result["audit"]["bad_rows"] == [
        {"line": 6, "reason": "created time: 'not a date' is not a date or time"}
    ]
    assert "after" not in result


def test_policy_puts_the_same_leads_under_a_round_robin_beside_them(
    export: Path, policy: Path
) -> None:
    done = audit(
        str(export), "--tz", "America/New_York", "--policy", str(policy), "--format", "json"
    )
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    before = {r["rep"]: r for r in result["before"]["fairness"][0]["reps"]}
    after = {r["rep"]: r for r in result["after"]["fairness"][0]["reps"]}
    assert (before["Ann"]["leads"], before["Ben"]["leads"]) == (6, 2)
    assert before["Ann"]["deviation"] == pytest.approx(0.5)  # 6 against an even 4
    assert (after["Ann"]["leads"], after["Ben"]["leads"]) == (4, 4)
    assert result["after"]["fairness"][0]["deviation"] == pytest.approx(0.0)
    # routed on arrival; the CRM's touches kept, so the same two leads are never touched
    assert result["after"]["overall"]["time_to_assign"]["p50_seconds"] == 0
    assert result["after"]["overall"]["time_to_first_touch"]["never"] == pytest.approx(0.25)


def test_the_terminal_shows_before_and_after_and_the_rows_read(export: Path, policy: Path) -> None:
    done = audit(str(export), "--tz", "America/New_York", "--policy", str(policy))
    assert done.exit_code == 0, done.output
    assert "before" in done.stdout and "after" in done.stdout
    assert "time to owner, median" in done.stdout and "8m" in done.stdout
    assert "Read 9 rows: 8 used, 1 skipped" in done.stdout
    assert "line 6: created time: 'not a date' is not a date or time" in done.stdout


def test_csv_has_a_row_per_run_and_source(export: Path, policy: Path) -> None:
    done = audit(
        str(export), "--tz", "America/New_York", "--policy", str(policy), "--format", "csv"
    )
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["run"], r["leads"], r["never_touched"]) for r in rows] == [
        ("before", "8", "0.25"),
        ("after", "8", "0.25"),
    ]


def test_hours_of_the_week_are_a_grid_in_the_zone(export: Path) -> None:
    done = audit(str(export), "--tz", "America/New_York", "--group-by", "hour")
    assert done.exit_code == 0, done.output
    owners = done.stdout.split("median time to first touch")[0]  # the first grid
    rows = {line.split()[0]: line for line in owners.splitlines() if line[:4].strip()}
    # 09:10 to 10:20 in New York: five leads in Monday's 09 row, three in its 10 row
    # owned 2i minutes after: 2, 4, ... 10 min in the 09 row (median 6), 12-16 in the 10 row
    assert rows["09"].split()[2:5] == ["5", "·", "6m"]
    assert rows["10"].split()[2:5] == ["3", "·", "14m"]


def test_map_names_the_columns_of_another_crm(tmp_path: Path) -> None:
    export = tmp_path / "other.csv"
    export.write_text("Signed up,Rep,Channel\n2026-11-23 09:00,Ann,web\n2026-11-23 10:00,,ads\n")
    done = audit(
        str(export), "--map", "Signed up=created", "--map", "Rep=owner", "--map",
        "Channel=source", "--group-by", "source", "--format", "json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    groups = {g["group"]: g["figures"] for g in json.loads(done.stdout)["before"]["groups"]}
    assert (groups["web"]["assigned"], groups["ads"]["assigned"]) == (1, 0)


def test_unrecognised_columns_say_which_are_needed_and_which_were_found(tmp_path: Path) -> None:
    export = tmp_path / "other.csv"
    export.write_text("Signed up,Rep\n2026-11-23 09:00,Ann\n")
    done = audit(str(export))
    assert done.exit_code == 2
    assert "no column for created, owner" in done.output
    assert "Its columns: Signed up, Rep" in done.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--tz", "Mars/Olympus"], "no time zone"),
        (["--group-by", "colour"], "--group-by must be one of"),
        (["--from", "2026-12-01", "--to", "2026-11-01"], "is after"),
        (["--format", "xml"], "--format must be"),
        (["--policy", "missing.yaml"], "does not exist"),
    ],
)
def test_a_bad_option_fails_saying_what_is_wrong(export: Path, args: list[str], says: str) -> None:
    done = audit(str(export), *args)
    assert done.exit_code == 2
    assert says in done.output


def test_the_shipped_example_is_audited_beside_its_policy() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    done = audit(
        str(examples / "hubspot-export.csv"), "--tz", "America/New_York", "--map",
        "First outreach date=touched", "--policy", str(examples / "audit-policy.yaml"),
        "--format", "json",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    # bench/make_audit_export.py breaks two of its 383 rows: no created time, and one
    # created after its owner was assigned
    assert result["audit"]["rows"] == {"read": 383, "used": 381, "skipped": 2}
    assert [b["line"] for b in result["audit"]["bad_rows"]] == [59, 134]
    assert result["before"]["overall"]["leads"] == result["after"]["overall"]["leads"] == 381


def test_html_puts_before_and_after_side_by_side_in_one_offline_file(
    export: Path, policy: Path, tmp_path: Path
) -> None:
    page = tmp_path / "audit.html"
    done = audit(
        str(export), "--tz", "America/New_York", "--policy", str(policy), "--html", str(page)
    )
    assert done.exit_code == 0, done.output
    text = page.read_text()
    assert "<h1>Audit: 2026-11-23 to 2026-11-23</h1>" in text
    assert '<th scope="col" class="num">After</th><th scope="col" class="num">Before</th>' in text
    # the round robin's pool and the export's, each rep's leads against their share
    assert "from team against" in text and "from crm (before) against" in text
    assert '<th scope="row">Ann</th>' in text
    assert 'src="http' not in text and 'href="http' not in text  # nothing fetched


def test_a_salesforce_report_without_an_assigned_time_counts_from_creation(
    tmp_path: Path,
) -> None:
    export = tmp_path / "salesforce.csv"
    export.write_text(
        "Lead Owner,Lead Source,Lead Status,Create Date,FirstCallDateTime\n"
        '"Ann","Web","Working - Contacted","11/23/2026, 9:00 AM","11/23/2026, 9:20 AM"\n'
        '"Ann","Web","Open - Not Contacted","11/23/2026, 1:00 PM",""\n'
        '"Ben","Trade Show","Working - Contacted","11/23/2026, 2:00 PM","11/23/2026, 3:00 PM"\n'
    )
    done = audit(str(export), "--tz", "America/New_York", "--format", "json")
    assert done.exit_code == 0, done.output
    result = json.loads(done.stdout)
    overall = result["before"]["overall"]
    assert overall["time_to_assign"]["p50_seconds"] == 0  # owned from creation
    assert overall["time_to_first_touch"]["p50_seconds"] == 20 * 60  # 20 and 60 min: rank 1
    assert overall["time_to_first_touch"]["never"] == pytest.approx(1 / 3)
    assert any("no owner assigned time" in note for note in result["audit"]["notes"])
