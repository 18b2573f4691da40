"""API keys: created once (the secret is shown once), stored hashed, checked on every request.

A key reads `lf_<prefix>_<secret>`. The prefix finds the row; the SHA-256 of the whole key is
compared in constant time. The secret has 192 random bits, so a fast hash is the right one
(a password hash is for guessable secrets).

Roles: `intake` posts leads and nothing else; `rep` sees and updates only its own leads and
its own presence; `manager` and `admin` see and do everything, and only `admin` publishes
policy and manages keys.

A key is never deleted, only revoked: its row keeps the name the audit log and leads'
timelines refer to. Revoking forgets the key in this process's `KeyCache` at once; every
other process stops trusting it within `KEY_TTL` (30 s), when its cache entry runs out.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.service.context import Services
from leadflow.service.errors import Invalid, NotFound
from leadflow.service.routing import Actor
from leadflow.store.tables import ApiKeyRow, AuditRow

log = logging.getLogger("leadflow.keys")

ROLES = ("intake", "rep", "manager", "admin")


@dataclass(frozen=True)
class KeyInfo:
    """A key as listed: who holds it and what it may do, never its secret or hash."""

    id: int
    name: str
    prefix: str  # the `lf_<prefix>_` a holder can recognize their key by
    role: str
    rep_id: str | None
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class NewKey(KeyInfo):
    """A key just made, with its token: shown this once; only its hash is kept."""

    token: str


def create_key(
    svc: Services, role: str, name: str, rep_id: str | None = None, by: str = "cli"
) -> NewKey:
    """Make a key for a role (`rep` keys belong to one rep)."""
    _check(role, rep_id)
    now = svc.clock()
    with svc.store.writing() as session:
        key = _new_key(session, now, role, name, rep_id, by)
    log.info("apikey.created id=%s role=%s by=%s", key.id, role, by)
    return key


def replace_key(svc: Services, role: str, name: str, by: str) -> tuple[NewKey, list[KeyInfo]]:
    """A new key with this role and name, and every live key of that role and name revoked, in
    one transaction: the new key and the ones it replaced.

    For a key a program makes again on every run (`leadflow demo`): a second run leaves one
    such key, not two. The old ones cannot be shown again (only their hashes are kept), so
    they are revoked rather than reused.
    """
    _check(role, None)
    now = svc.clock()
    with svc.store.writing() as session:
        live = select(ApiKeyRow).where(
            ApiKeyRow.role == role, ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None)
        )
        replaced = []
        for row in session.scalars(live.with_for_update()):
            row.revoked_at = now
            _audit(session, now, by, "apikey.revoked", row)
            replaced.append(_info(row))
        key = _new_key(session, now, role, name, None, by)
    for old in replaced:
        svc.keys.forget(old.prefix)
        log.info("apikey.revoked id=%s by=%s replaced_by=%s", old.id, by, key.id)
    log.info("apikey.created id=%s role=%s by=%s", key.id, role, by)
    return key, replaced


def _check(role: str, rep_id: str | None) -> None:
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}: expected one of {', '.join(ROLES)}", field="role")
    if (role == "rep") != (rep_id is not None):
        raise Invalid("a rep key needs --rep, and only a rep key takes one", field="rep")


def _new_key(
    session: Session, now: datetime, role: str, name: str, rep_id: str | None, by: str
) -> NewKey:
    prefix = secrets.token_hex(6)
    token = f"lf_{prefix}_{secrets.token_urlsafe(24)}"
    row = ApiKeyRow(
        name=name,
        prefix=prefix,
        secret_hash=_hash(token),
        role=role,
        rep_id=rep_id,
        created_at=now,
    )
    session.add(row)
    session.flush()  # its id, for the audit log and the answer
    _audit(session, now, by, "apikey.created", row)
    return NewKey(**vars(_info(row)), token=token)


def list_keys(svc: Services) -> list[KeyInfo]:
    """Every key ever made, revoked ones too, oldest first."""
    with svc.store.reading() as session:
        return [_info(row) for row in session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))]


def revoke_key(svc: Services, key_id: int, by: str) -> KeyInfo:
    """Revoke a key: refused from now on here, within `KEY_TTL` by every other process.

    Revoking a revoked key changes nothing and answers as the first time did, so a retry is
    safe; only the first revocation is audited.
    """
    with svc.store.writing() as session:
        row = session.get(ApiKeyRow, key_id, with_for_update=True)
        if row is None:
            raise NotFound(f"no API key {key_id}")
        first = row.revoked_at is None
        if first:
            row.revoked_at = svc.clock()
            _audit(session, row.revoked_at, by, "apikey.revoked", row)
        info = _info(row)
    svc.keys.forget(info.prefix)
    if first:
        log.info("apikey.revoked id=%s by=%s", key_id, by)
    return info


def verify_key(svc: Services, token: str) -> Actor | None:
    """The actor a key stands for, or None for a key that is unknown, wrong or revoked."""
    parts = token.split("_")
    if len(parts) < 3 or parts[0] != "lf":
        return None
    with svc.store.reading() as session:
        row = session.scalars(select(ApiKeyRow).where(ApiKeyRow.prefix == parts[1])).first()
    if row is None or row.revoked_at is not None:
        return None
    if not hmac.compare_digest(row.secret_hash, _hash(token)):
        return None
    return Actor(name=row.name, role=row.role, rep_id=row.rep_id)


def _audit(session: Session, at: datetime, by: str, action: str, row: ApiKeyRow) -> None:
    data = {"id": row.id, "role": row.role, "rep": row.rep_id}
    session.add(AuditRow(at=at, actor=by, action=action, target=row.name, data=data))


def _info(row: ApiKeyRow) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        role=row.role,
        rep_id=row.rep_id,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
