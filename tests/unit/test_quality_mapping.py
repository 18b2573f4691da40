"""Intake mappings: a source's field names and formats become a lead's fields."""

from __future__ import annotations

from typing import Any

import pytest

from leadflow.quality.mapping import (
    TRANSFORMS,
    FieldMap,
    IntakeMapping,
    apply_mapping,
    lead_field_name,
)

KNOWN = frozenset({"first_name", "last_name", "email", "phone", "company", "employees"})
WEBINAR_FORM = IntakeMapping(
    source="webinar-form",
    fields={
        "Email Address": FieldMap("email", "lower"),
        "Company Size": FieldMap("employees", "integer"),
        "Owner": FieldMap("account.owner"),
        "Opted In": FieldMap("custom.opted_in", "boolean"),
    },
)


def mapped(raw: dict[str, Any], mapping: IntakeMapping | None = WEBINAR_FORM) -> dict[str, Any]:
    fields, unreadable = apply_mapping(raw, mapping, KNOWN)
    assert unreadable == []
    return fields


def transformed(transform: str, value: Any) -> Any:
    mapping = IntakeMapping("test", {"in": FieldMap("out", transform)})
    fields, unreadable = apply_mapping({"in": value}, mapping, KNOWN)
    assert unreadable == []
    return fields["out"]


def problem(transform: str, value: Any) -> str:
    mapping = IntakeMapping("test", {"in": FieldMap("out", transform)})
    fields, unreadable = apply_mapping({"in": value}, mapping, KNOWN)
    assert "out" not in fields
    (note,) = unreadable
    return str(note)


def test_a_mapped_field_goes_to_its_target() -> None:
    assert mapped({"Email Address": "dana@northwind.com"}) == {"email": "dana@northwind.com"}


def test_incoming_names_match_ignoring_case_and_surrounding_spaces() -> None:
    assert mapped({" email address ": "dana@northwind.com"}) == {"email": "dana@northwind.com"}


def test_a_dotted_target_is_a_nested_field() -> None:
    assert mapped({"Owner": "alice"}) == {"account": {"owner": "alice"}}


def test_an_unmapped_field_named_like_a_lead_field_goes_to_that_field() -> None:
    assert mapped({"First Name": "Dana"}) == {"first_name": "Dana"}


def test_an_unmapped_unknown_field_goes_under_custom_with_its_name() -> None:
    assert mapped({"Favourite Colour": "teal"}) == {"custom": {"Favourite Colour": "teal"}}


def test_without_a_mapping_fields_are_placed_by_their_names() -> None:
    assert mapped({"Last-Name": "Okafor", "utm_source": "ads"}, None) == {
        "last_name": "Okafor",
        "custom": {"utm_source": "ads"},
    }


def test_a_strict_mapping_drops_what_it_does_not_name() -> None:
    strict = IntakeMapping("csv", {"E-mail": FieldMap("email")}, keep_unmapped=False)
    assert mapped({"E-mail": "dana@northwind.com", "company": "Northwind"}, strict) == {
        "email": "dana@northwind.com"
    }


def test_a_mapped_field_wins_over_one_that_merely_has_the_lead_field_name() -> None:
    fields = mapped({"email": "old@northwind.com", "Email Address": "dana@northwind.com"})
    assert fields["email"] == "dana@northwind.com"


def test_a_second_value_for_a_field_is_kept_under_custom() -> None:
    fields = mapped({"email": "old@northwind.com", "Email Address": "dana@northwind.com"})
    assert fields["custom"] == {"email": "old@northwind.com"}


def test_a_list_of_one_value_is_that_value() -> None:
    assert mapped({"company": ["Northwind"]}) == {"company": "Northwind"}


@pytest.mark.parametrize("empty", [[], {}])
def test_an_empty_list_or_mapping_is_no_value(empty: Any) -> None:
    assert mapped({"company": empty}) == {}


def test_text_is_stripped() -> None:
    assert mapped({"company": "  Northwind "}) == {"company": "Northwind"}


