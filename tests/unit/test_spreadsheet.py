"""CSV cells that a spreadsheet would run as formulas are written as text."""

from __future__ import annotations

import pytest

from leadflow.spreadsheet import csv_lines, safe_cell


@pytest.mark.parametrize("text", ["=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_starts_a_formula_gets_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Acme", "a=b", 3, -3, 0.5])
def test_other_cells_and_numbers_are_written_as_they_are(value: object) -> None:
    assert safe_cell(value) == value


def test_none_is_an_empty_cell() -> None:
    assert safe_cell(None) == ""


def test_csv_lines_guard_the_header_and_every_row() -> None:
    lines = list(csv_lines(["name", "=x"], [["=cmd", 1], ["ok", -1]]))
    assert lines == ["name,'=x\r\n", "'=cmd,1\r\n", "ok,-1\r\n"]
