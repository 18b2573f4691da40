"""`/api/v1/reports`: the summary and its tables over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import API
from databases import FixedClock

WEEK = {"from": "2026-11-23", "to": "2026-11-29", "tz": "America/New_York"}


def test_the_summary_names_its_key_figures_as_the_contract_says(
    client: TestClient,
    admin: dict[str, str],
    post_lead: Callable[..., dict[str, Any]],
) -> None:
    post_lead(source="web")
    got = client.get(f"{API}/reports/summary", params=WEEK, headers=admin)
    assert got.status_code == 200, got.text
    overall = got.json()["overall"]
    for name in ("leads", "assigned", "sla_met_share", "meeting_share", "won_share"):
        assert name in overall
    assert "reassigned_share" in overall
    for timing in ("time_to_assign", "time_to_first_touch"):
        assert {"p50_seconds", "p90_seconds", "p99_seconds"} <= set(overall[timing])
    assert (overall["leads"], overall["assigned"]) == (1, 1)


def test_grouped_by_source_each_source_is_a_group(
    client: TestClient,
    admin: dict[str, str],
    post_lead: Callable[..., dict[str, Any]],
    clock: FixedClock,
) -> None:
    for source in ("web", "web", "event"):
        post_lead(source=source, email=f"{source}{clock.now.timestamp()}@example.com")
        clock.advance(seconds=1)
    got = client.get(
        f"{API}/reports/summary", params={**WEEK, "group_by": "source"}, headers=admin
    ).json()
    assert {g["group"]: g["figures"]["leads"] for g in got["groups"]} == {"web": 2, "event": 1}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({**WEEK, "from": "2026-11-30"}, "from"),
        ({**WEEK, "tz": "Mars/Olympus"}, "tz"),
        ({**WEEK, "group_by": "colour"}, "group_by"),
        ({**WEEK, "colour": "red"}, "colour"),
        ({**WEEK, "bucket": "hour"}, "bucket"),
    ],
)
def test_a_bad_parameter_is_a_422_naming_it(
    client: TestClient, admin: dict[str, str], params: dict[str, str], field: str
) -> None:
    got = client.get(f"{API}/reports/summary", params=params, headers=admin)
    assert got.status_code == 422, got.text
    assert got.json()["error"]["field"] == field


def test_a_rep_key_may_not_read_reports(
    client: TestClient, make_key: Callable[..., dict[str, str]], policy: int
) -> None:
    rep = make_key("rep", "alice")
    assert client.get(f"{API}/reports/summary", params=WEEK, headers=rep).status_code == 403


def test_a_table_as_csv_writes_a_formula_like_group_as_text(
    client: TestClient,
    admin: dict[str, str],
    post_lead: Callable[..., dict[str, Any]],
) -> None:
    post_lead(source='=HYPERLINK("http://evil.example")')
    got = client.get(
        f"{API}/reports/speed",
        params={**WEEK, "group_by": "source", "format": "csv"},
        headers=admin,
    )
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(got.text)))
    assert rows[0]["source"] == '\'=HYPERLINK("http://evil.example")'
    assert rows[0]["leads"] == "1"


def test_an_unknown_table_is_a_422_naming_the_tables(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    got = client.get(f"{API}/reports/colours", params=WEEK, headers=admin)
    assert got.status_code == 422
    assert "speed" in got.json()["error"]["message"]


def test_a_won_events_value_reaches_the_reports(
    client: TestClient,
    admin: dict[str, str],
    post_lead: Callable[..., dict[str, Any]],
) -> None:
    deals = [1200.0, 800.5]
    for value in deals:
        lead = post_lead()
        won = {"type": "won", "value": value}
        answer = client.post(f"{API}/leads/{lead['id']}/events", json=won, headers=admin)
        assert answer.status_code == 200, answer.text
    post_lead()  # not won
    overall = client.get(f"{API}/reports/summary", params=WEEK, headers=admin).json()["overall"]
    assert (overall["won_value"], overall["funnel"]["won"]["count"]) == (sum(deals), 2)


def test_a_value_on_another_event_or_a_misspelt_one_is_a_422_naming_it(
    client: TestClient,
    admin: dict[str, str],
    post_lead: Callable[..., dict[str, Any]],
) -> None:
    lead = post_lead()
    path = f"{API}/leads/{lead['id']}/events"
    answer = client.post(path, json={"type": "contacted", "value": 5}, headers=admin)
    assert (answer.status_code, answer.json()["error"]["field"]) == (422, "value")
    answer = client.post(path, json={"type": "won", "vaule": 5}, headers=admin)
    assert answer.status_code == 422
    (entry,) = answer.json()["error"]["fields"]
    assert entry["field"] == "vaule" and "did you mean 'value'?" in entry["message"]
    timeline = client.get(f"{API}/leads/{lead['id']}", headers=admin).json()["timeline"]
    assert [e["type"] for e in timeline if e["type"] in ("contacted", "won")] == []
