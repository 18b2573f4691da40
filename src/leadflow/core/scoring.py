"""A lead's score and tier from the policy's `scoring` rules. Pure.

Every rule whose `when` holds adds its points to its kind (fit or intent); each kind is capped
by its own maximum if it has one, their sum by `max`, and the score never goes below zero
(negative points exist to take points away, not to make a debt). The tier is the first whose
threshold the score reaches, highest first.

Worked example, with fit rules `employees >= 1000: 30`, `industry = healthcare: 20`, an intent
rule `form = demo: 40`, `max: 100` and tiers hot 70 / warm 40 / cold 0: a 5,000-person hospital
asking for a demo gets fit 50 + intent 40 = 90, tier hot; the same hospital downloading a
whitepaper gets 50, tier warm. The `points` list in the result says which rules gave what, and
goes into the decision record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadflow.core.conditions import Facts
from leadflow.core.policy import Scoring


@dataclass(frozen=True, slots=True)
class Scored:
    score: float
    tier: str | None
    fit: float
    intent: float
    points: tuple[tuple[str, str, float], ...]  # (rule, kind, points) of every rule that held

    def record(self) -> dict[str, Any]:
        """The score as the decision record shows it: the total, its parts and their rules."""
        return {
            "score": self.score,
            "tier": self.tier,
            "fit": self.fit,
            "intent": self.intent,
            "points": [{"rule": r, "kind": k, "points": p} for r, k, p in self.points],
        }


def score(fields: Mapping[str, Any], scoring: Scoring) -> Scored:
    """Sum the points of the rules that hold for `fields`, capped; and the tier it reaches."""
    facts = Facts(fields)
    totals = {"fit": 0.0, "intent": 0.0}
    points: list[tuple[str, str, float]] = []
    for rule in scoring.rules:
        if rule.when.holds(facts):
            totals[rule.kind] += rule.points
            points.append((rule.name, rule.kind, rule.points))
    fit = _capped(totals["fit"], scoring.fit_max)
    intent = _capped(totals["intent"], scoring.intent_max)
    total = max(0.0, _capped(fit + intent, scoring.max))
    return Scored(
        _plain(total), tier_of(total, scoring), _plain(fit), _plain(intent), tuple(points)
    )


def tier_of(total: float, scoring: Scoring) -> str | None:
    """The first tier (highest threshold first) that `total` reaches; None below them all."""
    for name, threshold in scoring.tiers:
        if total >= threshold:
            return name
    return None


def _capped(value: float, cap: float | None) -> float:
    return value if cap is None else min(value, cap)


def _plain(value: float) -> float:
    """Whole scores as ints (80, not 80.0): they are shown to people and compared in rules."""
    return int(value) if float(value).is_integer() else value
