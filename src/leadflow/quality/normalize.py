"""Normalization: the step every lead goes through, whatever its source, before routing reads it.

Invariants this module keeps:

- Nothing raises on bad input: a value that cannot be used is dropped (an email, a phone, a
  number of employees) or kept as given (a country or state nobody knows) and the reason is
  recorded in `problems`, so that a lead is never lost to a typo.
- Junk is a verdict, not a deletion: a junk lead keeps all its cleaned fields, so that a person
  can see why it was refused and undo it.
- Normalizing twice changes nothing: every value written is one that reads back as itself.
  For that, a country or state holding an ISO code exactly as ISO writes it is never a
  placeholder: "NA" is Namibia in `country` and Navarra in a Spanish `state` (typed "n/a" or
  "na", it is still no value).
- Derived fields are only ever set when known (`timezone`, `region`, `company_domain`); a
  valid `timezone` the lead brought is never replaced.

Choices, kept simple on purpose:

- `name` fills `first_name` and `last_name` when they are missing: the first word and the last
  word ("Jane Q. Doe" -> Jane, Doe), or around a comma ("Doe, Jane" -> Jane, Doe). Particles
  ("van der Berg") are not recognized: the last word is the last name.
- `employees` as text: "1,200" -> 1200; a range "51-200" or a floor "1000+" keeps its text in
  `employees_range` and sets `employees` to the lower bound, so that a rule such as
  `employees >= 50` never treats a company as bigger than it said it is.
- A phone's extension goes to `phone_extension`; E.164 has no room for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from leadflow.quality.contact import (
    BadValue,
    Email,
    check_email,
    company_domain,
    parse_phone,
    website_host,
)
from leadflow.quality.placeholders import is_placeholder, strip_placeholders
from leadflow.quality.places import (
    country_code,
    region,
    subdivision_code,
    time_zone,
    time_zone_name,
)

_COUNT = r"\d{1,3}(?:,\d{3})+|\d+"
_EMPLOYEES = re.compile(rf"({_COUNT})(?:\s*(?:-|–|—|to)\s*({_COUNT})|\s*(\+))?", re.IGNORECASE)


@dataclass(frozen=True)
class JunkRules:
    """What makes a lead junk, checked in this order; the first reason found is the verdict."""

    honeypots: tuple[str, ...] = ()  # fields hidden from people; only bots fill them
    refuse_disposable: bool = False  # a throwaway mailbox means nobody will answer
    blocked_domains: frozenset[str] = frozenset()  # competitors, our own staff, known spam
    blocked_patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()  # (field, regex searched)
    # Neither a usable email nor a usable phone: nobody to call or write to. On unless the
    # policy says `junk: {unreachable: false}`: a lead a rep cannot reach is not a lead.
    unreachable: bool = True


@dataclass(frozen=True)
class Cleaned:
    """A lead after normalization: the fields routing reads, and what was found on the way."""

    fields: dict[str, Any]
    problems: dict[str, str]  # field -> why its value was dropped or not understood
    cleared: tuple[str, ...]  # dotted paths of placeholder values removed
    junk: str | None  # "reason_code: words", the first junk reason; None for a real lead
    junk_reasons: tuple[str, ...] = ()  # every junk reason found, first one first
    inferred: dict[str, str] = field(default_factory=dict)  # field -> where it came from

    def record(self) -> dict[str, Any]:
        """A JSON-able summary for the decision record (the fields are recorded with the lead)."""
        return {
            "problems": dict(self.problems),
            "cleared": list(self.cleared),
            "inferred": dict(self.inferred),
            "junk": self.junk,
            "junk_reasons": list(self.junk_reasons),
        }


NO_SCREEN = JunkRules(unreachable=False)  # normalize alone cleans; the policy's rules screen


@dataclass
class _Work:
    """The lead being cleaned, passed from step to step."""

    fields: dict[str, Any]
    problems: dict[str, str] = field(default_factory=dict)
    inferred: dict[str, str] = field(default_factory=dict)
    email: Email | None = None
    country: str | None = None  # alpha-2, once known
    state: str | None = None  # subdivision code, once known

    def drop(self, name: str, reason: str) -> None:
        del self.fields[name]
        self.problems[name] = reason


def normalize(fields: Mapping[str, Any], junk: JunkRules = NO_SCREEN) -> Cleaned:
    """The lead's fields cleaned and completed, its problems, and whether it is junk.

    Example: {"email": " Jane@Acme.COM", "phone": "(415) 555-0123", "country": "USA",
    "state": "California", "company": "n/a"} -> email Jane@acme.com, phone +14155550123,
    country US, state CA, region AMER, timezone America/Los_Angeles, company_domain
    acme.com, and "company" in `cleared`.
    """
    kept, cleared = strip_placeholders(fields)
    for name, code in _iso_codes(fields, cleared):
        kept[name] = code
        cleared.remove(name)
    work = _Work(kept)
    for step in _STEPS:
        step(work)
    reasons = tuple(reason for check in _JUNK_CHECKS for reason in check(junk, fields, work))
    return Cleaned(
        fields=work.fields,
        problems=work.problems,
        cleared=tuple(cleared),
        junk=reasons[0] if reasons else None,
        junk_reasons=reasons,
        inferred=work.inferred,
    )


def _iso_codes(fields: Mapping[str, Any], cleared: list[str]) -> Iterator[tuple[str, str]]:
    """`country` and `state` cleared as placeholders although they hold an ISO code exactly as
    ISO writes it ("NA")."""
    country, state = fields.get("country"), fields.get("state")
    country = country.strip() if isinstance(country, str) else None
    if "country" in cleared and country and country_code(country) == country:
        yield "country", country
    code = country_code(country)
    state = state.strip() if isinstance(state, str) else None
    if "state" in cleared and code and state and subdivision_code(code, state) == state:
        yield "state", state


def _email(work: _Work) -> None:
    if "email" not in work.fields:
        return
    try:
        email = check_email(work.fields["email"])
    except BadValue as bad:
        work.drop("email", bad.reason)
        return
    work.email = email
    work.fields.update(
        email=email.address,
        email_domain=email.domain,
        email_free=email.free,
        email_disposable=email.disposable,
    )


def _country(work: _Work) -> None:
    given = work.fields.get("country")
    if given is None:
        return
    work.country = country_code(given)
    if work.country:
        work.fields["country"] = work.country
    else:
        work.problems["country"] = f"unknown country: {given!r}"


def _phone(work: _Work) -> None:
    """The phone in E.164; with no country given, the country is the phone's."""
    if "phone" not in work.fields:
        return
    try:
        phone = parse_phone(work.fields["phone"], work.country)
    except BadValue as bad:
        work.drop("phone", bad.reason)
        return
    work.fields["phone"] = phone.e164
    if phone.extension:
        work.fields["phone_extension"] = phone.extension
    if "country" not in work.fields and phone.country:
        work.country = work.fields["country"] = phone.country
        work.inferred["country"] = "phone"


