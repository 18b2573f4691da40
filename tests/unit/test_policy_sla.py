"""Checking the `sla` section of a policy: each error and warning at its line, and what compiles."""

from __future__ import annotations

import pytest

from leadflow.core.policy import Policy, SlaTier
from leadflow.policy import check_policy

Found = tuple[int | None, int | None, str]  # line, column, message

# The tiers go at line 14, indented by two spaces.
BASE = """\
version: 1
timezone: UTC
reps:
  - {{id: alice, name: Alice, manager: mia}}
  - {{id: mia, name: Mia}}
pools:
  general: {{strategy: round_robin, members: [alice]}}
fallback: general
channels:
  mail: {{type: email}}
notify:
  - {{events: [sla.breached], to: manager, via: mail}}
sla:
{sla}
"""


def problems(sla: str, severity: str, base: str = BASE) -> list[Found]:
    _, found = check_policy(base.format(sla=sla))
    return [(p.line, p.column, p.message) for p in found if p.severity == severity]


def errors(sla: str) -> list[Found]:
    return problems(sla, "error")


def warnings(sla: str, base: str = BASE) -> list[Found]:
    return problems(sla, "warning", base)


def compiled(sla: str) -> Policy:
    policy, found = check_policy(BASE.format(sla=sla))
    assert policy is not None, found
    return policy


def only_tier(sla: str) -> SlaTier:
    (tier,) = compiled(sla).sla
    return tier


# What compiles


def test_a_policy_without_an_sla_section_has_no_tiers() -> None:
    policy, found = check_policy(BASE.format(sla="").replace("sla:\n", ""))
    assert policy is not None and (policy.sla, found) == ((), [])


def test_the_tiers_compile_in_their_order() -> None:
    sla = "  - {name: hot, when: {score: {gte: 80}}, first_touch: 5m}\n"
    sla += "  - {name: default, first_touch: 1h}"
    assert [t.name for t in compiled(sla).sla] == ["hot", "default"]


def test_durations_compile_to_seconds() -> None:
    tier = only_tier("  - {name: t, first_touch: 1h30m, remind: [45m, 1h]}")
    assert (tier.first_touch, tier.remind) == (5400, (2700, 3600))


def test_reminders_are_kept_in_ascending_order() -> None:
    assert only_tier("  - {name: t, first_touch: 1h, remind: [45m, 15m]}").remind == (900, 2700)


def test_a_tier_counts_wall_time_unless_it_asks_for_business_hours() -> None:
    assert only_tier("  - {name: t, first_touch: 1h}").business_hours is False


def test_a_tier_can_count_business_hours() -> None:
    tier = only_tier("  - {name: t, first_touch: 1h, business_hours: true}")
    assert tier.business_hours is True


def test_a_tier_keeps_its_condition() -> None:
    tier = only_tier("  - {name: t, when: {score: {gte: 80}}, first_touch: 1h}")
    assert tier.when is not None and tier.when.test({"score": 90})


def test_a_tier_without_a_condition_has_none() -> None:
    assert only_tier("  - {name: t, first_touch: 1h}").when is None


def test_the_breach_actions_compile_to_a_set() -> None:
    tier = only_tier("  - {name: t, first_touch: 1h, on_breach: [reassign, notify_manager]}")
    assert tier.on_breach == {"reassign", "notify_manager"}


def test_a_reassigning_tier_without_a_max_reassigns_once() -> None:
    assert only_tier("  - {name: t, first_touch: 1h, on_breach: [reassign]}").max_reassignments == 1


def test_a_tier_that_does_not_reassign_has_no_reassignments() -> None:
    tier = only_tier("  - {name: t, first_touch: 1h, on_breach: [notify_manager]}")
    assert tier.max_reassignments == 0


def test_max_reassignments_may_be_zero_to_escalate_at_the_first_breach() -> None:
    sla = "  - {name: t, first_touch: 1h, on_breach: [reassign], max_reassignments: 0}"
    assert only_tier(sla).max_reassignments == 0


def test_the_example_of_the_issue_has_no_problems() -> None:
    sla = """\
  - name: hot
    when: {score: {gte: 80}}
    first_touch: 5m
    business_hours: true
    remind: [3m]
    on_breach: [reassign, notify_manager]
    max_reassignments: 2
  - name: default
    first_touch: 1h
    remind: [45m]
    on_breach: [notify_manager]"""
    assert errors(sla) + warnings(sla) == []


# Errors


def test_a_duration_that_cannot_be_read_is_an_error_that_names_the_field() -> None:
    assert errors("  - {name: hot, first_touch: 5 minutes}") == [
        (
            14,
            30,
            "sla tier 'hot': first_touch: expected a duration such as 30s, 5m, 2h, 1d or 1h30m, "
            "got '5 minutes'",
        )
    ]


def test_a_zero_duration_is_an_error() -> None:
    assert errors("  - {name: hot, first_touch: 0s}") == [
        (14, 30, "sla tier 'hot': first_touch: a duration must be longer than zero, got '0s'")
    ]


def test_a_negative_duration_is_an_error() -> None:
    (found,) = errors("  - {name: hot, first_touch: -5m}")
    assert found[2].startswith("sla tier 'hot': first_touch: expected a duration such as")


def test_a_number_without_a_unit_is_an_error() -> None:
    assert errors("  - {name: hot, first_touch: 300}") == [
        (14, 30, "expected a duration such as 30s, 5m, 2h, 1d or 1h30m, got the number 300")
    ]


