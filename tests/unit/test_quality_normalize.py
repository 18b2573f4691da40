"""Normalization: placeholders, each field's rule, junk rules, and the step's invariants."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.quality.normalize import Cleaned, JunkRules, normalize
from leadflow.quality.placeholders import is_placeholder, strip_placeholders

REACHABLE = {"email": "dana@northwind.com"}


def clean(**fields: Any) -> Cleaned:
    return normalize({**REACHABLE, **fields})


# Placeholders


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "select",
        "-- Select --",
        "Please select",
        "N/A",
        "n.a.",
        "na",
        "None",
        "NULL",
        "nil",
        "-",
        "--",
        "?",
        ".",
        "test",
        "Testing",
        "asdf",
        "xxx",
        "Unknown",
        "not provided",
        "Not Applicable",
        [],
        {},
        float("nan"),
    ],
)
def test_a_value_that_means_no_value_is_a_placeholder(value: object) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value", ["0", "no", "No", "false", "Test Ltd", "Nan", "Dana", "NA Logistics", 0, False]
)
def test_a_real_value_is_not_a_placeholder(value: object) -> None:
    assert not is_placeholder(value)


def test_placeholders_are_dropped_and_their_paths_listed() -> None:
    kept, cleared = strip_placeholders({"company": "n/a", "title": "CTO"})
    assert (kept, cleared) == ({"title": "CTO"}, ["company"])


def test_placeholders_in_nested_custom_fields_are_dropped_with_a_dotted_path() -> None:
    kept, cleared = strip_placeholders({"custom": {"budget": "--", "source": "webinar"}})
    assert (kept, cleared) == ({"custom": {"source": "webinar"}}, ["custom.budget"])


def test_a_nested_mapping_left_empty_is_dropped() -> None:
    kept, _ = strip_placeholders({"custom": {"budget": "n/a"}, "title": "CTO"})
    assert kept == {"title": "CTO"}


# Field rules


def test_text_is_stripped() -> None:
    assert clean(title="  VP Sales ").fields["title"] == "VP Sales"


def test_a_placeholder_is_dropped_and_listed_as_cleared() -> None:
    cleaned = clean(company="-- Select --")
    assert "company" not in cleaned.fields
    assert cleaned.cleared == ("company",)


def test_a_placeholder_in_custom_is_cleared_with_its_path() -> None:
    assert clean(custom={"budget": "N/A", "source": "ads"}).cleared == ("custom.budget",)


def test_the_email_is_normalized() -> None:
    assert clean(email=" Dana@NorthWind.com ").fields["email"] == "Dana@northwind.com"


def test_the_email_gives_its_domain_and_kind() -> None:
    fields = clean(email="dana@gmail.com").fields
    assert (fields["email_domain"], fields["email_free"], fields["email_disposable"]) == (
        "gmail.com",
        True,
        False,
    )


def test_an_invalid_email_is_removed_and_its_problem_recorded() -> None:
    cleaned = clean(email="dana@northwind", phone="+14155550123")
    assert "email" not in cleaned.fields
    assert cleaned.problems["email"] == "not an email address: the part after the @ has no dot"


def test_a_country_name_becomes_its_code() -> None:
    assert clean(country="United States of America").fields["country"] == "US"


def test_an_unknown_country_is_kept_as_given_with_a_problem() -> None:
    cleaned = clean(country="Narnia")
    assert cleaned.fields["country"] == "Narnia"
    assert cleaned.problems["country"] == "unknown country: 'Narnia'"


def test_namibia_written_as_its_iso_code_is_a_country_not_a_placeholder() -> None:
    assert clean(country="NA").fields["country"] == "NA"


def test_a_state_name_becomes_its_code() -> None:
    assert clean(country="US", state="New York").fields["state"] == "NY"


def test_an_unknown_state_is_kept_as_given_with_a_problem() -> None:
    cleaned = clean(country="US", state="Ontario")
    assert cleaned.fields["state"] == "Ontario"
    assert cleaned.problems["state"] == "unknown state for US: 'Ontario'"


def test_the_phone_becomes_e164_read_in_the_lead_country() -> None:
    assert clean(country="GB", phone="020 7946 0958").fields["phone"] == "+442079460958"


def test_an_invalid_phone_is_removed_and_its_problem_recorded() -> None:
    cleaned = clean(country="US", phone="555 555 5555")
    assert "phone" not in cleaned.fields
    assert cleaned.problems["phone"] == "not a valid number for US"


def test_a_phone_extension_is_kept_in_its_own_field() -> None:
    assert clean(phone="+1 650 253 0000 x12").fields["phone_extension"] == "12"


def test_without_a_country_the_phone_gives_it() -> None:
    assert clean(phone="+44 20 7946 0958").fields["country"] == "GB"


def test_a_country_from_the_phone_is_recorded_as_inferred() -> None:
    assert clean(phone="+44 20 7946 0958").record()["inferred"] == {"country": "phone"}


def test_the_region_follows_the_country() -> None:
    assert clean(country="Deutschland").fields["region"] == "EMEA"


def test_the_time_zone_follows_the_state() -> None:
    assert clean(country="US", state="TX").fields["timezone"] == "America/Chicago"


def test_the_time_zone_follows_the_phone_when_the_state_is_missing() -> None:
    assert clean(country="US", phone="(415) 555-0123").fields["timezone"] == "America/Los_Angeles"


def test_no_time_zone_is_set_when_it_is_not_known() -> None:
    assert "timezone" not in clean(country="US").fields


def test_a_valid_time_zone_the_lead_brought_is_kept() -> None:
    assert clean(country="US", state="NY", timezone="America/Chicago").fields["timezone"] == (
        "America/Chicago"
    )


def test_an_unknown_time_zone_is_replaced_by_the_known_one_with_a_problem() -> None:
    cleaned = clean(country="FR", timezone="Paris time")
    assert (cleaned.fields["timezone"], cleaned.problems["timezone"]) == (
        "Europe/Paris",
        "unknown time zone: 'Paris time'",
    )


def test_the_company_domain_comes_from_the_work_email() -> None:
    assert clean(email="dana@eu.northwind.co.uk").fields["company_domain"] == "northwind.co.uk"


def test_the_company_domain_comes_from_the_website_for_free_mail() -> None:
    fields = clean(email="dana@gmail.com", website="https://www.Northwind.com/").fields
    assert fields["company_domain"] == "northwind.com"


def test_a_full_name_is_split_into_first_and_last() -> None:
    fields = clean(name="Jane Q. Doe").fields
    assert (fields["first_name"], fields["last_name"]) == ("Jane", "Doe")


def test_a_name_written_last_comma_first_is_split_around_the_comma() -> None:
    fields = clean(name="Doe, Jane").fields
    assert (fields["first_name"], fields["last_name"]) == ("Jane", "Doe")


def test_a_full_name_never_replaces_a_given_first_name() -> None:
    assert clean(name="Jane Doe", first_name="Janet").fields["first_name"] == "Janet"


@pytest.mark.parametrize(
    ("given", "employees"), [("1,200", 1200), ("1200", 1200), (" 85 ", 85), (300.0, 300)]
)
def test_a_number_of_employees_given_as_text_becomes_a_number(given: Any, employees: int) -> None:
    assert clean(employees=given).fields["employees"] == employees


@pytest.mark.parametrize(
    ("given", "employees", "band"),
    [("51-200", 51, "51-200"), ("51 – 200", 51, "51-200"), ("1,000+", 1000, "1000+")],
)
def test_a_band_of_employees_keeps_its_text_and_counts_its_lower_bound(
    given: str, employees: int, band: str
) -> None:
    fields = clean(employees=given).fields
    assert (fields["employees"], fields["employees_range"]) == (employees, band)


def test_employees_that_are_not_a_number_are_dropped_with_a_problem() -> None:
    cleaned = clean(employees="lots")
    assert "employees" not in cleaned.fields
    assert cleaned.problems["employees"] == "not a number of employees: 'lots'"


def test_fields_nobody_knows_are_kept() -> None:
    assert clean(favourite_colour="teal").fields["favourite_colour"] == "teal"


# Junk


def test_a_lead_with_an_email_and_nothing_wrong_is_not_junk() -> None:
    assert clean().junk is None


def test_a_filled_honeypot_makes_junk() -> None:
    cleaned = normalize({**REACHABLE, "fax_2": "spam"}, JunkRules(honeypots=("fax_2",)))
    assert cleaned.junk == "honeypot: fax_2 was filled"


def test_a_honeypot_filled_with_a_placeholder_still_makes_junk() -> None:
    cleaned = normalize({**REACHABLE, "fax_2": "n/a"}, JunkRules(honeypots=("fax_2",)))
    assert cleaned.junk == "honeypot: fax_2 was filled"


def test_a_honeypot_under_custom_makes_junk() -> None:
    lead = {**REACHABLE, "custom": {"fax_2": "x"}}
    assert normalize(lead, JunkRules(honeypots=("fax_2",))).junk == "honeypot: fax_2 was filled"


def test_an_empty_honeypot_is_not_junk() -> None:
    assert normalize({**REACHABLE, "fax_2": " "}, JunkRules(honeypots=("fax_2",))).junk is None


def test_a_disposable_email_makes_junk_when_refused() -> None:
    cleaned = normalize({"email": "x@mailinator.com"}, JunkRules(refuse_disposable=True))
    assert cleaned.junk == "disposable_email: mailinator.com"


def test_a_disposable_email_is_not_junk_unless_refused() -> None:
    assert normalize({"email": "x@mailinator.com"}).junk is None


def test_an_email_under_a_blocked_domain_makes_junk() -> None:
    rules = JunkRules(blocked_domains=frozenset({"rival.example"}))
    assert normalize({"email": "spy@eu.rival.example"}, rules).junk == (
        "blocked_domain: rival.example"
    )


def test_a_website_on_a_blocked_domain_makes_junk() -> None:
    rules = JunkRules(blocked_domains=frozenset({"Rival.example"}))
    lead = {"email": "spy@gmail.com", "website": "https://www.rival.example/"}
    assert normalize(lead, rules).junk == "blocked_domain: rival.example"


def test_a_field_matching_a_blocked_pattern_makes_junk() -> None:
    rules = JunkRules(blocked_patterns=(("email", re.compile(r"^test@")),))
    assert normalize({"email": "test@northwind.com"}, rules).junk == (
        "blocked_pattern: email matches '^test@'"
    )


def test_a_blocked_pattern_reads_a_value_dropped_as_placeholder() -> None:
    rules = JunkRules(blocked_patterns=(("company", re.compile(r"(?i)^test$")),))
    assert normalize({**REACHABLE, "company": "Test"}, rules).junk is not None


UNREACHABLE = JunkRules(unreachable=True)


def test_a_lead_with_no_valid_email_or_phone_is_unreachable_junk() -> None:
    cleaned = normalize({"email": "dana@northwind", "company": "Northwind"}, UNREACHABLE)
    assert cleaned.junk == "unreachable: no valid email or phone"


def test_a_lead_with_only_a_valid_phone_is_reachable() -> None:
    assert normalize({"phone": "+14155550123"}, UNREACHABLE).junk is None


def test_normalize_alone_cleans_without_screening_unreachable_leads() -> None:
    assert normalize({"company": "Northwind"}).junk is None


def test_junk_rules_screen_unreachable_leads_unless_told_not_to() -> None:
    lead = {"email": "not-an-email", "country": "US"}
    assert normalize(lead, JunkRules()).junk == "unreachable: no valid email or phone"
    assert normalize(lead, JunkRules(unreachable=False)).junk is None


def test_a_placeholder_email_and_no_phone_is_unreachable() -> None:
    assert normalize({"email": "n/a"}, JunkRules()).junk == "unreachable: no valid email or phone"


def test_the_first_junk_reason_in_rule_order_is_the_verdict() -> None:
    rules = JunkRules(honeypots=("fax_2",), refuse_disposable=True)
    cleaned = normalize({"email": "x@mailinator.com", "fax_2": "1"}, rules)
    assert cleaned.junk == "honeypot: fax_2 was filled"


def test_every_junk_reason_is_in_the_record() -> None:
    rules = JunkRules(honeypots=("fax_2",), refuse_disposable=True)
    cleaned = normalize({"email": "x@mailinator.com", "fax_2": "1"}, rules)
    assert cleaned.record()["junk_reasons"] == [
        "honeypot: fax_2 was filled",
        "disposable_email: mailinator.com",
    ]


def test_a_junk_lead_keeps_its_cleaned_fields() -> None:
    cleaned = normalize(
        {"email": "x@mailinator.com", "country": "USA"}, JunkRules(refuse_disposable=True)
    )
    assert cleaned.fields["country"] == "US"


# The step's invariants


def test_the_record_is_json() -> None:
    cleaned = clean(country="Narnia", phone="+44 20 7946 0958", company="n/a")
    assert json.loads(json.dumps(cleaned.record())) == cleaned.record()


def test_bad_values_of_every_type_never_raise() -> None:
    lead = {"email": ["a"], "phone": {"x": 1}, "country": 3.5, "state": object(), "employees": []}
    assert normalize(lead, UNREACHABLE).junk == "unreachable: no valid email or phone"


FIELDS = [
    "first_name",
    "last_name",
    "name",
    "email",
    "phone",
    "company",
    "title",
    "website",
    "country",
    "state",
    "employees",
    "timezone",
    "fax_2",
]
SAMPLES = [
    "Dana",
    "Okafor",
    "Jane Q. Doe",
    "dana@northwind.com",
    "x@gmail.com",
    "+44 20 7946 0958",
    "(415) 555-0123",
    "USA",
    "NA",
    "New York",
    "California",
    "51-200",
    "1,200",
    "n/a",
    "America/Chicago",
    "https://www.northwind.com/",
]
text_values = st.one_of(st.text(max_size=30), st.sampled_from(SAMPLES))
leads = st.dictionaries(
    st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)),
    st.one_of(text_values, st.dictionaries(st.text(max_size=8), text_values, max_size=3)),
    max_size=10,
)
RULES = JunkRules(
    honeypots=("fax_2",),
    refuse_disposable=True,
    blocked_domains=frozenset({"gmail.com"}),
    blocked_patterns=(("company", re.compile("test")),),
)


@settings(max_examples=400, deadline=None)
@given(leads)
def test_normalize_never_raises_on_any_text(lead: dict[str, Any]) -> None:
    assert isinstance(normalize(lead, RULES), Cleaned)


@settings(max_examples=400, deadline=None)
@given(leads)
def test_normalizing_a_normalized_lead_changes_nothing(lead: dict[str, Any]) -> None:
    once = normalize(lead, RULES).fields
    assert normalize(once, RULES).fields == once
