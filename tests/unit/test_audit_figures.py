"""The audit's figures on a 10-lead export the test builds, so each figure is known by construction.

Lead i (1..10) is created on Monday 2026-11-23 at 09:00 + 5i minutes, New York time; its owner
is assigned i minutes later; leads 1-7 are first touched 10i minutes after that, 8-10 never.
Ann owns leads 1-7, Ben 8-10; lead 10 has lead 1's email; leads 1-4 come from paid search.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadflow.reports.audit import before
from leadflow.reports.crm_export import ExportRow, read_export
from leadflow.reports.engine import Query
from leadflow.reports.periods import Period

NY = "America/New_York"
START = datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo(NY))


def export(tmp_path: Path, *, assigned_column: bool = True) -> Path:
    lines = [
        "Record ID,Email,Create Date,Contact owner,Owner assigned date,Last Activity Date,"
        "Original Source"
    ]
    for i in range(1, 11):
        created = START + timedelta(minutes=5 * i)
        assigned = created + timedelta(minutes=i)
        touched = assigned + timedelta(minutes=10 * i) if i <= 7 else None
        email = "lead1@x.example" if i == 10 else f"lead{i}@x.example"
        cells = [
            str(i),
            email,
            f"{created:%Y-%m-%d %H:%M}",
            "Ann" if i <= 7 else "Ben",
            f"{assigned:%Y-%m-%d %H:%M}",
            f"{touched:%Y-%m-%d %H:%M}" if touched else "",
            "Paid search" if i <= 4 else "Organic search",
        ]
        lines.append(",".join(cells))
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def audited(path: Path, group_by: str | None = None, zone: str = NY) -> dict[str, Any]:
    _, rows = read_export(path, NY)
    good = [r for r in rows if isinstance(r, ExportRow)]
    assert len(good) == 10
    return before(good, Query(Period.of(date(2026, 11, 23), date(2026, 11, 23), zone), group_by))


@pytest.fixture
def summary(tmp_path: Path) -> dict[str, Any]:
    return audited(export(tmp_path))


def test_time_to_owner_is_the_median_of_one_to_ten_minutes(summary: dict[str, Any]) -> None:
    assign = summary["overall"]["time_to_assign"]
    assert summary["overall"]["leads"] == summary["overall"]["assigned"] == 10
    assert assign["p50_seconds"] == 5 * 60  # nearest rank 5 of 10
    assert assign["p90_seconds"] == 9 * 60


def test_time_to_first_touch_counts_from_the_owner_and_three_are_never_touched(
    summary: dict[str, Any],
) -> None:
    touch = summary["overall"]["time_to_first_touch"]
    assert touch["p50_seconds"] == 40 * 60  # 10, 20, ... 70 minutes: rank 4 of 7
    assert touch["never"] == pytest.approx(0.3)
    assert touch["within_1h"] == pytest.approx(0.6)  # 10 to 60 minutes, of 10 owned leads


def test_leads_per_owner_are_measured_against_an_even_share(summary: dict[str, Any]) -> None:
    (pool,) = summary["fairness"]
    reps = {r["rep"]: (r["leads"], r["expected"], r["deviation"]) for r in pool["reps"]}
    assert reps["Ann"] == (7, pytest.approx(5.0), pytest.approx(0.4))
    assert reps["Ben"] == (3, pytest.approx(5.0), pytest.approx(-0.4))
    assert pool["deviation"] == pytest.approx(0.4)


def test_a_lead_with_an_earlier_leads_email_is_a_duplicate(summary: dict[str, Any]) -> None:
    assert summary["overall"]["duplicate_share"] == pytest.approx(0.1)


def test_grouped_by_source(tmp_path: Path) -> None:
    groups = {g["group"]: g["figures"] for g in audited(export(tmp_path), "source")["groups"]}
    assert groups["Paid search"]["leads"] == 4
    assert groups["Paid search"]["time_to_assign"]["p50_seconds"] == 2 * 60  # 1-4 min
    assert groups["Organic search"]["time_to_first_touch"]["never"] == pytest.approx(0.5)


def test_hours_of_the_week_follow_the_zone(tmp_path: Path) -> None:
    path = export(tmp_path)
    local = [g["group"] for g in audited(path, "hour")["groups"]]
    utc = [g["group"] for g in audited(path, "hour", "UTC")["groups"]]
    assert local == ["Mon 09"]  # 09:05 to 09:50 in New York
    assert utc == ["Mon 14"]  # the same instants in UTC


def test_without_an_assigned_time_a_lead_is_owned_from_its_creation(tmp_path: Path) -> None:
    path = export(tmp_path)
    # the same export with no 'Owner assigned date': touches count from creation
    text = path.read_text().splitlines()
    stripped = [",".join(c for j, c in enumerate(line.split(",")) if j != 4) for line in text]
    path.write_text("\n".join(stripped) + "\n")
    summary = audited(path)
    assert summary["overall"]["time_to_assign"]["p50_seconds"] == 0
    # touched 11i minutes after creation (i for the owner, 10i to the touch): rank 4 of 7
    assert summary["overall"]["time_to_first_touch"]["p50_seconds"] == 44 * 60