def _state(work: _Work) -> None:
    given = work.fields.get("state")
    if given is None:
        return
    if work.country is None:
        work.problems["state"] = f"state {given!r} not checked: the country is unknown"
        return
    work.state = subdivision_code(work.country, given)
    if work.state:
        work.fields["state"] = work.state
    else:
        work.problems["state"] = f"unknown state for {work.country}: {given!r}"


def _region(work: _Work) -> None:
    found = region(work.country)
    if found:
        work.fields["region"] = found


def _time_zone(work: _Work) -> None:
    given = work.fields.get("timezone")
    if given is not None:
        name = time_zone_name(given)
        if name:
            work.fields["timezone"] = name
            return
        work.drop("timezone", f"unknown time zone: {given!r}")
    phone = work.fields.get("phone")
    zone = time_zone(work.country, work.state, phone if isinstance(phone, str) else None)
    if zone:
        work.fields["timezone"] = zone


def _company_domain(work: _Work) -> None:
    website = work.fields.get("website")
    found = company_domain(work.email, website if isinstance(website, str) else None)
    if found:
        work.fields["company_domain"] = found


def _names(work: _Work) -> None:
    name = work.fields.get("name")
    if not isinstance(name, str) or {"first_name", "last_name"} <= work.fields.keys():
        return
    last, comma, first = name.partition(",")
    words = (first + " " + last if comma else name).split()
    words = [word for word in words if not is_placeholder(word)]
    if words:
        work.fields.setdefault("first_name", words[0])
    if len(words) > 1:
        work.fields.setdefault("last_name", words[-1])


