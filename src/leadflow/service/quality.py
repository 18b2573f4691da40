"""The steps before routing, in the service: the shell around `leadflow.quality.prepare`.

Inside the routing transaction (so under the routing lock, and two copies of one person
arriving together cannot both be new): find the open lead a new one duplicates with one
indexed query, match its account against the process's account index, and write what was
found on the lead's row.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from leadflow.core.policy import Matching, Policy
from leadflow.quality.accounts import Account, AccountIndex
from leadflow.quality.identity import Duplicate, Keys, stored_key
from leadflow.quality.pipeline import Prepared, prepare
from leadflow.store.search import search_text
from leadflow.store.tables import (
    AccountBookRow,
    AccountReviewRow,
    AccountRow,
    LeadEventRow,
    LeadRow,
)

if TYPE_CHECKING:
    from leadflow.service.routing import RoutingTxn
    from leadflow.store.engine import Store

# A lead is open, and a newcomer with its identity a duplicate, while a rep owns and works it.
# Queued, unassigned and nurture leads have no owner to keep the newcomer (a nurture contact
# asking for a demo must reach a rep); closed, junk, merged and stored leads are not open.
OPEN = ("assigned", "accepted", "contacted", "meeting_booked", "qualified")
REBUILD_IN_PLACE = 5_000  # accounts: a rebuild this small costs a lead milliseconds
KEY_COLUMNS = {"email": LeadRow.email_key, "phone": LeadRow.phone_key, "name": LeadRow.name_key}


def prepare_lead(
    txn: RoutingTxn,
    fields: dict[str, Any],
    received_at: datetime,
    screen: bool = True,
    notes: Sequence[Mapping[str, Any]] = (),
) -> Prepared:
    """Clean, screen (unless restoring), identify and score a lead under the active policy;
    `notes`: what its door's mapping noted, for the record."""
    policy = txn.policy

    def find(keys: Keys) -> Duplicate | None:
        assert policy is not None and policy.dedupe is not None
        since = received_at - timedelta(seconds=policy.dedupe.window)
        return find_duplicate(txn, keys, policy, since)

    return prepare(fields, policy, txn.accounts(), find, screen=screen, notes=notes)


def note(txn: RoutingTxn, row: LeadRow, notes: Sequence[Mapping[str, Any]]) -> None:
    """Each note of the door on the lead's timeline, as a `quality` event."""
    for found in notes:
        txn.event(row.id, "quality", "leadflow", **found)


def noted(txn: RoutingTxn, row: LeadRow) -> list[dict[str, Any]]:
    """The notes on a stored lead's timeline (a restored lead's record keeps them)."""
    query = (
        select(LeadEventRow.data)
        .where(LeadEventRow.lead_id == row.id, LeadEventRow.type == "quality")
        .order_by(LeadEventRow.id)
    )
    return [dict(data) for data in txn.session.scalars(query) if isinstance(data, dict)]


def find_duplicate(
    txn: RoutingTxn, keys: Keys, policy: Policy, since: datetime
) -> Duplicate | None:
    """The earliest open lead received since `since` that shares one of the lead's keys."""
    assert policy.dedupe is not None
    present = [(kind, stored_key(kind, key)) for kind, key in keys.present(policy.dedupe.by)]
    if not present:
        return None
    matches = [KEY_COLUMNS[kind] == key for kind, key in present]
    query = (
        select(LeadRow.id, LeadRow.owner, LeadRow.email_key, LeadRow.phone_key, LeadRow.name_key)
        .where(or_(*matches), LeadRow.status.in_(OPEN), LeadRow.received_at >= since)
        .order_by(LeadRow.received_at, LeadRow.seq)
        .limit(1)
    )
    found = txn.session.execute(query).first()
    if found is None:
        return None
    held = {"email": found.email_key, "phone": found.phone_key, "name": found.name_key}
    kind = next(kind for kind, key in present if held[kind] == key)
    return Duplicate(found.id, found.owner, kind)


def reviewed(txn: RoutingTxn, row: LeadRow) -> bool:
    """Whether the lead already has an account review (open or settled)."""
    query = select(AccountReviewRow.id).where(AccountReviewRow.lead_id == row.id).limit(1)
    return txn.session.execute(query).first() is not None


def keep(txn: RoutingTxn, row: LeadRow, prepared: Prepared, review: bool = True) -> None:
    """Write what the steps found on the lead's row, and a review for a weak account match
    (unless `review` is False: the lead has had one)."""
    row.fields = prepared.fields
    keys = prepared.keys
    row.email_key, row.phone_key = stored_key("email", keys.email), stored_key("phone", keys.phone)
    row.name_key = stored_key("name", keys.name)
    row.junk_reason = prepared.junk[:300] if prepared.junk else None
    row.account_id = prepared.account.account.id if prepared.account else None
    row.score, row.tier = prepared.score, prepared.tier  # tier names: 60 at most (policy check)
    row.search = search_text(prepared.fields, row.payload)  # the console's lead search
    if prepared.review is not None and review:
        match = prepared.review
        txn.session.add(
            AccountReviewRow(
                lead_id=row.id,
                account_id=match.account.id,
                score=round(match.score, 4),
                reasons=list(match.reasons),
                status="open",
                created_at=txn.now,
            )
        )
        txn.event(row.id, "account_review", "leadflow", account_id=match.account.id)


@dataclass
class AccountCache:
    """The process's matching index, and the account book version it was built at.

    Inside a routing transaction, `index` reads the version (one primary-key lookup on the
    transaction's own connection). When another transaction changed accounts, a small index
    (under `REBUILD_IN_PLACE` accounts: milliseconds) is rebuilt there and then, so a lead
    sees an account saved a moment before by any process. A large one (100,000 accounts:
    about 4 s) is never rebuilt under the routing lock: the lead is matched against the index
    as it was, and `refresh`, called before the next routing transaction begins, rebuilds it
    in one thread while the others go on with the old one.
    """

    _index: AccountIndex | None = None
    _built_at: tuple[int, float, float] | None = None
    _stale: bool = False
    _building: threading.Lock = field(default_factory=threading.Lock)

    def refresh(self, store: Store) -> None:
        """Rebuild a large index found stale; skip if another thread is at it."""
        built = self._built_at
        if not self._stale or built is None or not self._building.acquire(blocking=False):
            return
        try:
            with store.reading() as session:
                self._build(session, self._version(session, Matching(built[1], built[2])))
        finally:
            self._building.release()

    def index(self, session: Session, matching: Matching) -> AccountIndex:
        at = self._version(session, matching)
        index, built = self._index, self._built_at
        if index is None or built is None or built[1:] != at[1:]:
            with self._building:
                self._build(session, at)
        elif built != at:
            if len(index) < REBUILD_IN_PLACE:
                with self._building:
                    self._build(session, at)
            else:
                self._stale = True
        assert self._index is not None
        return self._index

    def _version(self, session: Session, matching: Matching) -> tuple[int, float, float]:
        version = session.scalar(select(AccountBookRow.version).where(AccountBookRow.id == 1))
        return (version or 0, matching.accept, matching.review)

    def _build(self, session: Session, at: tuple[int, float, float]) -> None:
        rows = session.scalars(select(AccountRow))
        index = AccountIndex((account_of(row) for row in rows), at[1], at[2])
        self._index, self._built_at, self._stale = index, at, False


def account_of(row: AccountRow) -> Account:
    return Account(
        id=row.id,
        name=row.name,
        domains=tuple(row.domains or ()),
        owner=row.owner,
        tier=row.tier,
        industry=row.industry,
        employees=row.employees,
        country=row.country,
        parent=row.parent,
    )
