"""The SLA part of a simulation's summary: per tier, how many leads met their first-touch SLA.

Each lead counts once, under the tier its first clock started with, by how its SLA ended:

- ``met``: touched before the deadline of its first owner's clock;
- ``breached``: a deadline passed first (a lead that missed its SLA once stays breached, as
  live, even when a new owner then touches it in time: that is ``met_after_reassignment``);
- ``pending``: its clock was still running when the replay ended;
- ``closed_before_touch``: closed (a ``closed`` status, or a close before the history's
  first touch) while its clock ran, untouched.

The share met is met / (met + breached): pending and closed leads have no verdict. Times to
first touch run from the lead's first assignment to the touch, in wall time and in the
owner's working time, over every touched lead, late ones included. Reassignments, escalations
and managers told count what the policy would have done, as often as it would have done it.

Without `sla` in the policy, or without any first touch in the history, nothing is measured,
and the summary says so and why, rather than showing a share of 0%.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from rich.console import Console
from rich.table import Table

from leadflow.core.policy import Policy

NO_SLA = "the policy has no sla tiers"
NO_TOUCHES = (
    "the history has no first touches: no first_touch_at with the leads, and no lead.status "
    "event of contacted, meeting_booked, qualified, disqualified, won or lost"
)


@dataclass(slots=True)
class TierFigures:
    """The counts of one tier; the medians' samples are kept as counts of each duration."""

    leads: int = 0
    met: int = 0
    breached: int = 0
    pending: int = 0
    closed_before_touch: int = 0
    met_after_reassignment: int = 0
    reassignments: int = 0
    to_overflow: int = 0  # reassignments after they ran out: to the overflow or the fallback
    not_reassigned: int = 0  # a breach that would move the lead, but nobody could take it
    escalations: int = 0
    managers_told: int = 0
    to_touch: Counter[float] = field(default_factory=Counter)  # wall seconds -> leads
    to_touch_business: Counter[float] = field(default_factory=Counter)

    def add(self, other: TierFigures) -> None:
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, Counter):
                mine.update(theirs)
            else:
                setattr(self, f.name, mine + theirs)

    def to_dict(self) -> dict[str, Any]:
        decided = self.met + self.breached
        return {
            "leads": self.leads,
            "met": self.met,
            "breached": self.breached,
            "met_percent": round(self.met / decided * 100, 2) if decided else None,
            "pending": self.pending,
            "closed_before_touch": self.closed_before_touch,
            "touched": self.to_touch.total(),
            "median_to_first_touch_seconds": _median(self.to_touch),
            "median_to_first_touch_business_seconds": _median(self.to_touch_business),
            "reassignments": self.reassignments,
            "reassignments_to_overflow": self.to_overflow,
            "not_reassigned": self.not_reassigned,
            "met_after_reassignment": self.met_after_reassignment,
            "escalations": self.escalations,
            "managers_told": self.managers_told,
        }


@dataclass
class SlaReport:
    """Per-tier SLA figures of a simulation, or why none were measured (`not_measured`)."""

    policy: Policy
    not_measured: str | None = None
    tiers: dict[str, TierFigures] = field(init=False)

    def __post_init__(self) -> None:
        self.tiers = {tier.name: TierFigures() for tier in self.policy.sla}

    def overall(self) -> TierFigures:
        total = TierFigures()
        for figures in self.tiers.values():
            total.add(figures)
        return total

    def to_dict(self) -> dict[str, Any]:
        if self.not_measured is not None:
            return {"measured": False, "why_not": self.not_measured}
        return {
            "measured": True,
            "tiers": {name: figures.to_dict() for name, figures in self.tiers.items()},
            "overall": self.overall().to_dict(),
        }

    def render(self, console: Console) -> None:
        """A table with a column per tier and one for all; rare counts only when not zero."""
        if self.not_measured is not None:
            console.print(f"SLA: not measured: {self.not_measured}.", highlight=False)
            return
        columns = [f.to_dict() for f in self.tiers.values()]
        columns.append(self.overall().to_dict())
        table = Table(
            "", *self.tiers, "all tiers", title="SLA: first touch (touch times from the history)"
        )
        for key, label in _ROWS:
            if key in _RARE and not columns[-1][key]:
                continue
            show = _SHOW.get(key, str)
            table.add_row(label, *(show(column[key]) for column in columns))
        console.print(table)


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share:.1f}%"


_ROWS = (
    ("leads", "Leads"),
    ("met", "Met"),
    ("breached", "Breached"),
    ("met_percent", "Met %"),
    ("pending", "Still within the SLA at the end"),
    ("closed_before_touch", "Closed before a first touch"),
    ("median_to_first_touch_seconds", "Median time to first touch"),
    ("median_to_first_touch_business_seconds", "  in working time"),
    ("reassignments", "Reassignments"),
    ("reassignments_to_overflow", "  to the overflow or fallback"),
    ("not_reassigned", "  nobody else could take the lead"),
    ("met_after_reassignment", "Touched in time by a new owner"),
    ("escalations", "Escalations"),
    ("managers_told", "Managers told"),
)
_RARE = frozenset(
    {
        "pending",
        "closed_before_touch",
        "reassignments_to_overflow",
        "not_reassigned",
        "met_after_reassignment",
    }
)


def _median(samples: Counter[float]) -> float | None:
    """The median of samples kept as value -> count; the mean of the middle two when even."""
    n = samples.total()
    if not n:
        return None
    middle = ((n - 1) // 2, n // 2)  # positions in the sorted samples
    found: list[float] = []
    seen = 0
    for value in sorted(samples):
        seen += samples[value]
        while len(found) < 2 and seen > middle[len(found)]:
            found.append(value)
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2


def human_duration(seconds: float | None) -> str:
    """A duration for a summary table, rounded to the unit that reads best: 45s, 12m, 3.5h, 2.1d."""
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86400:.1f}d"


_SHOW: dict[str, Callable[[Any], str]] = {
    "met_percent": _percent,
    "median_to_first_touch_seconds": human_duration,
    "median_to_first_touch_business_seconds": human_duration,
}
