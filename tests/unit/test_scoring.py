"""A lead's score and tier from the policy's scoring rules."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.core.conditions import compile_condition
from leadflow.core.policy import ScoreRule, Scoring
from leadflow.core.scoring import score


def rule(name: str, kind: str, points: float, when: Any) -> ScoreRule:
    return ScoreRule(name, kind, points, compile_condition(when, {}))


ALWAYS = {"ok": True}
OK = {"ok": True}
RULES = (
    rule("big", "fit", 30, {"employees": {"gte": 1000}}),
    rule("healthcare", "fit", 20, {"industry": "healthcare"}),
    rule("demo", "intent", 40, {"form": "demo"}),
    rule("student", "fit", -50, {"title": {"contains": "student"}}),
)
TIERS = (("hot", 70), ("warm", 40), ("cold", 0))
SCORING = Scoring(RULES, TIERS, max=100)


@pytest.mark.parametrize(
    ("fields", "expected", "tier"),
    [
        ({"employees": 5000, "industry": "healthcare", "form": "demo"}, 90, "hot"),
        ({"employees": 5000, "industry": "healthcare", "form": "whitepaper"}, 50, "warm"),
        ({"employees": 10}, 0, "cold"),
        ({}, 0, "cold"),
    ],
)
def test_points_of_the_rules_that_hold_are_summed_and_tiered(
    fields: dict[str, Any], expected: float, tier: str
) -> None:
    result = score(fields, SCORING)
    assert (result.score, result.tier) == (expected, tier)


def test_the_record_names_every_rule_that_gave_points() -> None:
    result = score({"employees": 5000, "form": "demo"}, SCORING)
    assert result.record()["points"] == [
        {"rule": "big", "kind": "fit", "points": 30},
        {"rule": "demo", "kind": "intent", "points": 40},
    ]


def test_the_total_is_capped_at_the_maximum() -> None:
    generous = Scoring(
        (rule("a", "fit", 80, ALWAYS), rule("b", "intent", 80, ALWAYS)), TIERS, max=100
    )
    assert score(OK, generous).score == 100


def test_each_kind_is_capped_by_its_own_maximum_before_the_sum() -> None:
    capped = Scoring(
        (
            rule("a", "fit", 60, ALWAYS),
            rule("b", "fit", 30, ALWAYS),
            rule("c", "intent", 10, ALWAYS),
        ),
        TIERS,
        max=100,
        fit_max=50,
    )
    result = score(OK, capped)
    assert (result.fit, result.intent, result.score) == (50, 10, 60)


def test_negative_points_take_away_but_the_score_never_goes_below_zero() -> None:
    result = score({"title": "student", "form": "demo"}, SCORING)
    assert (result.score, result.fit, result.intent) == (0, -50, 40)


def test_a_score_below_every_threshold_has_no_tier() -> None:
    strict = Scoring(RULES, (("hot", 70),), max=100)
    assert score({}, strict).tier is None


def test_a_condition_on_a_missing_field_gives_no_points_rather_than_an_error() -> None:
    assert score({"employees": "many"}, SCORING).score == 0


def test_without_a_maximum_the_score_is_uncapped() -> None:
    unbounded = Scoring((rule("a", "fit", 500, ALWAYS),), TIERS, max=None)
    assert score(OK, unbounded).score == 500
