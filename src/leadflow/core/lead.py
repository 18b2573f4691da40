"""A lead as the core sees it: an id, its fields, and the reps who already had it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Lead:
    id: str
    fields: Mapping[str, Any]  # nested: {"account": {"owner": "alice"}} is read as account.owner
    previous_owners: frozenset[str] = frozenset()  # never routed back to any of them
    quality: Mapping[str, Any] | None = None  # what the steps before routing found, for the record
