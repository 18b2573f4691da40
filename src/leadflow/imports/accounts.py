"""Accounts as sent or imported: checked, and read from a CSV row.

Used by the service (which saves them) and by `leadflow simulate --accounts` (which only
matches against them), so that both read an accounts file the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from leadflow.quality.accounts import Account
from leadflow.quality.contact import registrable_domain
from leadflow.quality.names import normalize_name
from leadflow.quality.places import country_code

LONGEST = {"name": 300, "id": 200, "owner": 120, "tier": 60, "industry": 120, "parent": 200}
COLUMNS = ("id", "name", "domains", "owner", "tier", "industry", "employees", "country", "parent")


class BadAccount(ValueError):
    """An account that cannot be kept: `field` says which value is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AccountIn:
    """An account as sent or imported; `id` None: found by name, or new."""

    name: str
    id: str | None = None
    domains: tuple[str, ...] = ()
    owner: str | None = None
    tier: str | None = None
    industry: str | None = None
    employees: int | None = None
    country: str | None = None
    parent: str | None = None


def checked(item: AccountIn) -> AccountIn:
    """The account with its name, domains and country checked and folded; else BadAccount."""
    name = item.name.strip()
    if not name or not normalize_name(name):
        raise BadAccount("name", "an account needs a name")
    domains = []
    for text in item.domains:
        host = re.sub(r"^[a-z]+://", "", text.strip().lower()).split("/")[0]
        domain = registrable_domain(host) if host else None
        if domain is None:
            raise BadAccount("domains", f"{text!r} is not a domain such as acme.com")
        domains.append(domain)
    country = None
    if item.country:
        country = country_code(item.country)
        if country is None:
            raise BadAccount("country", f"unknown country {item.country!r}")
    if item.employees is not None and not 0 <= item.employees < 2**31:
        raise BadAccount("employees", f"{item.employees} is not a head count")
    for field, value in (
        ("name", name),
        ("id", item.id),
        ("owner", item.owner),
        ("tier", item.tier),
        ("industry", item.industry),
        ("parent", item.parent),
    ):
        if value is not None and len(value) > LONGEST[field]:
            raise BadAccount(field, f"longer than {LONGEST[field]} characters")
    return AccountIn(
        name=name,
        id=item.id.strip() if item.id and item.id.strip() else None,
        domains=tuple(dict.fromkeys(domains)),
        owner=item.owner.strip() if item.owner and item.owner.strip() else None,
        tier=item.tier,
        industry=item.industry,
        employees=item.employees,
        country=country,
        parent=item.parent,
    )


def from_row(values: dict[str, str]) -> AccountIn:
    """An account from a CSV row: columns as in `COLUMNS` (any case; `domain` and `website`
    are read as `domains`), domains separated by spaces, commas, semicolons or |."""
    values = {k.strip().lower().replace(" ", "_"): v for k, v in values.items()}
    employees = values.get("employees")
    count = None
    if employees:
        try:
            count = int(float(employees.replace(",", "").replace("_", "")))
        except (ValueError, OverflowError):
            raise BadAccount("employees", f"{employees!r} is not a whole number") from None
    domains = values.get("domains") or values.get("domain") or values.get("website") or ""
    return AccountIn(
        name=values.get("name", ""),
        id=values.get("id"),
        domains=tuple(re.split(r"[\s,;|]+", domains.strip())) if domains.strip() else (),
        owner=values.get("owner"),
        tier=values.get("tier"),
        industry=values.get("industry"),
        employees=count,
        country=values.get("country"),
        parent=values.get("parent"),
    )


def account_id(item: AccountIn) -> str:
    """The id an account without one gets: its name in comparable form, as a slug."""
    return (
        item.id
        or re.sub(r"[^a-z0-9]+", "-", normalize_name(item.name)).strip("-")[:180]
        or "account"
    )


def to_account(item: AccountIn) -> Account:
    """A checked account as the matcher keeps it."""
    return Account(
        id=account_id(item),
        name=item.name,
        domains=item.domains,
        owner=item.owner,
        tier=item.tier,
        industry=item.industry,
        employees=item.employees,
        country=item.country,
        parent=item.parent,
    )
