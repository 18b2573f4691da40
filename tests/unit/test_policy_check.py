"""Checking a policy: each error and warning at its line and column; `leadflow policy check`."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadflow.cli_policy import policy_app
from leadflow.policy import Problem, check_policy, load_policy
from leadflow.policy.fields import LeadFields
from leadflow.quality.pipeline import prepare

Found = tuple[int | None, int | None, str]  # line, column, message


def problems(yaml: str, severity: str) -> list[Found]:
    _, found = check_policy(textwrap.dedent(yaml))
    return [(p.line, p.column, p.message) for p in found if p.severity == severity]


def errors(yaml: str) -> list[Found]:
    return problems(yaml, "error")


def warnings(yaml: str) -> list[Found]:
    return problems(yaml, "warning")


def only_error(yaml: str) -> Found:
    found = errors(yaml)
    assert len(found) == 1, found
    return found[0]


# Reading the file


def test_a_yaml_syntax_error_is_one_error_at_pyyaml_position() -> None:
    line, column, message = only_error(
        """\
        version: 1
        reps: [alice, bob
        pools: {}
        """
    )
    assert (line, column) == (3, 6)
    assert message.startswith("invalid YAML: expected ',' or ']', but got ':'")


def test_a_control_character_is_an_error_at_its_position() -> None:
    assert only_error("version: 1\nname: a\x07b\n") == (
        2,
        8,
        "invalid YAML: the control character U+0007 is not allowed",
    )


def test_a_key_written_twice_is_an_error_at_the_second_key() -> None:
    assert only_error(
        """\
        version: 1
        timezone: UTC
        fallback: general
        pools:
          general: {strategy: round_robin, members: []}
          general: {strategy: least_loaded, members: []}
        """
    ) == (6, 3, "duplicate key 'general' (first at line 5)")


def test_a_document_that_is_not_a_mapping_is_an_error() -> None:
    assert only_error("- version: 1\n") == (
        1,
        1,
        "a policy is a mapping with version, timezone, reps, pools and rules, got a list",
    )


def test_an_empty_file_is_one_error() -> None:
    _, found = check_policy("# nothing yet\n")
    assert [(p.severity, p.message) for p in found] == [
        (
            "error",
            "a policy is a mapping with version, timezone, reps, pools and rules, "
            "got an empty document",
        )
    ]


# The shape of the document


def test_a_misspelt_key_is_an_error_that_names_it_and_guesses_the_right_one() -> None:
    line, column, message = only_error(
        """\
        version: 1
        timezone: UTC
        fallback: general
        pools:
          general:
            stratgy: round_robin
            strategy: round_robin
        """
    )
    assert (line, column) == (6, 5)
    assert message.startswith("unknown key 'stratgy' in a pool; did you mean 'strategy'?")


def test_a_missing_required_key_is_an_error_at_the_mapping_that_lacks_it() -> None:
    assert only_error(
        """\
        version: 1
        timezone: UTC
        reps:
          - id: alice
            email: alice@example.com
        """
    ) == (4, 5, "missing required key 'name' in a rep")


def test_a_missing_version_is_an_error() -> None:
    assert only_error("timezone: UTC\n") == (
        1,
        1,
        "missing required key 'version' in the policy",
    )


def test_an_unknown_version_is_an_error() -> None:
    assert only_error("version: 2\ntimezone: UTC\n") == (
        1,
        10,
        "unknown policy version 2: expected 1",
    )


def test_yes_is_not_a_boolean() -> None:
    assert only_error(
        """\
        version: 1
        timezone: UTC
        reps:
          - {id: alice, name: Alice, active: yes}
        pools:
          general: {strategy: round_robin, members: [alice]}
        """
    ) == (4, 38, "expected true or false, got 'yes'")


def test_an_unknown_strategy_is_an_error_that_lists_the_strategies() -> None:
    line, column, message = only_error(
        "version: 1\ntimezone: UTC\npools:\n  general: {strategy: random, members: []}\n"
    )
    assert (line, column) == (4, 23)
    assert message == (
        "expected 'round_robin', 'weighted', 'least_loaded' or 'by_field', got 'random'"
    )


def test_a_negative_cap_is_an_error() -> None:
    assert only_error(
        """\
        version: 1
        timezone: UTC
        reps:
          - {id: alice, name: Alice, caps: {per_day: -1}}
        pools:
          general: {strategy: round_robin, members: [alice]}
        """
    ) == (4, 46, "a cap cannot be negative: expected 0 or more, got the number -1")


def test_a_rep_with_a_shape_error_is_still_known_to_pools() -> None:
    found = errors(
        """\
        version: 1
        timezone: UTC
        reps:
          - {id: alice, name: Alice, skils: [es]}
        pools:
          general: {strategy: round_robin, members: [alice]}
        """
    )
    assert [(line, column) for line, column, _ in found] == [(4, 30)]


# Time zones and calendars


def test_an_unknown_time_zone_is_an_error_with_a_suggestion() -> None:
    assert only_error("version: 1\ntimezone: Europe/Pariss\n") == (
        2,
        11,
        "unknown time zone 'Europe/Pariss'; did you mean 'Europe/Paris'? "
        "(expected an IANA name such as America/New_York)",
    )


CALENDAR = """\
version: 1
timezone: UTC
calendars:
  office:
    hours:
      {hours}
"""


def test_an_unknown_day_is_an_error_at_its_day_spec() -> None:
    line, column, message = only_error(CALENDAR.format(hours='mon-fry: ["09:00-17:00"]'))
    assert (line, column) == (6, 7)
    assert message.startswith("days 'mon-fry': unknown day 'fry'")


def test_a_weekday_named_in_two_day_specs_is_an_error_at_the_second() -> None:
    hours = 'mon-fri: ["09:00-17:00"]\n      fri: ["09:00-12:00"]'
    assert only_error(CALENDAR.format(hours=hours)) == (
        7,
        7,
        "fri is given twice, by 'mon-fri' and 'fri'",
    )


def test_overlapping_intervals_in_one_day_are_an_error_at_the_later_one() -> None:
    assert only_error(CALENDAR.format(hours='mon: ["09:00-12:30", "12:00-17:00"]')) == (
        6,
        28,
        "interval '12:00-17:00' overlaps '09:00-12:30' on mon",
    )


def test_an_interval_that_ends_before_it_starts_is_an_error() -> None:
    line, column, message = only_error(CALENDAR.format(hours='mon: ["17:00-09:00"]'))
    assert (line, column) == (6, 13)
    assert message.startswith("interval 17:00-09:00 ends before it starts")


def test_an_unknown_holiday_code_is_an_error() -> None:
    text = CALENDAR.format(hours='mon: ["09:00-17:00"]') + "    holidays: [US, XX]\n"
    line, column, message = only_error(text)
    assert (line, column) == (7, 20)
    assert message.startswith("unknown holiday calendar 'XX'")


def test_an_exception_that_is_not_a_date_is_an_error() -> None:
    text = CALENDAR.format(hours='mon: ["09:00-17:00"]') + "    exceptions: {2026-02-30: []}\n"
    assert only_error(text) == (
        7,
        18,
        "expected a date such as 2026-12-24 as an exception, got '2026-02-30'",
    )


def test_an_unknown_calendar_time_zone_is_an_error() -> None:
    text = CALENDAR.format(hours='mon: ["09:00-17:00"]') + "    timezone: Mars/Olympus\n"
    assert only_error(text)[:2] == (7, 15)


# Territories and conditions


def test_a_territory_that_uses_a_territory_is_an_error_saying_they_cannot_nest() -> None:
    assert only_error(
        """\
        version: 1
        timezone: UTC
        territories:
          east: {country: US}
          northeast: {all: [{territory: east}, {state: NY}]}
        """
    ) == (
        5,
        22,
        "territory 'northeast' uses 'territory': territories cannot nest, "
        "so write the other territory's conditions here",
    )


def test_a_bad_operator_points_at_the_operator_key() -> None:
    line, column, message = only_error(
        """\
        version: 1
        timezone: UTC
        rules:
          - name: big
            when:
              all:
                - {employees: {greater: 1000}}
            nurture: big
        """
    )
    assert (line, column) == (7, 24)
    assert message.startswith("rule 'big': unknown operator 'greater' (expected one of eq, ne")


def test_an_unknown_territory_in_a_rule_is_an_error() -> None:
    assert only_error(
        """\
        version: 1
        timezone: UTC
        territories:
          east: {country: US}
        rules:
          - {name: west, when: {territory: west}, nurture: west}
        """
    ) == (6, 25, "rule 'west': unknown territory 'west' (known: east)")


# Reps

REPS = """\
version: 1
timezone: UTC
fallback: general
calendars:
  office: {{hours: {{mon-fri: ["09:00-17:00"]}}}}
reps:
  - {{id: alice, name: Alice}}
  {rep}
pools:
  general: {{strategy: round_robin, members: [alice, bob]}}
"""


def test_a_duplicate_rep_id_is_an_error_at_the_second() -> None:
    assert only_error(
        REPS.format(rep="- {id: alice, name: Alice 2}\n  - {id: bob, name: Bob}")
    ) == (
        8,
        10,
        "duplicate rep id 'alice' (first at line 7)",
    )


def test_an_unknown_calendar_is_an_error_that_lists_the_calendars() -> None:
    assert only_error(REPS.format(rep="- {id: bob, name: Bob, calendar: ofice}")) == (
        8,
        36,
        "unknown calendar 'ofice'; did you mean 'office'? (known calendars: office)",
    )


def test_an_unknown_manager_is_an_error() -> None:
    assert only_error(REPS.format(rep="- {id: bob, name: Bob, manager: carol}")) == (
        8,
        35,
        "unknown rep 'carol' as manager of 'bob' (known reps: alice, bob)",
    )


def test_time_off_that_ends_before_it_starts_is_an_error_at_its_end() -> None:
    rep = "- {id: bob, name: Bob, time_off: [{from: 2026-12-31, to: 2026-12-21}]}"
    assert only_error(REPS.format(rep=rep)) == (
        8,
        60,
        "time off 2026-12-31 to 2026-12-21 ends before it starts",
    )


def test_time_off_that_is_not_a_date_is_an_error() -> None:
    rep = "- {id: bob, name: Bob, time_off: [{from: next week, to: 2026-12-21}]}"
    assert only_error(REPS.format(rep=rep)) == (
        8,
        44,
        "expected a date such as 2026-12-21 or a date-time such as 2026-12-21T13:00, "
        "got 'next week'",
    )


def test_an_unknown_rep_time_zone_is_an_error() -> None:
    assert only_error(REPS.format(rep="- {id: bob, name: Bob, timezone: CET+1}"))[:2] == (8, 36)


# Pools

POOLS = """\
version: 1
timezone: UTC
fallback: general
reps:
  - {{id: alice, name: Alice}}
  - {{id: bob, name: Bob}}
pools:
  general: {{strategy: least_loaded, members: [alice, bob]}}
  {pool}
"""


def test_an_unknown_rep_in_a_pool_is_an_error_that_lists_the_reps() -> None:
    pool = "enterprise: {strategy: round_robin, members: [alice, carol]}"
    assert only_error(POOLS.format(pool=pool)) == (
        9,
        56,
        "unknown rep 'carol' in pool 'enterprise' (known reps: alice, bob)",
    )


def test_an_unknown_rep_written_as_a_mapping_is_an_error_at_its_id() -> None:
    pool = "enterprise: {strategy: weighted, members: [{rep: carol, weight: 2}]}"
    assert only_error(POOLS.format(pool=pool))[:2] == (9, 52)


def test_the_same_rep_twice_in_a_pool_is_an_error_at_the_second() -> None:
    pool = "enterprise: {strategy: round_robin, members: [alice, bob, alice]}"
    assert only_error(POOLS.format(pool=pool)) == (
        9,
        61,
        "rep 'alice' is in pool 'enterprise' twice",
    )


def test_an_unknown_overflow_pool_is_an_error() -> None:
    pool = "enterprise: {strategy: round_robin, members: [alice], overflow: genral}"
    assert only_error(POOLS.format(pool=pool)) == (
        9,
        67,
        "unknown pool 'genral' as overflow of pool 'enterprise'; did you mean 'general'? "
        "(known pools: general, enterprise)",
    )


def test_an_overflow_loop_is_an_error_that_names_the_chain() -> None:
    assert only_error(
        """\
        version: 1
        timezone: UTC
        fallback: general
        reps:
          - {id: alice, name: Alice}
        pools:
          enterprise: {strategy: round_robin, members: [alice], overflow: general}
          general: {strategy: least_loaded, members: [alice], overflow: enterprise}
        """
    ) == (7, 67, "overflow loop: enterprise -> general -> enterprise")


def test_a_pool_that_overflows_to_itself_is_a_loop() -> None:
    pool = "enterprise: {strategy: round_robin, members: [alice], overflow: enterprise}"
    assert only_error(POOLS.format(pool=pool))[2] == "overflow loop: enterprise -> enterprise"


def test_a_by_field_pool_without_field_is_an_error_at_the_pool() -> None:
    line, column, message = only_error(POOLS.format(pool="named: {strategy: by_field}"))
    assert (line, column) == (9, 3)
    assert message.startswith("pool 'named' uses by_field, which needs 'field'")


def test_field_in_a_pool_that_is_not_by_field_is_an_error_at_the_key() -> None:
    pool = "named: {strategy: round_robin, members: [alice], field: owner}"
    assert only_error(POOLS.format(pool=pool)) == (
        9,
        52,
        "'field' is only for the by_field strategy; pool 'named' is round_robin",
    )


def test_a_weight_below_one_is_an_error() -> None:
    pool = "enterprise: {strategy: weighted, members: [{rep: alice, weight: 0}]}"
    assert only_error(POOLS.format(pool=pool)) == (
        9,
        67,
        "a weight is a whole number of 1 or more, got the number 0",
    )


# Rules and the fallback

RULES = """\
version: 1
timezone: UTC
fallback: general
reps:
  - {{id: alice, name: Alice}}
pools:
  general: {{strategy: least_loaded, members: [alice]}}
rules:
  {rule}
"""


def test_a_route_to_an_unknown_pool_is_an_error() -> None:
    assert only_error(RULES.format(rule="- {name: big, route: enterprise}")) == (
        9,
        24,
        "unknown pool 'enterprise' in rule 'big' (known pools: general)",
    )


def test_an_assign_to_an_unknown_rep_is_an_error() -> None:
    line, column, message = only_error(RULES.format(rule="- {name: vip, assign: bob}"))
    assert (line, column) == (9, 25)
    assert message == (
        "unknown rep 'bob' in rule 'vip' (known reps: alice); "
        "a rule can also assign existing_owner or account_owner"
    )


def test_an_unknown_else_pool_is_an_error() -> None:
    rule = "- {name: vip, assign: alice, else: overflow}"
    assert only_error(RULES.format(rule=rule))[:2] == (9, 38)


def test_else_without_assign_is_an_error_at_the_key() -> None:
    rule = "- {name: big, route: general, else: general}"
    assert only_error(RULES.format(rule=rule)) == (
        9,
        33,
        "'else' is only for rules that assign",
    )


def test_a_rule_without_an_action_is_an_error_at_the_rule() -> None:
    assert only_error(RULES.format(rule="- {name: big, when: {score: 1}}")) == (
        9,
        5,
        "rule 'big' has no action: give it route, assign or nurture",
    )


def test_a_rule_with_two_actions_is_an_error_at_the_second() -> None:
    rule = "- {name: big, route: general, nurture: later}"
    assert only_error(RULES.format(rule=rule)) == (
        9,
        33,
        "rule 'big' has both route and nurture: it takes one action",
    )


def test_a_duplicate_rule_name_is_an_error_at_the_second() -> None:
    rule = "- {name: big, when: {score: 1}, route: general}\n  - {name: big, route: general}"
    assert only_error(RULES.format(rule=rule)) == (
        10,
        12,
        "duplicate rule name 'big' (first at line 9)",
    )


def test_an_unknown_fallback_is_an_error() -> None:
    assert only_error("version: 1\ntimezone: UTC\nfallback: general\n") == (
        3,
        11,
        "unknown pool 'general' in fallback (no pools are defined)",
    )


def test_several_errors_are_reported_together_in_file_order() -> None:
    found = errors(
        """\
        version: 1
        timezone: Mars/Olympus
        reps:
          - {id: alice, name: Alice, calendar: office}
        pools:
          general: {strategy: round_robin, members: [alice, carol], overflow: spare}
        rules:
          - {name: big, route: enterprise}
        fallback: general
        """
    )
    assert [(line, column) for line, column, _ in found] == [
        (2, 11),
        (4, 40),
        (6, 53),
        (6, 71),
        (8, 24),
    ]


def test_a_policy_with_errors_is_not_compiled() -> None:
    policy, _ = check_policy("version: 1\ntimezone: UTC\nfallback: general\n")
    assert policy is None


def test_a_problem_knows_its_path_in_the_document() -> None:
    pool = "enterprise: {strategy: round_robin, members: [alice, carol]}"
    _, found = check_policy(POOLS.format(pool=pool))
    assert found == [
        Problem(
            "error",
            "unknown rep 'carol' in pool 'enterprise' (known reps: alice, bob)",
            9,
            56,
            "pools.enterprise.members[1]",
        )
    ]


# Warnings


def test_a_rule_after_one_without_when_is_unreachable_and_both_are_named() -> None:
    rule = "- {name: everyone, route: general}\n  - {name: big, when: {score: 1}, route: general}"
    assert warnings(RULES.format(rule=rule)) == [
        (
            10,
            12,
            "rule 'big' is never reached: rule 'everyone' before it has no 'when' "
            "and places every lead",
        )
    ]


def test_a_rule_after_an_unconditional_assign_without_else_is_reachable() -> None:
    # the assigned rep may be away: the lead then falls through to the next rule
    rule = "- {name: first, assign: alice}\n  - {name: big, when: {score: 1}, route: general}"
    assert warnings(RULES.format(rule=rule)) == []


def test_a_rule_after_an_unconditional_assign_with_else_is_unreachable() -> None:
    rule = (
        "- {name: first, assign: alice, else: general}\n"
        "  - {name: big, when: {score: 1}, route: general}"
    )
    assert [w[2] for w in warnings(RULES.format(rule=rule))] == [
        "rule 'big' is never reached: rule 'first' before it has no 'when' and places every lead"
    ]


def test_an_empty_pool_is_a_warning() -> None:
    assert warnings(POOLS.format(pool="spare: {strategy: round_robin, members: []}")) == [
        (9, 43, "pool 'spare' has no members: it assigns no lead")
    ]


def test_a_rep_in_no_pool_and_never_assigned_is_a_warning() -> None:
    assert warnings(REPS.format(rep="- {id: bob, name: Bob}").replace("alice, bob", "alice")) == [
        (8, 10, "rep 'bob' is in no pool and no rule assigns to them: they never get a lead")
    ]


def test_a_rep_that_a_rule_assigns_to_is_not_idle() -> None:
    text = RULES.format(rule="- {name: vip, assign: bob}").replace(
        "  - {id: alice, name: Alice}", "  - {id: alice, name: Alice}\n  - {id: bob, name: Bob}"
    )
    assert warnings(text) == []


def test_a_manager_and_an_inactive_rep_in_no_pool_are_not_warned_about() -> None:
    rep = "- {id: bob, name: Bob, manager: mona}\n  - {id: mona, name: Mona}\n"
    rep += "  - {id: carl, name: Carl, active: false}"
    assert warnings(REPS.format(rep=rep)) == []


def test_a_cap_of_zero_is_a_warning() -> None:
    assert warnings(REPS.format(rep="- {id: bob, name: Bob, caps: {per_day: 0}}")) == [
        (8, 42, "per_day cap of 0: rep 'bob' can never be assigned a lead")
    ]


def test_a_weight_in_a_pool_that_is_not_weighted_is_a_warning() -> None:
    pool = "enterprise: {strategy: round_robin, members: [alice, {rep: bob, weight: 2}]}"
    assert warnings(POOLS.format(pool=pool)) == [
        (9, 75, "weight 2 has no effect: pool 'enterprise' uses round_robin, not weighted")
    ]


def test_no_fallback_is_a_warning() -> None:
    assert warnings("version: 1\ntimezone: UTC\n") == [
        (
            1,
            1,
            "no fallback: a lead that no rule places is left unassigned; "
            "add 'fallback: POOL' to send it to a pool",
        )
    ]


def test_a_policy_with_only_warnings_is_compiled() -> None:
    policy, found = check_policy("version: 1\ntimezone: UTC\n")
    assert policy is not None
    assert [p.severity for p in found] == ["warning"]


# Fields that no lead has

NO_SUCH = ", which no lead field, intake mapping or custom. path provides"


def test_a_rule_on_a_misspelt_field_is_a_warning_with_a_guess() -> None:
    rule = "- {name: north-america, when: {contry: [US, CA]}, route: general}"
    assert warnings(RULES.format(rule=rule)) == [
        (9, 34, f"rule 'north-america' reads 'contry'{NO_SUCH}; did you mean country?")
    ]
    assert errors(RULES.format(rule=rule)) == []


def test_a_field_nested_in_any_and_not_is_warned_about_at_its_own_key() -> None:
    rule = "- {name: x, when: {any: [{country: US}, {not: {employes: {gte: 5}}}]}, route: general}"
    assert warnings(RULES.format(rule=rule)) == [
        (9, 50, f"rule 'x' reads 'employes'{NO_SUCH}; did you mean employees?")
    ]


def test_a_field_with_no_close_name_says_how_a_source_provides_it() -> None:
    rule = "- {name: demo, when: {form: demo}, route: general}"
    ((_, _, message),) = warnings(RULES.format(rule=rule))
    assert message == (
        f"rule 'demo' reads 'form'{NO_SUCH} "
        "(a source that sends it: name it in that source's intake mapping)"
    )


@pytest.mark.parametrize(
    "field",
    [
        "country",  # the API's lead fields
        "requested_rep",
        "email_domain",  # added by cleaning
        "company_domain",
        "region",
        "employees_range",
        "tier",  # by scoring
        "account.owner",  # an accepted account, or the API's account object
        "account.owner_email",
        "custom.utm_campaign",  # what a source sent that no mapping names
        "custom.Company Size",
    ],
)
def test_a_field_that_a_lead_may_have_is_not_warned_about(field: str) -> None:
    rule = f"- {{name: x, when: {{'{field}': {{exists: true}}}}, route: general}}"
    assert warnings(RULES.format(rule=rule)) == []


def test_an_intake_mappings_target_is_a_field_a_lead_may_have() -> None:
    rule = "- {name: demo, when: {form: demo}, route: general}"
    text = RULES.format(rule=rule) + 'intake:\n  webflow: {fields: {"Form Name": form}}\n'
    assert warnings(text) == []


def test_a_territory_scoring_rule_and_sla_tier_on_a_missing_field_are_warned_about() -> None:
    text = RULES.format(rule="- {name: east, when: {territory: east}, route: general}")
    text += "territories:\n  east: {sate: NY}\n"
    text += "scoring:\n  fit: [{name: big, when: {employes: {gte: 5}}, points: 5}]\n"
    text += "  tiers: {hot: 5}\n"
    text += "sla:\n  - {name: hot, when: {teir: hot}, first_touch: 5m}\n"
    assert [w[2] for w in warnings(text)] == [
        f"territory 'east' reads 'sate'{NO_SUCH}; did you mean state?",
        f"scoring rule 'big' reads 'employes'{NO_SUCH}; did you mean employees?",
        f"sla tier 'hot' reads 'teir'{NO_SUCH}; did you mean tier?",
    ]


def test_a_by_field_pool_and_a_skill_from_a_missing_field_are_warned_about() -> None:
    pool = "named: {strategy: by_field, field: salesperson, skills: [{from: langauge}]}"
    assert [w[2] for w in warnings(POOLS.format(pool=pool))] == [
        f"pool 'named' reads 'salesperson'{NO_SUCH} "
        "(a source that sends it: name it in that source's intake mapping)",
        f"pool 'named' reads 'langauge'{NO_SUCH}; did you mean language?",
    ]


def test_every_field_the_steps_before_routing_write_is_one_a_lead_may_have() -> None:
    """The list of added fields stays in step with what cleaning and scoring write."""
    policy = load_policy(
        RULES.format(rule="- {name: x, when: {score: {gte: 1}}, route: general}")
        + "scoring:\n  fit: [{name: any, when: {country: US}, points: 5}]\n  tiers: {hot: 5}\n"
    )
    lead = {
        "email": "Jane@Acme.com",
        "phone": "+1 415 555 0123 ext. 7",
        "country": "USA",
        "state": "California",
        "name": "Jane Doe",
        "website": "https://www.acme.com",
        "employees": "51-200",
    }
    fields = prepare(lead, policy).fields
    known = LeadFields(())
    assert {"email_domain", "phone_extension", "region", "timezone", "tier"} <= set(fields)
    assert [name for name in fields if known.missing(name) is not None] == []


# leadflow policy check

runner = CliRunner()
VALID = """\
version: 1
timezone: UTC
reps:
  - {id: alice, name: Alice}
pools:
  general: {strategy: round_robin, members: [alice]}
rules:
  - {name: all, route: general}
fallback: general
"""


def check_file(tmp_path: Path, text: str | bytes) -> tuple[int, str]:
    path = tmp_path / "policy.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    result = runner.invoke(policy_app, ["check", str(path)])
    return result.exit_code, result.output.replace(str(tmp_path) + "/", "")


def test_check_of_a_valid_policy_exits_0_with_a_summary(tmp_path: Path) -> None:
    assert check_file(tmp_path, VALID) == (0, "policy.yaml: OK (1 rep, 1 pool, 1 rule)\n")


def test_check_prints_warnings_and_still_exits_0(tmp_path: Path) -> None:
    code, output = check_file(tmp_path, VALID.replace("fallback: general\n", ""))
    assert code == 0
    assert output.splitlines() == [
        "policy.yaml:1:1: warning: no fallback: a lead that no rule places is left unassigned; "
        "add 'fallback: POOL' to send it to a pool",
        "policy.yaml: OK (1 rep, 1 pool, 1 rule), 1 warning",
    ]


def test_check_prints_each_error_with_file_line_and_column_and_exits_1(tmp_path: Path) -> None:
    text = VALID.replace("route: general", "route: genral").replace("fallback: general", "")
    code, output = check_file(tmp_path, text)
    assert code == 1
    assert output.splitlines() == [
        "policy.yaml:1:1: warning: no fallback: a lead that no rule places is left unassigned; "
        "add 'fallback: POOL' to send it to a pool",
        "policy.yaml:8:24: error: unknown pool 'genral' in rule 'all'; did you mean 'general'? "
        "(known pools: general)",
        "policy.yaml: 1 error, 1 warning",
    ]


def test_check_counts_errors_in_its_summary(tmp_path: Path) -> None:
    text = VALID.replace("route: general", "route: x").replace("fallback: general", "fallback: y")
    code, output = check_file(tmp_path, text)
    assert (code, output.splitlines()[-1]) == (1, "policy.yaml: 2 errors")


def test_check_of_a_misspelt_field_exits_0_with_a_warning_and_a_guess(tmp_path: Path) -> None:
    text = VALID.replace(
        "{name: all, route: general}", "{name: na, when: {contry: [US, CA]}, route: general}"
    )
    code, output = check_file(tmp_path, text)
    assert code == 0
    assert output.splitlines() == [
        f"policy.yaml:8:23: warning: rule 'na' reads 'contry'{NO_SUCH}; did you mean country?",
        "policy.yaml: OK (1 rep, 1 pool, 1 rule), 1 warning",
    ]


def test_check_of_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(policy_app, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml: error: cannot read the file: No such file or directory" in result.output


def test_check_of_a_file_that_is_not_utf8_exits_2(tmp_path: Path) -> None:
    code, output = check_file(tmp_path, b"version: 1\nname: \xff\n")
    assert (code, output) == (2, "policy.yaml: error: cannot read the file: it is not UTF-8 text\n")