def test_a_missing_first_touch_is_an_error() -> None:
    assert errors("  - {name: hot}") == [
        (14, 5, "missing required key 'first_touch' in an sla tier")
    ]


def test_a_reminder_that_cannot_be_read_is_an_error_at_the_reminder() -> None:
    assert errors("  - {name: hot, first_touch: 1h, remind: [10m, soon]}") == [
        (
            14,
            48,
            "sla tier 'hot': remind: expected a duration such as 30s, 5m, 2h, 1d or 1h30m, "
            "got 'soon'",
        )
    ]


def test_a_reminder_not_shorter_than_the_first_touch_is_an_error() -> None:
    assert errors("  - {name: hot, first_touch: 1h, remind: [60m]}") == [
        (14, 43, "sla tier 'hot': reminder 60m is not before the first touch deadline (1h)")
    ]


def test_an_unknown_breach_action_is_an_error_that_lists_the_actions() -> None:
    assert errors("  - {name: hot, first_touch: 1h, on_breach: [escalate]}") == [
        (14, 46, "expected 'reassign' or 'notify_manager', got 'escalate'")
    ]


def test_a_negative_max_reassignments_is_an_error() -> None:
    sla = "  - {name: hot, first_touch: 1h, on_breach: [reassign], max_reassignments: -1}"
    assert errors(sla) == [(14, 76, "expected 0 or more, got the number -1")]


def test_a_tier_name_used_twice_is_an_error() -> None:
    sla = "  - {name: hot, first_touch: 1h}\n  - {name: hot, first_touch: 2h, when: {score: 1}}"
    assert errors(sla) == [(15, 12, "duplicate sla tier name 'hot' (first at line 14)")]


def test_a_bad_condition_is_an_error_inside_it() -> None:
    assert errors("  - {name: hot, when: {score: {above: 80}}, first_touch: 1h}") == [
        (
            14,
            32,
            "sla tier 'hot': unknown operator 'above' (expected one of eq, ne, in, not_in, gt, "
            "gte, lt, lte, between, contains, starts_with, ends_with, matches, exists)",
        )
    ]


def test_a_misspelt_key_in_a_tier_is_an_error_with_a_guess() -> None:
    ((line, column, message),) = errors("  - {name: hot, first_tuch: 1h, first_touch: 1h}")
    assert (line, column) == (14, 17)
    assert message.startswith(
        "unknown key 'first_tuch' in an sla tier; did you mean 'first_touch'?"
    )


def test_a_broken_tier_does_not_hide_the_errors_of_the_next() -> None:
    sla = "  - {name: a, first_touch: soon}\n  - {name: b, first_touch: 1h, remind: [2h]}"
    assert [(line, column) for line, column, _ in errors(sla)] == [(14, 28), (15, 41)]


# Warnings


def test_a_tier_after_one_without_a_condition_is_never_reached() -> None:
    sla = "  - {name: default, first_touch: 1h}\n  - {name: hot, when: {score: 1}, first_touch: 5m}"
    assert warnings(sla) == [
        (
            15,
            12,
            "sla tier 'hot' is never reached: tier 'default' before it has no 'when' "
            "and applies to every lead",
        )
    ]


def test_max_reassignments_without_reassign_is_a_warning() -> None:
    sla = "  - {name: hot, first_touch: 1h, on_breach: [notify_manager], max_reassignments: 2}"
    assert warnings(sla) == [
        (
            14,
            63,
            "sla tier 'hot': max_reassignments has no effect without 'reassign' in on_breach",
        )
    ]


NO_ROUTE_TO_MANAGER = BASE.replace("to: manager", "to: owner")


def test_a_tier_that_notifies_the_manager_without_a_route_to_a_manager_is_a_warning() -> None:
    sla = "  - {name: hot, first_touch: 1h, on_breach: [notify_manager]}"
    assert warnings(sla, NO_ROUTE_TO_MANAGER) == [
        (
            14,
            34,
            "sla tier 'hot' notifies the manager, but no notify route sends sla.breached "
            "to: manager, so no manager is told",
        )
    ]


def test_a_reassigning_tier_without_a_route_to_a_manager_is_a_warning_as_it_escalates() -> None:
    sla = "  - {name: hot, first_touch: 1h, on_breach: [reassign], max_reassignments: 2}"
    assert [w[2] for w in warnings(sla, NO_ROUTE_TO_MANAGER)] == [
        "sla tier 'hot' escalates to the manager when its reassignments run out, but no notify "
        "route sends sla.breached to: manager, so no manager is told"
    ]


def test_a_route_to_a_manager_for_other_events_does_not_count_for_breaches() -> None:
    base = BASE.replace("events: [sla.breached]", "events: [sla.reminder]")
    sla = "  - {name: hot, first_touch: 1h, on_breach: [notify_manager]}"
    assert len(warnings(sla, base)) == 1


def test_a_tier_that_only_counts_time_needs_no_route_to_a_manager() -> None:
    assert warnings("  - {name: hot, first_touch: 1h}", NO_ROUTE_TO_MANAGER) == []


@pytest.mark.parametrize("value", ["[]", "[notify_manager]"])
def test_a_tier_that_notifies_with_a_route_to_a_manager_has_no_warning(value: str) -> None:
    assert warnings(f"  - {{name: hot, first_touch: 1h, on_breach: {value}}}") == []
