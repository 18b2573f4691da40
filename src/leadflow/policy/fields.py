"""The fields a lead can have, so that a policy reading one that no lead has is warned about.

A condition on a missing field is false, never an error (the core's rule), so `contry: [US, CA]`
is legal and never matches: the rule is dead and nothing says so. A lead's fields come from
three places, and a field none of them provides is a warning (with a guess for a typo):

- the lead's own fields (`LEAD_FIELDS`, the API's lead schema) and the ones the steps before
  routing add: `email_domain`, `region`, `timezone`, ... (normalize), `score` and `tier`
  (scoring); `account.ANY`: the API takes an `account` object as sent, and an accepted match
  fills `account.owner`, `account.tier`, ...;
- an intake mapping's targets (`to: budget` provides `budget`);
- `custom.ANY`: what a source sends that no mapping names is kept under `custom`.

A warning, not an error: the API also takes fields it does not know at the top level, and a
policy may be published before the form that sends a new field.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from leadflow.policy.yamlpos import Path
from leadflow.quality.mapping import LEAD_FIELDS

# What the steps before routing write (quality.normalize, core.scoring): docs/quality.md.
ADDED_FIELDS = frozenset(
    {
        "email_domain", "email_free", "email_disposable", "company_domain", "phone_extension",
        "region", "timezone", "employees_range", "tier",
    }
)  # fmt: skip
OPEN = ("custom.", "account.")  # objects whose inner names a sender chooses
_GROUPING = frozenset({"all", "any", "not", "territory"})


class LeadFields:
    """The field paths a lead may have under one policy: its intake mappings' targets added."""

    def __init__(self, mapping_targets: Iterable[str]) -> None:
        paths = set(LEAD_FIELDS | ADDED_FIELDS)
        for target in mapping_targets:
            parts = target.split(".")
            paths.update(".".join(parts[: n + 1]) for n in range(len(parts)))  # and its parents
        paths.update({"account", "custom"})
        self.paths = frozenset(paths)
        self._guesses = sorted(paths - {"account", "custom"})

    def missing(self, path: str) -> str | None:
        """None when a lead may have `path`; else what to say after "reads 'path'"."""
        if path in self.paths or path.startswith(OPEN):
            return None
        message = ", which no lead field, intake mapping or custom. path provides"
        close = difflib.get_close_matches(path, self._guesses, n=1)
        if close:
            return f"{message}; did you mean {close[0]}?"
        return f"{message} (a source that sends it: name it in that source's intake mapping)"


def condition_fields(data: Any, at: Path) -> Iterator[tuple[Path, str]]:
    """Each field a condition reads, with the path of its key in the policy document.

    `territory: NAME` reads the territory's fields: those are reported at the territory.
    """
    if not isinstance(data, Mapping):
        return
    for key, value in data.items():
        where: Path = (*at, key)
        if key in ("all", "any") and isinstance(value, Sequence) and not isinstance(value, str):
            for i, inner in enumerate(value):
                yield from condition_fields(inner, (*where, i))
        elif key == "not":
            yield from condition_fields(value, where)
        elif isinstance(key, str) and key not in _GROUPING:
            yield where, key
