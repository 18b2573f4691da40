"""CSV that a spreadsheet opens safely: a cell that would start a formula is written as text.

Excel, LibreOffice and Google Sheets run a cell that begins with `=`, `+`, `-`, `@`, a tab or a
carriage return as a formula (CSV injection: `=HYPERLINK(...)` in a lead's name). Such a cell is
written with a leading apostrophe, which every spreadsheet shows as text and does not display.
Numbers are written as numbers: `-3` stays a number, only text is guarded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """The value as a CSV cell a spreadsheet shows as it is."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def csv_lines(columns: Sequence[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """The header and each row as CSV text, one line at a time (for a streamed answer)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def line(cells: Iterable[Any]) -> str:
        writer.writerow(list(cells))
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(safe_cell(c) for c in columns)
    for row in rows:
        yield line(safe_cell(v) for v in row)
