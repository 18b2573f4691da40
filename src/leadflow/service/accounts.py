"""Use cases for accounts: save them (one by one or imported), read them, and settle reviews.

An account is found again by its id, or, when a row names none, by its name in comparable
form, so that importing the same file twice updates rather than duplicates. Every change
moves the account book's version in the same transaction; each process keeps its matching
index (`AccountCache`) and rebuilds it only when the version moved.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from leadflow.imports.accounts import AccountIn, BadAccount, account_id, checked
from leadflow.quality.names import normalize_name
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Forbidden, Invalid, NotFound
from leadflow.service.quality import account_of
from leadflow.service.routing import Actor
from leadflow.store.tables import (
    AccountBookRow,
    AccountReviewRow,
    AccountRow,
    AuditRow,
    LeadEventRow,
    LeadRow,
)

REVIEW_STATUSES = ("open", "accepted", "rejected")


def clean(item: AccountIn) -> AccountIn:
    """The account checked (`leadflow.imports.accounts.checked`); Invalid names the field."""
    try:
        return checked(item)
    except BadAccount as exc:
        raise Invalid(exc.message, field=exc.field) from None


def save_accounts(
    svc: Services, items: Iterable[AccountIn], actor: Actor
) -> list[tuple[str, bool]]:
    """Create or update accounts (already `clean`); (id, created) for each, in order.

    An account is found by its id, or without one by its name's key; the batch's accounts
    are looked up in one query, and those it creates count for the rows after them.
    """
    _may_write(actor)
    items = list(items)
    saved: list[tuple[str, bool]] = []
    with svc.store.writing() as session:
        now = svc.clock()
        known = _known(session, items)
        for item in items:
            key = normalize_name(item.name)
            row = known.get(("id", item.id) if item.id is not None else ("name", key))
            created = row is None
            if row is None:
                row = AccountRow(id=item.id or _new_id(session, item, known))
                session.add(row)
            row.name, row.name_key = item.name, key
            row.domains, row.owner, row.tier = list(item.domains), item.owner, item.tier
            row.industry, row.employees, row.country = item.industry, item.employees, item.country
            row.parent, row.updated_at = item.parent, now
            known[("id", row.id)] = row
            known.setdefault(("name", key), row)
            saved.append((row.id, created))
        if saved:
            _moved(session)
            data = {"created": sum(c for _, c in saved), "updated": sum(not c for _, c in saved)}
            target = saved[0][0] if len(saved) == 1 else f"{len(saved)} accounts"
            session.add(
                AuditRow(
                    at=now, actor=actor.name, action="accounts.saved", target=target, data=data
                )
            )
    return saved


def delete_account(svc: Services, account_id: str, actor: Actor) -> None:
    _may_write(actor)
    with svc.store.writing() as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound(f"no account {account_id!r}")
        session.delete(row)
        _moved(session)
        session.add(
            AuditRow(
                at=svc.clock(),
                actor=actor.name,
                action="account.deleted",
                target=account_id,
                data={"name": row.name},
            )
        )


def get_account(svc: Services, account_id: str) -> AccountRow:
    with svc.store.reading() as session:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise NotFound(f"no account {account_id!r}")
        session.expunge(row)
        return row


def list_accounts(svc: Services, after: str | None, limit: int) -> list[AccountRow]:
    """Accounts by id, `limit` after the id `after` (a cursor)."""
    with svc.store.reading() as session:
        query = select(AccountRow).order_by(AccountRow.id).limit(limit)
        if after is not None:
            query = query.where(AccountRow.id > after)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def list_reviews(svc: Services, status: str | None, limit: int) -> list[AccountReviewRow]:
    if status is not None and status not in REVIEW_STATUSES:
        raise Invalid(
            f"unknown review status {status!r}: expected one of open, accepted, rejected",
            field="status",
        )
    with svc.store.reading() as session:
        query = select(AccountReviewRow).order_by(AccountReviewRow.id).limit(limit)
        if status is not None:
            query = query.where(AccountReviewRow.status == status)
        rows = list(session.scalars(query))
        session.expunge_all()
        return rows


def settle_review(svc: Services, review_id: int, accept: bool, actor: Actor) -> AccountReviewRow:
    """Say whether a weakly matched lead belongs to the account; accepting fills account.*.

    The lead is not routed again: if it should now go to the account owner, reassign it.
    """
    if actor.role not in ("manager", "admin"):
        raise Forbidden("only a manager or an admin may settle an account review")
    with svc.store.writing() as session:
        review = session.get(AccountReviewRow, review_id, with_for_update=True)
        if review is None:
            raise NotFound(f"no account review {review_id}")
        if review.status != "open":
            raise Conflict(f"this review was already {review.status}", status=review.status)
        lead = session.scalars(select(LeadRow).where(LeadRow.id == review.lead_id)).one()
        account = session.get(AccountRow, review.account_id)
        now = svc.clock()
        review.status = "accepted" if accept else "rejected"
        review.decided_by, review.decided_at = actor.name, now
        if accept:
            if account is None:
                raise Conflict(f"account {review.account_id!r} no longer exists")
            given = lead.fields.get("account")
            facts = account_of(account).facts()
            lead.fields = {
                **lead.fields,
                "account": {**facts, **(given if isinstance(given, dict) else {})},
            }
            lead.account_id, lead.updated_at = account.id, now
        session.add(
            LeadEventRow(
                lead_id=lead.id,
                at=now,
                type=f"account_{review.status}",
                actor=actor.name,
                data={"account_id": review.account_id, "review_id": review.id},
            )
        )
        session.flush()
        session.expunge(review)
        return review


def _known(session: Session, items: list[AccountIn]) -> dict[tuple[str, str], AccountRow]:
    """The stored accounts these items name, by ("id", id) and by ("name", name key)."""
    ids = [item.id for item in items if item.id is not None]
    keys = [normalize_name(item.name) for item in items if item.id is None]
    known: dict[tuple[str, str], AccountRow] = {}
    for start in range(0, max(len(ids), len(keys)), 500):
        query = select(AccountRow).where(
            or_(
                AccountRow.id.in_(ids[start : start + 500]),
                AccountRow.name_key.in_(keys[start : start + 500]),
            )
        )
        for row in session.scalars(query.order_by(AccountRow.id)):
            known[("id", row.id)] = row
            known.setdefault(("name", row.name_key), row)
    return known


def _new_id(session: Session, item: AccountIn, known: dict[tuple[str, str], AccountRow]) -> str:
    base = candidate = account_id(item)
    n = 1
    while ("id", candidate) in known or session.get(AccountRow, candidate) is not None:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _moved(session: Session) -> None:
    """Every process's matching index is stale from this commit on."""
    book = session.get(AccountBookRow, 1, with_for_update=True)
    if book is None:  # the migration makes the row; only a hand-made database lacks it
        session.add(AccountBookRow(id=1, version=1))
    else:
        book.version += 1


def _may_write(actor: Actor) -> None:
    if actor.role not in ("manager", "admin"):
        raise Forbidden("only a manager or an admin may change accounts")
