"""The condition language: each operator, the combinators, and the errors a policy author sees."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.core.conditions import OPERATORS, ConditionError, compile_condition

NORTHEAST = compile_condition({"country": "US", "state": ["NY", "MA", "NJ"]})
TERRITORIES = {"northeast": NORTHEAST, "canada": compile_condition({"country": "CA"})}


def holds(condition: Any, fields: dict[str, Any]) -> bool:
    return compile_condition(condition, TERRITORIES).test(fields)


# one operator at a time: (condition, fields, expected)
OPERATOR_CASES = [
    ({"country": {"eq": "US"}}, {"country": "US"}, True),
    ({"country": {"eq": "US"}}, {"country": "CA"}, False),
    ({"country": "US"}, {"country": "US"}, True),
    ({"country": "US"}, {"country": "DE"}, False),
    ({"country": {"ne": "US"}}, {"country": "CA"}, True),
    ({"country": {"ne": "US"}}, {"country": "US"}, False),
    ({"state": {"in": ["NY", "NJ"]}}, {"state": "NJ"}, True),
    ({"state": {"in": ["NY", "NJ"]}}, {"state": "CA"}, False),
    ({"state": ["NY", "NJ"]}, {"state": "NY"}, True),
    ({"state": ["NY", "NJ"]}, {"state": "PA"}, False),
    ({"state": {"not_in": ["NY", "NJ"]}}, {"state": "CA"}, True),
    ({"state": {"not_in": ["NY", "NJ"]}}, {"state": "NY"}, False),
    ({"score": {"gt": 50}}, {"score": 51}, True),
    ({"score": {"gt": 50}}, {"score": 50}, False),
    ({"score": {"gte": 50}}, {"score": 50}, True),
    ({"score": {"gte": 50}}, {"score": 49.9}, False),
    ({"score": {"lt": 50}}, {"score": 49}, True),
    ({"score": {"lt": 50}}, {"score": 50}, False),
    ({"score": {"lte": 50}}, {"score": 50}, True),
    ({"score": {"lte": 50}}, {"score": 50.5}, False),
    ({"score": {"between": [10, 20]}}, {"score": 10}, True),
    ({"score": {"between": [10, 20]}}, {"score": 20}, True),
    ({"score": {"between": [10, 20]}}, {"score": 15}, True),
    ({"score": {"between": [10, 20]}}, {"score": 9}, False),
    ({"score": {"between": [10, 20]}}, {"score": 21}, False),
    ({"company": {"contains": "health"}}, {"company": "Acme Healthcare"}, True),
    ({"company": {"contains": "health"}}, {"company": "Acme Logistics"}, False),
    ({"email": {"starts_with": "sales@"}}, {"email": "sales@acme.com"}, True),
    ({"email": {"starts_with": "sales@"}}, {"email": "info@acme.com"}, False),
    ({"email": {"ends_with": "@acme.com"}}, {"email": "jo@acme.com"}, True),
    ({"email": {"ends_with": "@acme.com"}}, {"email": "jo@acme.co"}, False),
    ({"phone": {"matches": r"^\+1\d{10}$"}}, {"phone": "+12125550123"}, True),
    ({"phone": {"matches": r"^\+1\d{10}$"}}, {"phone": "+442071234567"}, False),
    ({"phone": {"exists": True}}, {"phone": "+12125550123"}, True),
    ({"phone": {"exists": True}}, {"email": "jo@acme.com"}, False),
    ({"phone": {"exists": False}}, {"email": "jo@acme.com"}, True),
    ({"phone": {"exists": False}}, {"phone": "+12125550123"}, False),
]


@pytest.mark.parametrize(("condition", "fields", "expected"), OPERATOR_CASES)
def test_operator_holds_exactly_when_the_field_satisfies_it(
    condition: Any, fields: dict[str, Any], expected: bool
) -> None:
    assert holds(condition, fields) is expected


def test_every_operator_is_covered_by_the_operator_table() -> None:
    used = {
        op
        for cond, _, _ in OPERATOR_CASES
        for v in cond.values()
        if isinstance(v, dict)
        for op in v
    }
    assert used == set(OPERATORS)


def test_text_comparison_ignores_case() -> None:
    assert holds({"country": "us"}, {"country": "US"})
    assert holds({"state": {"in": ["ny"]}}, {"state": "NY"})
    assert holds({"email": {"ends_with": "@ACME.com"}}, {"email": "Jo@acme.COM"})
    assert holds({"company": {"contains": "HEALTH"}}, {"company": "Acme healthcare"})
    assert holds({"name": {"matches": "^jo"}}, {"name": "JOANNA"})


def test_text_orders_alphabetically_ignoring_case() -> None:
    assert holds({"name": {"gte": "m"}}, {"name": "Nora"})
    assert not holds({"name": {"gte": "m"}}, {"name": "Alex"})


def test_a_number_in_text_compares_as_a_number() -> None:
    # CSV cells are text: "1500" employees is more than 1000, not less ("1500" < "1000" is False)
    assert holds({"employees": {"gte": 1000}}, {"employees": "1500"})
    assert not holds({"employees": {"gte": 1000}}, {"employees": "999"})
    assert holds({"employees": {"between": [100, 500]}}, {"employees": "250"})


def test_a_number_equals_the_same_number_written_as_text() -> None:
    assert holds({"employees": 1000}, {"employees": "1000"})
    assert holds({"employees": "1000"}, {"employees": 1000.0})
    assert holds({"zip": {"in": [10001, 10002]}}, {"zip": "10002"})


def test_text_that_is_not_a_number_never_satisfies_a_numeric_comparison() -> None:
    assert not holds({"score": {"gt": 50}}, {"score": "high"})
    assert not holds({"score": {"lt": 50}}, {"score": "high"})


def test_a_boolean_field_does_not_equal_the_number_one() -> None:
    # "a number compares with a number, and with text that reads as one; any other mix is false"
    assert not holds({"employees": 1}, {"employees": True})


def test_all_holds_only_when_every_condition_holds() -> None:
    condition = {"all": [{"country": "US"}, {"score": {"gte": 80}}]}
    assert holds(condition, {"country": "US", "score": 90})
    assert not holds(condition, {"country": "US", "score": 70})
    assert not holds(condition, {"country": "CA", "score": 90})


def test_any_holds_when_one_condition_holds() -> None:
    condition = {"any": [{"country": "US"}, {"score": {"gte": 80}}]}
    assert holds(condition, {"country": "CA", "score": 90})
    assert holds(condition, {"country": "US", "score": 10})
    assert not holds(condition, {"country": "CA", "score": 10})


def test_not_negates_its_condition() -> None:
    assert holds({"not": {"country": "US"}}, {"country": "CA"})
    assert not holds({"not": {"country": "US"}}, {"country": "US"})


def test_several_keys_in_one_mapping_must_all_hold() -> None:
    condition = {"country": "US", "score": {"gte": 50, "lt": 80}}
    assert holds(condition, {"country": "US", "score": 60})
    assert not holds(condition, {"country": "US", "score": 80})
    assert not holds(condition, {"country": "DE", "score": 60})


def test_combinators_nest() -> None:
    condition = {"any": [{"all": [{"country": "US"}, {"not": {"state": "CA"}}]}, {"vip": True}]}
    assert holds(condition, {"country": "US", "state": "NY"})
    assert not holds(condition, {"country": "US", "state": "CA"})
    assert holds(condition, {"country": "US", "state": "CA", "vip": True})


def test_territory_holds_when_its_conditions_hold() -> None:
    assert holds({"territory": "northeast"}, {"country": "us", "state": "ny"})
    assert not holds({"territory": "northeast"}, {"country": "US", "state": "CA"})


def test_a_list_of_territories_holds_when_the_lead_is_in_any_of_them() -> None:
    condition = {"territory": ["northeast", "canada"]}
    assert holds(condition, {"country": "CA"})
    assert holds(condition, {"country": "US", "state": "MA"})
    assert not holds(condition, {"country": "US", "state": "TX"})


def test_territory_condition_records_the_fields_its_territory_reads() -> None:
    condition = compile_condition({"territory": "northeast"}, TERRITORIES)
    fields = {"country": "US", "state": "NY", "score": 3}
    assert condition.saw(fields) == {"country": "US", "state": "NY"}


def test_a_dotted_path_reads_a_nested_field() -> None:
    assert holds({"account.owner": "alice"}, {"account": {"owner": "Alice"}})
    assert holds({"account.address.country": "DE"}, {"account": {"address": {"country": "DE"}}})
    assert not holds({"account.owner": "alice"}, {"account": {"owner": "bob"}})


def test_a_dotted_path_through_a_missing_or_scalar_step_is_missing() -> None:
    assert not holds({"account.owner": "alice"}, {})
    assert not holds({"account.owner": "alice"}, {"account": "alice"})
    assert holds({"account.owner": {"exists": False}}, {"account": None})


def test_saw_reports_the_value_of_each_field_the_condition_reads() -> None:
    condition = compile_condition({"all": [{"account.owner": "alice"}, {"score": {"gt": 1}}]})
    fields = {"account": {"owner": "bob"}, "score": 7, "country": "US"}
    assert condition.saw(fields) == {"account.owner": "bob", "score": 7}


# every operator on a field the lead lacks: false, except exists:false
MISSING_FIELD_CONDITIONS = [
    {"eq": "US"},
    {"ne": "US"},
    {"in": ["US"]},
    {"not_in": ["US"]},
    {"gt": 1},
    {"gte": 1},
    {"lt": 1},
    {"lte": 1},
    {"between": [0, 10]},
    {"contains": "a"},
    {"starts_with": "a"},
    {"ends_with": "a"},
    {"matches": ".*"},
    {"exists": True},
]


@pytest.mark.parametrize("missing", [{}, {"x": None}, {"x": ""}], ids=["absent", "null", "empty"])
@pytest.mark.parametrize("operator", MISSING_FIELD_CONDITIONS, ids=lambda c: next(iter(c)))
def test_a_missing_field_makes_every_operator_false(
    operator: dict[str, Any], missing: dict[str, Any]
) -> None:
    assert not holds({"x": operator}, missing)


@pytest.mark.parametrize("missing", [{}, {"x": None}, {"x": ""}], ids=["absent", "null", "empty"])
def test_a_missing_field_satisfies_exists_false(missing: dict[str, Any]) -> None:
    assert holds({"x": {"exists": False}}, missing)


def test_missing_field_conditions_cover_every_operator_but_exists_false() -> None:
    assert {next(iter(c)) for c in MISSING_FIELD_CONDITIONS} == set(OPERATORS)


def test_a_list_field_equals_a_value_when_one_element_does() -> None:
    assert holds({"tags": "vip"}, {"tags": ["beta", "VIP"]})
    assert not holds({"tags": "vip"}, {"tags": ["beta"]})


def test_a_list_field_is_in_a_list_when_one_element_is() -> None:
    assert holds({"tags": {"in": ["vip", "partner"]}}, {"tags": ["beta", "partner"]})
    assert not holds({"tags": {"in": ["vip", "partner"]}}, {"tags": ["beta"]})


def test_a_list_field_contains_an_element_not_a_substring() -> None:
    assert holds({"tags": {"contains": "vip"}}, {"tags": ["beta", "Vip"]})
    assert not holds({"tags": {"contains": "vi"}}, {"tags": ["beta", "vip"]})


def test_ne_and_not_in_on_a_list_field_hold_only_when_no_element_matches() -> None:
    assert not holds({"tags": {"ne": "vip"}}, {"tags": ["beta", "vip"]})
    assert holds({"tags": {"ne": "vip"}}, {"tags": ["beta"]})
    assert not holds({"tags": {"not_in": ["vip"]}}, {"tags": ["beta", "vip"]})
    assert holds({"tags": {"not_in": ["vip"]}}, {"tags": ["beta"]})


def test_an_empty_list_field_does_not_exist() -> None:
    assert holds({"tags": {"exists": False}}, {"tags": []})
    assert not holds({"tags": {"exists": True}}, {"tags": []})


# errors: (condition, message fragment, path)
ERROR_CASES = [
    ({"country": {"equals": "US"}}, "unknown operator 'equals'", ("country", "equals")),
    (
        {"all": [{"country": "US"}, {"score": {"bigger": 3}}]},
        "unknown operator 'bigger'",
        ("all", 1, "score", "bigger"),
    ),
    ({"score": {"between": [1]}}, "'between' takes [low, high]", ("score", "between")),
    ({"score": {"between": 5}}, "'between' takes [low, high]", ("score", "between")),
    ({"score": {"between": [1, 2, 3]}}, "'between' takes [low, high]", ("score", "between")),
    ({"email": {"matches": "(unclosed"}}, "bad regular expression", ("email", "matches")),
    ({"country": None}, "ambiguous", ("country",)),
    ({"any": [{"state": None}]}, "ambiguous", ("any", 0, "state")),
    ({"territory": "midwest"}, "unknown territory 'midwest'", ("territory",)),
    ({"territory": ["northeast", "midwest"]}, "unknown territory 'midwest'", ("territory", 1)),
    ({"not": {"territory": "midwest"}}, "unknown territory 'midwest'", ("not", "territory")),
    ({"score": {"between": [1, "high"]}}, "two numbers or two texts", ("score", "between")),
    ({"state": {"in": ["NY", {"a": 1}]}}, "a list of single values", ("state", "in", 1)),
    ({"state": {"eq": ["NY"]}}, "a single value", ("state", "eq")),
    ({"vip": {"exists": "yes"}}, "'exists' takes true or false", ("vip", "exists")),
]


@pytest.mark.parametrize(("condition", "message", "path"), ERROR_CASES)
def test_a_broken_condition_raises_condition_error_with_its_path(
    condition: Any, message: str, path: tuple[Any, ...]
) -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition(condition, TERRITORIES)
    assert message in caught.value.message
    assert caught.value.path == path


def test_an_in_list_holding_a_list_raises_condition_error_not_type_error() -> None:
    with pytest.raises(ConditionError) as caught:
        compile_condition({"state": {"in": ["NY", ["NJ", "PA"]]}})
    assert caught.value.path == ("state", "in", 1)  # the element itself


def test_a_field_holding_a_mapping_is_not_in_a_list_of_values() -> None:
    # webhook payloads nest: a rule on such a field is false, it must not raise
    assert not holds({"account": ["acme", "beta"]}, {"account": {"name": "acme"}})


def test_a_field_holding_a_mapping_satisfies_not_in_like_ne() -> None:
    assert holds({"account": {"ne": "acme"}}, {"account": {"name": "acme"}})
    assert holds({"account": {"not_in": ["acme"]}}, {"account": {"name": "acme"}})


def test_a_list_field_of_mappings_is_not_in_a_list_of_values() -> None:
    assert not holds({"tags": {"in": ["vip"]}}, {"tags": [{"name": "vip"}]})
