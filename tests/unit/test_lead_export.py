"""The cells of the lead list's CSV export: a lead's text never runs as a formula, and the
values leadflow writes (times, scores) read the same in every tool."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from leadflow.console.pages.leads import export_cell


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example","Click")',
        "+1 555 0100",
        "-x",
        "@SUM(A1:A9)",
        "\t=1",
        "\r=1",
    ],
)
def test_a_lead_s_text_that_a_spreadsheet_would_run_is_written_as_text(text: str) -> None:
    assert export_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Ana Souza", "a=b", "Zoë@x.com", ""])
def test_other_text_is_written_as_it_is(text: str) -> None:
    assert export_cell(text) == text


def test_an_instant_is_iso_8601_in_utc() -> None:
    berlin = timezone(timedelta(hours=1))
    assert export_cell(datetime(2026, 12, 7, 15, 2, tzinfo=berlin)) == "2026-12-07T14:02:00Z"


def test_a_whole_score_has_no_decimal_point_and_a_negative_one_stays_a_number() -> None:
    assert (export_cell(72.0), export_cell(-5.0), export_cell(72.5)) == (72, -5, 72.5)


def test_a_name_sent_as_a_list_is_written_as_text() -> None:
    assert export_cell(["Ana", "Souza"]) == "['Ana', 'Souza']"


def test_nothing_is_an_empty_cell() -> None:
    assert export_cell(None) == ""


def test_an_instant_in_utc_keeps_its_seconds() -> None:
    assert export_cell(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
