"""The policy's sections before routing: intake, junk, dedupe, accounts, scoring."""

from __future__ import annotations

from leadflow.core.policy import Policy
from leadflow.policy import check_policy

Found = tuple[int | None, str]  # line, message

# The quality sections start at line 7.
BASE = """\
version: 1
timezone: UTC
reps:
  - {{id: alice, name: Alice}}
pools:
  general: {{strategy: round_robin, members: [alice]}}
fallback: general
{extra}
"""


def compiled(extra: str) -> Policy:
    policy, found = check_policy(BASE.format(extra=extra))
    assert policy is not None, found
    return policy


def errors(extra: str) -> list[Found]:
    _, found = check_policy(BASE.format(extra=extra))
    return [(p.line, p.message) for p in found if p.severity == "error"]


def warnings(extra: str) -> list[Found]:
    _, found = check_policy(BASE.format(extra=extra))
    return [(p.line, p.message) for p in found if p.severity == "warning"]


def test_a_policy_without_quality_sections_merges_nothing_and_scores_nothing() -> None:
    policy = compiled("")
    assert (policy.dedupe, policy.scoring, dict(policy.intake)) == (None, None, {})


def test_a_policy_without_a_junk_section_screens_unreachable_leads() -> None:
    assert compiled("").junk.unreachable is True


def test_a_junk_section_that_does_not_name_unreachable_screens_them_too() -> None:
    assert compiled("junk:\n  honeypots: [fax]\n").junk.unreachable is True


def test_unreachable_false_turns_the_screen_off() -> None:
    assert compiled("junk:\n  unreachable: false\n").junk.unreachable is False


def test_unreachable_given_as_text_is_an_error_at_its_line() -> None:
    found = errors("junk:\n  unreachable: 'no'\n")
    assert len(found) == 1 and found[0][0] == 9, found


def test_an_intake_mapping_compiles_its_fields_and_transforms() -> None:
    policy = compiled(
        "intake:\n  typeform:\n    fields:\n      Work email: email\n"
        "      Team size: {to: employees, transform: number}\n"
    )
    mapping = policy.intake["typeform"]
    assert (mapping.fields["Work email"].to, mapping.fields["Team size"].transform) == (
        "email",
        "number",
    )


def test_an_unknown_transform_is_an_error_at_its_line_naming_the_known_ones() -> None:
    found = errors(
        "intake:\n  typeform:\n    fields:\n      Size: {to: employees, transform: nmber}\n"
    )
    assert len(found) == 1
    line, message = found[0]
    assert line == 11 and "unknown transform 'nmber'" in message and "number" in message


def test_junk_rules_compile_domains_folded_and_patterns_compiled() -> None:
    junk = compiled(
        "junk:\n  honeypots: website_url\n  refuse_disposable: true\n"
        "  blocked_domains: [WWW.Rival.com]\n  blocked_patterns: {email: '^test@'}\n"
    ).junk
    assert junk.honeypots == ("website_url",)
    assert junk.refuse_disposable and junk.blocked_domains == frozenset({"rival.com"})
    assert [(f, p.pattern) for f, p in junk.blocked_patterns] == [("email", "^test@")]


def test_a_blocked_pattern_that_is_not_a_regular_expression_is_an_error_at_its_line() -> None:
    found = errors("junk:\n  blocked_patterns:\n    email: '(unclosed'\n")
    assert [line for line, _ in found] == [10]
    assert "not a regular expression" in found[0][1]


def test_a_blocked_domain_that_is_not_a_domain_is_an_error() -> None:
    found = errors("junk:\n  blocked_domains: [localhost]\n")
    assert len(found) == 1 and "'localhost' is not a domain" in found[0][1]


def test_dedupe_window_is_a_duration_and_its_identities_a_choice() -> None:
    dedupe = compiled("dedupe: {window: 30d, by: [email, phone]}").dedupe
    assert dedupe is not None
    assert (dedupe.window, dedupe.by) == (30 * 86400, frozenset({"email", "phone"}))


def test_dedupe_by_an_unknown_identity_is_an_error() -> None:
    found = errors("dedupe: {window: 7d, by: [fax]}")
    assert len(found) == 1 and "fax" in found[0][1]


def test_a_dedupe_window_without_a_unit_is_an_error() -> None:
    assert errors("dedupe: {window: 30}")


def test_account_thresholds_must_not_cross() -> None:
    found = errors("accounts: {accept: 0.8, review: 0.9}")
    assert len(found) == 1 and "review (0.9) must not be above accept (0.8)" in found[0][1]


def test_account_thresholds_default_when_the_section_is_absent() -> None:
    matching = compiled("").matching
    assert (matching.accept, matching.review) == (0.92, 0.80)


SCORING = """\
scoring:
  max: 100
  fit:
    - {name: big, when: {employees: {gte: 1000}}, points: 30}
  intent:
    - {name: demo, when: {form: demo}, points: 50}
  tiers: {cold: 0, hot: 70, warm: 40}
"""


def test_scoring_compiles_rules_by_kind_and_tiers_highest_first() -> None:
    scoring = compiled(SCORING).scoring
    assert scoring is not None
    assert [(r.name, r.kind, r.points) for r in scoring.rules] == [
        ("big", "fit", 30),
        ("demo", "intent", 50),
    ]
    assert scoring.tiers == (("hot", 70), ("warm", 40), ("cold", 0))


def test_a_scoring_rule_without_when_is_an_error() -> None:
    found = errors("scoring:\n  fit:\n    - {name: all, points: 5}\n  tiers: {hot: 1}\n")
    assert len(found) == 1 and "has no 'when'" in found[0][1]


def test_a_scoring_rule_with_a_broken_condition_is_an_error_naming_the_rule() -> None:
    found = errors("scoring:\n  fit:\n    - {name: big, when: {employees: {gtee: 5}}, points: 5}\n")
    assert len(found) == 1 and "scoring rule 'big'" in found[0][1]


def test_two_scoring_rules_with_one_name_is_an_error() -> None:
    extra = (
        "scoring:\n  fit:\n    - {name: a, when: {x: 1}, points: 5}\n"
        "  intent:\n    - {name: a, when: {y: 1}, points: 5}\n  tiers: {hot: 1}\n"
    )
    found = errors(extra)
    assert len(found) == 1 and "duplicate scoring rule name 'a'" in found[0][1]


def test_a_tier_above_the_maximum_score_is_a_warning() -> None:
    found = warnings("scoring:\n  max: 50\n  fit: []\n  tiers: {hot: 70}\n")
    assert any("tier 'hot' needs 70, above the maximum score 50" in m for _, m in found)


def test_points_given_as_text_are_refused() -> None:
    found = errors("scoring:\n  fit:\n    - {name: a, when: {x: 1}, points: '5'}\n")
    assert len(found) == 1 and "expected a number" in found[0][1]


def test_an_unknown_key_in_the_junk_section_names_the_expected_ones() -> None:
    found = errors("junk:\n  honeypot: [hp]\n")
    assert len(found) == 1 and "did you mean 'honeypots'" in found[0][1]
