"""What every lead goes through before routing, live and in a simulation alike.

    normalize → junk? → identify (duplicate, account) → score

`prepare` is pure: the shell hands it the lead's fields, the policy, the account index it
keeps and a way to find an open lead by identity (SQL in the service, `OpenLeads` in the
simulator), and stores what comes back. What the steps found goes into the decision record
under ``quality``, so a decision shows the cleaned values, the account and why it matched,
and the points that made the score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadflow.core.decide import Decision, Outcome
from leadflow.core.policy import Policy
from leadflow.core.scoring import Scored, score
from leadflow.quality.accounts import AccountIndex, Match
from leadflow.quality.identity import Duplicate, Keys, identity_keys
from leadflow.quality.normalize import JunkRules, normalize

FindDuplicate = Callable[[Keys], Duplicate | None]
_DEFAULT_JUNK = JunkRules()


@dataclass(frozen=True, slots=True)
class Prepared:
    fields: dict[str, Any]  # what routing rules read: cleaned, with account.*, score and tier
    junk: str | None  # why the lead is junk; None: it is not
    keys: Keys
    duplicate: Duplicate | None  # the open lead this one duplicates
    account: Match | None  # accepted: its account fills account.*
    review: Match | None  # between the review floor and the accept threshold: for a person
    scored: Scored | None
    record: dict[str, Any]  # for the decision record
    notes: tuple[dict[str, Any], ...] = ()  # the door's notes (`mapping.Unreadable.record`)

    @property
    def score(self) -> float | None:
        value = self.fields.get("score")
        return float(value) if isinstance(value, int | float) else None

    @property
    def tier(self) -> str | None:
        value = self.fields.get("tier")
        return value if isinstance(value, str) else None


def prepare(
    fields: Mapping[str, Any],
    policy: Policy | None,
    accounts: AccountIndex | None = None,
    find_duplicate: FindDuplicate | None = None,
    screen: bool = True,
    notes: Sequence[Mapping[str, Any]] = (),
) -> Prepared:
    """Clean, screen, identify and score one lead under `policy` (None: clean only).

    `screen=False` leaves out the junk rules: a person restored the lead. `notes`: what the
    door's mapping noted on the lead, kept in the record under ``notes``.
    """
    junk_rules = (policy.junk if policy is not None else None) or _DEFAULT_JUNK
    cleaned = normalize(fields, junk_rules)
    lead = cleaned.fields
    record: dict[str, Any] = {"cleaned": cleaned.record()}
    kept = tuple(dict(note) for note in notes)
    if kept:
        record["notes"] = [dict(note) for note in kept]
    keys = identity_keys(lead)
    junk = cleaned.junk if screen else None
    if junk is not None or policy is None:
        return Prepared(lead, junk, keys, None, None, None, None, record, kept)
    duplicate = None
    if policy.dedupe is not None and find_duplicate is not None:
        duplicate = find_duplicate(keys)
        if duplicate is not None:
            record["duplicate_of"] = duplicate.record()
    accepted = review = None
    if accounts is not None and len(accounts):
        company, domain = _text(lead.get("company")), _text(lead.get("company_domain"))
        found = accounts.match(company, domain, _text(lead.get("country")))
        if found is not None:
            record["account"] = _match_record(found)
            if found.verdict == "accept":
                accepted = found
                given = lead.get("account")
                given = given if isinstance(given, dict) else {}
                lead["account"] = {**found.account.facts(), **given}  # what was sent wins
            else:
                review = found
    scored = None
    if policy.scoring is not None:
        scored = score(lead, policy.scoring)
        if "score" in lead and lead["score"] != scored.score:
            record["score_given"] = lead["score"]  # the sender's score, replaced by the policy's
        lead["score"] = scored.score
        lead.pop("tier", None)  # a tier sent in, or left from before, is not the policy's
        if scored.tier is not None:
            lead["tier"] = scored.tier
        record["score"] = scored.record()
    return Prepared(lead, None, keys, duplicate, accepted, review, scored, record, kept)


def merged(lead_id: str, now: datetime, prepared: Prepared, policy: Policy) -> Decision:
    """The decision for a duplicate: it keeps the open lead's owner; no rotation moves, no cap
    counts, no SLA clock starts."""
    duplicate = prepared.duplicate
    assert duplicate is not None
    reason = f"duplicate of lead {duplicate.lead_id} (same {duplicate.matched_by})"
    record = {
        "lead_id": lead_id,
        "at": now.isoformat(),
        "policy": {"version": policy.published_version, "digest": policy.digest},
        "quality": prepared.record,
        "merged_into": duplicate.lead_id,
        "matched_by": duplicate.matched_by,
        "outcome": Outcome.MERGED.value,
        "rep": duplicate.owner,
        "pool": None,
        "reason": reason,
    }
    return Decision(lead_id, now, Outcome.MERGED, record, rep=duplicate.owner, reason=reason)


def _text(value: Any) -> str | None:
    """Text for the matcher; a number, a list or a mapping where a name belongs is none."""
    return value if isinstance(value, str) and value.strip() else None


def _match_record(match: Match) -> dict[str, Any]:
    return {
        "id": match.account.id,
        "name": match.account.name,
        "score": round(match.score, 4),
        "reasons": list(match.reasons),
        "verdict": match.verdict,
    }
