"""Signed, expiring links that let a rep act on a lead from an email, without logging in.

A link carries the lead, the rep it was sent to and when it expires, signed with HMAC-SHA256
under the instance's key (`LEADFLOW_SECRET_KEY`, or a random key made once and kept in the
database). Whoever holds the link may act as that rep on that lead only, and only while the
lead is still that rep's: a link of a lead since reassigned acts on nothing.

Opening a link (GET) shows the lead and the buttons; only the button (POST) acts. Mail
scanners open every link in a message, and must not accept leads on a rep's behalf.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from leadflow.notify.summary import local_time
from leadflow.service.context import Services
from leadflow.service.errors import Invalid
from leadflow.store.tables import InstanceRow

LINK_ACTIONS = ("accepted", "contacted", "rejected")
_KEY_NAME = "link_secret"


@dataclass(frozen=True, slots=True)
class Link:
    lead_id: str
    rep_id: str
    decision_id: int  # the assignment it was sent for: a later one (even back to the rep) ends it
    expires: int  # unix seconds


def make_token(
    svc: Services,
    lead_id: str,
    rep_id: str,
    decision_id: int,
    now: datetime,
    session: Session | None = None,
) -> str:
    """A token for `rep_id` to act on `lead_id` while decision `decision_id` stands, valid
    for `action_link_hours` from `now`."""
    expires = int((now + timedelta(hours=svc.settings.action_link_hours)).timestamp())
    body = _b64(f"{lead_id}\n{rep_id}\n{decision_id}\n{expires}".encode())
    return f"{body}.{_sign(_key(svc, session), body)}"


def read_token(svc: Services, token: str, now: datetime) -> Link:
    """The link a token carries; `Invalid` (field `token`) when forged, garbled or expired."""
    body, _, signature = token.partition(".")
    if not body or not hmac.compare_digest(signature, _sign(_key(svc), body)):
        raise Invalid("this link is not valid (it was changed or cut short)", field="token")
    try:
        lead_id, rep_id, decision_id, expires = _unb64(body).decode().split("\n")
        link = Link(lead_id, rep_id, int(decision_id), int(expires))
    except ValueError as error:
        raise Invalid("this link is not valid", field="token") from error
    if now.timestamp() >= link.expires:
        when = datetime.fromtimestamp(link.expires, UTC)
        raise Invalid(
            f"this link expired at {local_time(when, None)}",
            field="token",
            expired_at=when,
            rep_id=link.rep_id,
        )
    return link


def _sign(key: bytes, body: str) -> str:
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def ensure_key(svc: Services) -> None:
    """Make (once per database) and remember the signing key, in a transaction of its own.

    The server and the worker call this when they start. Two processes starting together
    both insert; the database keeps one, and both read that one.
    """
    if svc.settings.secret_key or svc.link_key is not None:
        return
    with svc.store.writing() as session:
        _insert_key(session)
    with svc.store.reading() as session:
        value = session.scalar(select(InstanceRow.value).where(InstanceRow.name == _KEY_NAME))
    assert value is not None
    svc.link_key = value.encode()


def _key(svc: Services, session: Session | None = None) -> bytes:
    """The signing key: the setting, else the database's own.

    Inside a transaction (pass its session: opening another writer there would wait
    forever) a key made by that transaction is used but not remembered: if the transaction
    rolls back, the key goes, and so do the messages that carried links signed with it.
    """
    if svc.settings.secret_key:
        return svc.settings.secret_key.encode()
    if svc.link_key is not None:
        return svc.link_key
    if session is None:
        ensure_key(svc)
        assert svc.link_key is not None
        return svc.link_key
    _insert_key(session)
    value = session.scalar(select(InstanceRow.value).where(InstanceRow.name == _KEY_NAME))
    assert value is not None
    return value.encode()


def _insert_key(session: Session) -> None:
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(InstanceRow).values(name=_KEY_NAME, value=secrets.token_urlsafe(32))
    connection.execute(statement.on_conflict_do_nothing(index_elements=["name"]))
