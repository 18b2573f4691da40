"""What a lead is found by in the console's search: its email, name and company, folded.

`leads.search` holds, one per line, the lead's email, "first last" and company, in lower case
with accents dropped (`Zoë Müller` is found by `zoe muller`), from the cleaned fields and, where
the cleaning changed or dropped a value, as received too. A search is a substring match on it
(`LIKE '%acme%'`), the same on SQLite and PostgreSQL.

Why a column and not the JSON: a LIKE over `json_extract(fields, ...)` parses 100,000 JSON
documents for every search (~90 ms on SQLite); the column is narrow and indexed, so SQLite scans
the index instead of the table and finds the matching leads in a few milliseconds (see
`service.queries`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

SEARCH_SIZE = 1000  # the column's length: a longer text (a bot's name) is cut
NAME_PARTS = ("first_name", "last_name")


def folded(text: str) -> str:
    """Lower case, accents dropped, runs of white space as one space: how text is compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.split())


def search_text(*sources: Mapping[str, Any]) -> str | None:
    """The lines a lead is found by, from its field mappings (cleaned first, then as received).

    >>> search_text({"email": "Ana@X.com", "first_name": "Ana", "last_name": "Souza"})
    'ana@x.com\\nana souza'
    """
    lines: list[str] = []
    for source in sources:
        name = " ".join(_text(source.get(part)) for part in NAME_PARTS).strip()
        for value in (_text(source.get("email")), name, _text(source.get("company"))):
            line = folded(value)
            if line and line not in lines:
                lines.append(line)
    return "\n".join(lines)[:SEARCH_SIZE] or None


def like_pattern(query: str) -> str | None:
    """The LIKE pattern (escape character `\\`) that finds `query` anywhere; None for blank."""
    needle = folded(query)
    if not needle:
        return None
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