def _employees(work: _Work) -> None:
    given = work.fields.get("employees")
    if given is None or (isinstance(given, int) and not isinstance(given, bool)):
        return
    if isinstance(given, float) and given.is_integer() and 0 <= given < 2**31:
        work.fields["employees"] = int(given)
        return
    # A head count has at most 9 digits: longer text is not one (and int() of thousands of
    # digits raises rather than answers).
    match = _EMPLOYEES.fullmatch(given) if isinstance(given, str) and len(given) < 40 else None
    if match is None:
        work.drop("employees", f"not a number of employees: {given!r}")
        return
    low, high, plus = match.groups()
    low_count = int(low.replace(",", ""))
    if high is not None and int(high.replace(",", "")) < low_count:
        work.drop("employees", f"a range that ends below its start: {given!r}")
        return
    work.fields["employees"] = low_count
    if high is not None or plus:
        upper = str(int(high.replace(",", ""))) if high is not None else ""
        work.fields["employees_range"] = f"{low_count}-{upper}" if upper else f"{low_count}+"


_STEPS: tuple[Callable[[_Work], None], ...] = (
    _email,
    _country,
    _phone,  # after country: the country reads a national number; before state: may infer it
    _state,
    _region,
    _time_zone,
    _company_domain,
    _names,
    _employees,
)


def _value_at(fields: Mapping[str, Any], path: str) -> Any:
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value is not False and value != {} and value != []


def _honeypots(rules: JunkRules, raw: Mapping[str, Any], work: _Work) -> Iterator[str]:
    """A honeypot counts on the raw value (a bot may fill it with "n/a"); one not found at
    the top is looked for under `custom`, where an intake mapping puts fields it does not know."""
    for name in rules.honeypots:
        value = _value_at(raw, name)
        if value is None and "." not in name:
            value = _value_at(raw, f"custom.{name}")
        if _filled(value):
            yield f"honeypot: {name} was filled"


def _disposable(rules: JunkRules, raw: Mapping[str, Any], work: _Work) -> Iterator[str]:
    if rules.refuse_disposable and work.email is not None and work.email.disposable:
        yield f"disposable_email: {work.email.domain}"


def _blocked_domains(rules: JunkRules, raw: Mapping[str, Any], work: _Work) -> Iterator[str]:
    if not rules.blocked_domains:
        return
    blocked = _lower_case(rules.blocked_domains)
    website = work.fields.get("website")
    hosts = [
        work.email.domain if work.email else None,
        website_host(website) if isinstance(website, str) else None,
    ]
    for host in filter(None, hosts):
        labels = host.split(".")
        parents = (".".join(labels[i:]) for i in range(len(labels)))
        match = next((parent for parent in parents if parent in blocked), None)
        if match:
            yield f"blocked_domain: {match}"


@lru_cache(maxsize=64)
def _lower_case(domains: frozenset[str]) -> frozenset[str]:
    return frozenset(domain.strip().strip(".").lower() for domain in domains)


def _blocked_patterns(rules: JunkRules, raw: Mapping[str, Any], work: _Work) -> Iterator[str]:
    """A pattern reads the field as cleaned, or as received if cleaning dropped it (a
    placeholder "test" company, an invalid "test@test" email)."""
    for name, pattern in rules.blocked_patterns:
        value = _value_at(work.fields, name)
        text = _text(value if value is not None else _value_at(raw, name))
        if text is not None and pattern.search(text):
            yield f"blocked_pattern: {name} matches {pattern.pattern!r}"


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _unreachable(rules: JunkRules, raw: Mapping[str, Any], work: _Work) -> Iterator[str]:
    if rules.unreachable and "email" not in work.fields and "phone" not in work.fields:
        yield "unreachable: no valid email or phone"


_JUNK_CHECKS: tuple[Callable[[JunkRules, Mapping[str, Any], _Work], Iterator[str]], ...] = (
    _honeypots,
    _disposable,
    _blocked_domains,
    _blocked_patterns,
    _unreachable,
)
