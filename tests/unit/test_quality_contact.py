"""Contact details: email addresses, company domains and phone numbers."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.quality.contact import (
    BadValue,
    Email,
    check_email,
    company_domain,
    e164,
    parse_phone,
    phone_country,
    registrable_domain,
    website_host,
)


def reason(value: object, country: str | None = None, *, field: str = "email") -> str:
    """The reason a value is refused, asserting that it is refused for `field`."""
    check = check_email if field == "email" else (lambda v: e164(v, country))
    with pytest.raises(BadValue) as refused:
        check(value)
    assert refused.value.field == field
    return refused.value.reason


# Email


def test_an_email_domain_is_lower_cased_and_its_local_part_kept_as_typed() -> None:
    assert check_email("  Dana.Okafor@Northwind.COM ").address == "Dana.Okafor@northwind.com"


def test_an_email_gives_its_domain() -> None:
    assert check_email("dana@northwind.com").domain == "northwind.com"


def test_an_internationalized_domain_comes_back_in_unicode() -> None:
    assert check_email("lena@xn--mnchen-3ya.de").domain == "münchen.de"


@pytest.mark.parametrize(
    "address", ["ops@acme.example", "ops@example.com", "qa@foo.test", "bot@sandbox.invalid"]
)
def test_an_address_at_a_documentation_or_test_domain_is_accepted(address: str) -> None:
    assert check_email(address).address == address


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("dana.northwind.com", "not an email address: there is no @"),
        ("dana@northwind", "not an email address: the part after the @ has no dot"),
        ("@northwind.com", "not an email address: nothing before the @"),
        ("dana@", "not an email address: nothing after the @"),
        ("dana@box.local", "not an email address: the part after the @ is a reserved name"),
    ],
)
def test_a_refused_email_says_why_in_plain_words(text: str, expected: str) -> None:
    assert reason(text).startswith(expected)


def test_an_email_that_is_not_text_is_refused() -> None:
    assert reason(42) == "not an email address: it is not text"


def test_free_mail_is_marked_free() -> None:
    assert check_email("dana@gmail.com").free


def test_a_work_address_is_not_free() -> None:
    assert not check_email("dana@northwind.com").free


def test_a_throwaway_mailbox_is_disposable() -> None:
    assert check_email("x@mailinator.com").disposable


def test_a_subdomain_of_a_throwaway_service_is_disposable() -> None:
    assert check_email("x@eu.mailinator.com").disposable


def test_a_disposable_domain_is_never_free_even_when_the_free_list_holds_it() -> None:
    assert check_email("x@mailinator.com") == Email(
        "x@mailinator.com", "mailinator.com", free=False, disposable=True
    )


_ATEXT = r"[A-Za-z0-9_!#$%&'*+/=?^`{|}~-]{1,8}"
_LABEL = r"[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?"
_EVERYDAY = rf"{_ATEXT}(\.{_ATEXT}){{0,2}}@({_LABEL}\.){{1,3}}[a-zA-Z]{{2,6}}"


@settings(max_examples=300, deadline=None)
@given(st.from_regex(_EVERYDAY, fullmatch=True))
def test_the_quick_check_agrees_with_email_validator(address: str) -> None:
    try:
        expected = validate_email(address, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        with pytest.raises(BadValue):
            check_email(address)
        return
    checked = check_email(address)
    assert (checked.address, checked.domain) == (expected.normalized, expected.domain)


def test_a_role_mailbox_is_lower_cased_as_email_validator_does() -> None:
    assert check_email("Sales@Northwind.com").address == "sales@northwind.com"


# Company domain


@pytest.mark.parametrize(
    ("website", "host"),
    [
        ("https://www.Acme.com/contact", "acme.com"),
        ("acme.com", "acme.com"),
        ("www.acme.co.uk/", "acme.co.uk"),
        ("http://acme.com:8080/pricing?x=1", "acme.com"),
    ],
)
def test_a_website_gives_its_host_without_www(website: str, host: str) -> None:
    assert website_host(website) == host


@pytest.mark.parametrize(
    "website", ["Acme Inc", "localhost:3000", "http://10.0.0.1/", "http://[::1"]
)
def test_a_website_that_is_not_a_public_host_gives_none(website: str) -> None:
    assert website_host(website) is None


def test_a_registrable_domain_drops_subdomains_above_the_public_suffix() -> None:
    assert registrable_domain("mail.eu.acme.co.uk") == "acme.co.uk"


def test_a_public_suffix_alone_is_not_a_registrable_domain() -> None:
    assert registrable_domain("co.uk") is None


def test_a_punycode_host_is_registrable_in_unicode() -> None:
    assert registrable_domain("www.xn--mnchen-3ya.de") == "münchen.de"


def test_the_company_domain_is_the_work_email_domain() -> None:
    assert company_domain(check_email("dana@mail.northwind.com"), "other.com") == "northwind.com"


def test_free_mail_leaves_the_company_domain_to_the_website() -> None:
    assert company_domain(check_email("dana@gmail.com"), "https://northwind.com") == (
        "northwind.com"
    )


def test_disposable_mail_leaves_the_company_domain_to_the_website() -> None:
    assert company_domain(check_email("x@mailinator.com"), "northwind.com") == "northwind.com"


def test_free_mail_and_no_website_give_no_company_domain() -> None:
    assert company_domain(check_email("dana@gmail.com"), None) is None


# Phone


@pytest.mark.parametrize(
    ("typed", "country", "expected"),
    [
        ("(415) 555-0123", "US", "+14155550123"),
        ("415.555.0123", "USA", "+14155550123"),
        ("+1 415 555 0123", None, "+14155550123"),
        ("0044 20 7946 0958", "US", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+49 30 901820", None, "+4930901820"),
    ],
)
def test_a_phone_number_is_written_in_e164(typed: str, country: str | None, expected: str) -> None:
    assert e164(typed, country) == expected


def test_a_phone_sent_as_a_json_number_is_read_with_its_country_code() -> None:
    assert e164(14155550123, None) == "+14155550123"


def test_a_phone_sent_as_a_json_float_is_read_as_its_digits() -> None:
    assert e164(4155550123.0, "US") == "+14155550123"


def test_a_json_number_with_a_fraction_is_not_a_phone() -> None:
    assert reason(4155550123.5, "US", field="phone") == "not a phone number: it has a fraction"


def test_a_national_number_without_a_country_is_refused() -> None:
    assert reason("415 555 0123", None, field="phone") == (
        "no country code (+...) and no country to read it by"
    )


def test_a_number_that_cannot_exist_in_its_country_is_refused() -> None:
    assert reason("555 555 5555", "US", field="phone") == "not a valid number for US"


def test_a_number_with_too_few_digits_is_refused() -> None:
    assert reason("12", "US", field="phone") == "not a phone number: too few digits"


def test_a_phone_that_is_not_text_or_digits_is_refused() -> None:
    assert reason(["415"], "US", field="phone") == "not a phone number: it is not text or digits"


def test_an_extension_is_not_part_of_e164() -> None:
    assert e164("+1 650 253 0000 ext. 12") == "+16502530000"


def test_an_extension_is_kept_apart() -> None:
    assert parse_phone("+1 650 253 0000 ext. 12").extension == "12"


def test_a_number_belongs_to_its_country() -> None:
    assert phone_country("+442079460958") == "GB"


def test_a_non_geographic_number_belongs_to_no_country() -> None:
    assert phone_country("+80012345678") is None