def test_custom_fields_sent_as_custom_stay_custom() -> None:
    assert mapped({"custom": {"plan": "pro"}, "Region Code": "7"}) == {
        "custom": {"plan": "pro", "Region Code": "7"}
    }


def test_a_value_a_transform_cannot_convert_is_dropped_and_noted() -> None:
    fields, unreadable = apply_mapping({"Company Size": "lots"}, WEBINAR_FORM, KNOWN)
    assert fields == {}
    assert [note.record() for note in unreadable] == [
        {
            "kind": "unreadable_value",
            "field": "Company Size",
            "value": "lots",
            "transform": "integer",
            "to": "employees",
            "reason": "not a number: 'lots'",
        }
    ]


def test_an_unreadable_value_that_is_not_text_is_noted_as_json_text() -> None:
    _, unreadable = apply_mapping({"Company Size": [1, 2]}, WEBINAR_FORM, KNOWN)
    assert [note.value for note in unreadable] == ["[1,2]"]


def test_a_long_unreadable_value_is_noted_cut_to_200_characters() -> None:
    _, unreadable = apply_mapping({"Company Size": "x" * 500}, WEBINAR_FORM, KNOWN)
    assert [len(note.value) for note in unreadable] == [200]


def test_the_transforms_a_policy_may_name() -> None:
    names = {"lower", "upper", "title", "strip", "number", "integer", "boolean", "digits"}
    assert names == TRANSFORMS


def test_an_unknown_transform_is_refused_when_the_mapping_is_built() -> None:
    with pytest.raises(ValueError, match="unknown transform 'reverse'"):
        FieldMap("email", "reverse")


@pytest.mark.parametrize(
    ("transform", "value", "expected"),
    [
        ("lower", "Dana@NorthWind.com", "dana@northwind.com"),
        ("upper", "us", "US"),
        ("title", "dana okafor", "Dana Okafor"),
        ("strip", "  x ", "x"),
        ("lower", 42, 42),
        ("number", "1,200", 1200),
        ("number", "12.5", 12.5),
        ("number", "7.0", 7),
        ("number", 3, 3),
        ("integer", "1,200", 1200),
        ("integer", 300.0, 300),
        ("boolean", "Yes", True),
        ("boolean", "checked", True),
        ("boolean", "on", True),
        ("boolean", "1", True),
        ("boolean", "n", False),
        ("boolean", "OFF", False),
        ("boolean", 0, False),
        ("boolean", True, True),
        ("digits", "(415) 555-0123", "4155550123"),
        ("digits", 4155550123.0, "4155550123"),
    ],
)
def test_a_transform_converts_its_value(transform: str, value: Any, expected: Any) -> None:
    assert transformed(transform, value) == expected


@pytest.mark.parametrize(
    ("transform", "value", "expected"),
    [
        ("number", "twelve", "in: not a number: 'twelve'"),
        ("number", "1,5", "in: not a number: '1,5'"),
        ("number", True, "in: not a number: True"),
        ("integer", "12.5", "in: not a whole number: '12.5'"),
        ("boolean", "maybe", "in: not yes or no: 'maybe'"),
        ("digits", "n/a", "in: no digits in 'n/a'"),
    ],
)
def test_a_value_its_transform_cannot_convert_says_why(
    transform: str, value: Any, expected: str
) -> None:
    assert problem(transform, value) == expected


@pytest.mark.parametrize(
    ("incoming", "name"),
    [(" First Name ", "first_name"), ("last-name", "last_name"), ("E  Mail", "e_mail")],
)
def test_an_incoming_name_reads_as_a_lead_field_name(incoming: str, name: str) -> None:
    assert lead_field_name(incoming) == name


def test_a_field_mapped_into_custom_sits_beside_the_unmapped_ones() -> None:
    assert mapped({"Opted In": "yes", "Favourite Colour": "teal"}) == {
        "custom": {"opted_in": True, "Favourite Colour": "teal"}
    }
