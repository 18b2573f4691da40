"""Who a lead is, for dedupe: its identity keys, and an in-memory index of open leads by them.

A lead has up to three identities, each a `kind:value` key:

- ``email:jane.doe@acme.com``: the normalized address, all lower case, with a ``+tag`` on the
  local part dropped (jane+webinar@ and jane@ are one person), and for Gmail the dots too
  (j.a.n.e@gmail.com is jane@gmail.com, as Gmail delivers it);
- ``phone:+14155550123``: the E.164 number;
- ``name:jane|doe@acme.com``: first and last name, case and accents folded, at the company
  domain. Without a company domain (free mail, no website) a name alone says too little.

The service keeps the keys in indexed columns; the simulator keeps `OpenLeads`. Both look up
a new lead's keys among open leads received within the policy's window, earliest first. An
open lead is one a rep owns and works (assigned up to qualified): a lead that is queued,
unassigned or in nurture has nobody to keep the newcomer, which is routed as a new lead.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GMAIL = frozenset({"gmail.com", "googlemail.com"})
KEY_SIZES = {"email": 330, "phone": 40, "name": 400}  # the service's columns


@dataclass(frozen=True, slots=True)
class Keys:
    email: str | None = None
    phone: str | None = None
    name: str | None = None

    def present(self, kinds: frozenset[str]) -> list[tuple[str, str]]:
        """(kind, key) for the identities this lead has, among the `kinds` the policy uses."""
        found: list[tuple[str, str]] = []
        for kind in ("email", "phone", "name"):
            key = getattr(self, kind)
            if key is not None and kind in kinds:
                found.append((kind, key))
        return found


def stored_key(kind: str, key: str | None) -> str | None:
    """A key as a column holds it: a longer one (a bot's 2,000-letter name) by its digest, so
    that it still finds its equal."""
    if key is None or len(key) <= KEY_SIZES[kind]:
        return key
    return f"{kind}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def identity_keys(fields: Mapping[str, Any]) -> Keys:
    """The keys of a normalized lead (see `leadflow.quality.normalize`)."""
    return Keys(
        email=_email_key(fields.get("email")),
        phone=f"phone:{fields['phone']}" if isinstance(fields.get("phone"), str) else None,
        name=_name_key(fields.get("first_name"), fields.get("last_name"), fields),
    )


def _email_key(email: Any) -> str | None:
    if not isinstance(email, str) or "@" not in email:
        return None
    local, _, domain = email.lower().rpartition("@")
    local = local.split("+", 1)[0] or local
    if domain in GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"email:{local}@{domain}"


def _name_key(first: Any, last: Any, fields: Mapping[str, Any]) -> str | None:
    domain = fields.get("company_domain")
    if not (isinstance(first, str) and isinstance(last, str) and isinstance(domain, str)):
        return None
    first, last = _folded(first), _folded(last)
    if not first or not last:
        return None
    return f"name:{first}|{last}@{domain}"


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@dataclass(frozen=True, slots=True)
class Duplicate:
    """The open lead a new one duplicates, its owner, and the identity that matched."""

    lead_id: str
    owner: str | None
    matched_by: str  # email | phone | name

    def record(self) -> dict[str, Any]:
        return {"lead_id": self.lead_id, "owner": self.owner, "matched_by": self.matched_by}


@dataclass
class OpenLeads:
    """Open leads by identity key, for the simulator: the first lead with a key holds it.

    Entries older than `window` seconds are dropped as time moves on, so memory grows with
    the leads of one window, not with the whole history.
    """

    window: float
    kinds: frozenset[str]
    _by_key: dict[str, tuple[str, float]] = field(default_factory=dict)
    _keys_of: dict[str, list[str]] = field(default_factory=dict)
    _owners: dict[str, str | None] = field(default_factory=dict)
    _order: deque[tuple[float, str]] = field(default_factory=deque)

    def find(self, keys: Keys, at: float) -> Duplicate | None:
        """The earliest open lead received within the window before `at` that shares a key
        (as the service's query orders them)."""
        self._forget_before(at - self.window)
        found: tuple[float, str, str] | None = None
        for kind, key in keys.present(self.kinds):
            held = self._by_key.get(key)
            in_window = held is not None and held[1] >= at - self.window
            if held is not None and in_window and (found is None or held[1] < found[0]):
                found = (held[1], held[0], kind)
        if found is None:
            return None
        return Duplicate(found[1], self._owners.get(found[1]), found[2])

    def add(self, lead_id: str, keys: Keys, at: float, owner: str | None) -> None:
        taken = []
        for _, key in keys.present(self.kinds):
            if key not in self._by_key:
                self._by_key[key] = (lead_id, at)
                taken.append(key)
        if taken:
            self._keys_of[lead_id] = taken
            self._owners[lead_id] = owner
            self._order.append((at, lead_id))

    def owned(self, lead_id: str, owner: str | None) -> None:
        """The lead's owner changed (a reassignment): its duplicates follow the new one."""
        if lead_id in self._owners:
            self._owners[lead_id] = owner

    def close(self, lead_id: str) -> None:
        """The lead is no longer open: a new lead with its identity is a new lead."""
        for key in self._keys_of.pop(lead_id, ()):
            if self._by_key.get(key, ("",))[0] == lead_id:
                del self._by_key[key]
        self._owners.pop(lead_id, None)

    def _forget_before(self, cutoff: float) -> None:
        order = self._order
        while order and order[0][0] < cutoff:
            _, lead_id = order.popleft()
            self.close(lead_id)
