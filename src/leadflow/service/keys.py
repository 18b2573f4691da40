"""API keys: created once (the secret is shown once), stored hashed, checked on every request.

A key reads `lf_<prefix>_<secret>`. The prefix finds the row; the SHA-256 of the whole key is
compared in constant time. The secret has 192 random bits, so a fast hash is the right one
(a password hash is for guessable secrets).

Roles: `intake` posts leads and nothing else; `rep` sees and updates only its own leads and
its own presence; `manager` and `admin` see and do everything, and only `admin` publishes
policy and manages keys.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from leadflow.service.context import Services
from leadflow.service.errors import Invalid
from leadflow.service.routing import Actor
from leadflow.store.tables import ApiKeyRow, AuditRow

ROLES = ("intake", "rep", "manager", "admin")


@dataclass(frozen=True)
class NewKey:
    token: str  # shown once; only its hash is kept
    name: str
    role: str
    rep_id: str | None


def create_key(
    svc: Services, role: str, name: str, rep_id: str | None = None, by: str = "cli"
) -> NewKey:
    """Make a key for a role (`rep` keys belong to one rep)."""
    if role not in ROLES:
        raise Invalid(f"unknown role {role!r}: expected one of {', '.join(ROLES)}", field="role")
    if (role == "rep") != (rep_id is not None):
        raise Invalid("a rep key needs --rep, and only a rep key takes one", field="rep")
    prefix = secrets.token_hex(6)
    token = f"lf_{prefix}_{secrets.token_urlsafe(24)}"
    now = svc.clock()
    with svc.store.writing() as session:
        session.add(
            ApiKeyRow(
                name=name,
                prefix=prefix,
                secret_hash=_hash(token),
                role=role,
                rep_id=rep_id,
                created_at=now,
            )
        )
        data = {"role": role, "rep": rep_id}
        session.add(AuditRow(at=now, actor=by, action="apikey.created", target=name, data=data))
    return NewKey(token, name, role, rep_id)


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


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
