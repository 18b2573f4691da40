"""People who sign in to the console: users, their passwords, their sessions, sign-in throttling.

A user has the API's roles (`admin`, `manager`, `rep`; a rep user *is* one rep of the policy)
and acts through the same use cases as an API key of that role: `actor_of(user)` is the
`Actor` every use case checks. Passwords are argon2 hashes (argon2-cffi); a hash made with
older parameters is upgraded at the next sign-in.

A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256, the
user, a CSRF token and when it was last seen. It ends at sign-out (on the server: the cookie
alone no longer works), when it has been idle for `session_idle_minutes`, or when its user is
disabled. `seen_at` is written at most once a minute, so that reading pages does not compete
with routing for SQLite's one writer.

Sign-in throttling is per email and shared by every process: after `SIGN_IN_LIMIT` failures
within `SIGN_IN_WINDOW`, sign-in for that email waits until the oldest of them ages out,
whether the next password is right or not.

The seam for single sign-on: `start_session(svc, user)` opens a session for a user found by
any means; an OIDC callback would find the user by its verified email and call it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Forbidden, Invalid, NotFound
from leadflow.service.routing import Actor
from leadflow.store.tables import AuditRow, SignInRow, UserRow, WebSessionRow

log = logging.getLogger("leadflow.users")

USER_ROLES = ("admin", "manager", "rep")
MIN_PASSWORD = 10
SIGN_IN_LIMIT = 10  # failures for one email ...
SIGN_IN_WINDOW = timedelta(minutes=15)  # ... within this long, and sign-in waits
SEEN_EVERY = timedelta(minutes=1)  # how stale `seen_at` may be before it is written again

_hasher = PasswordHasher()
# Verifying against this costs what a real check costs, so an unknown email takes as long.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    """A user as the console and the CLI show it: never the password hash."""

    id: int
    email: str
    name: str
    role: str
    rep_id: str | None
    timezone: str | None
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """A session just opened: the cookie's value (shown to the browser only) and its user."""

    token: str
    csrf: str
    user: User


@dataclass(frozen=True)
class WebSession:
    """A live session, found by its cookie."""

    user: User
    csrf: str
    actor: Actor


class TooManyAttempts(Forbidden):
    """Sign-in for this email waits `retry_after` seconds."""

    def __init__(self, email: str, retry_after: int) -> None:
        super().__init__(
            f"too many failed sign-ins for {email}: try again in {_minutes(retry_after)}",
            retry_after=retry_after,
        )
        self.retry_after = retry_after


def actor_of(user: User) -> Actor:
    """The actor a user's requests act as: the same role rules as an API key."""
    return Actor(name=user.email, role=user.role, rep_id=user.rep_id)


def add_user(
    svc: Services,
    email: str,
    password: str,
    role: str,
    rep_id: str | None = None,
    name: str | None = None,
    timezone: str | None = None,
    by: str = "cli",
) -> User:
    """Create a user. A rep user must be a rep of the active policy."""
    email = _email(email)
    _check_role(role, rep_id)
    _check_password(password)
    zone = _zone(timezone)
    with svc.store.writing() as session:
        if session.scalar(select(UserRow.id).where(UserRow.email == email)) is not None:
            raise Conflict(f"there is a user {email} already", field="email")
        if rep_id is not None:
            _rep_known(svc, session, rep_id)
        row = UserRow(
            email=email,
            name=(name or "").strip() or email.split("@")[0],
            role=role,
            rep_id=rep_id,
            timezone=zone,
            password_hash=_hasher.hash(password),
            created_at=svc.clock(),
            created_by=by,
        )
        session.add(row)
        session.flush()
        _audit(session, svc.clock(), by, "user.added", row)
        user = _user(row)
    log.info("user.added id=%s role=%s by=%s", user.id, role, by)
    return user


def set_password(svc: Services, email: str, password: str, by: str) -> User:
    """Give a user a new password; their other sessions end."""
    _check_password(password)
    with svc.store.writing() as session:
        row = _row(session, email)
        row.password_hash = _hasher.hash(password)
        _end_sessions(session, row.id, svc.clock())
        _audit(session, svc.clock(), by, "user.password_set", row)
        return _user(row)


def update_user(
    svc: Services,
    email: str,
    by: str,
    *,
    name: str | None = None,
    role: str | None = None,
    rep_id: str | None = None,
    timezone: str | None = None,
) -> User:
    """Change a user's name, role (with its rep) or time zone."""
    with svc.store.writing() as session:
        row = _row(session, email)
        if role is not None:
            _check_role(role, rep_id)
            if rep_id is not None:
                _rep_known(svc, session, rep_id)
            row.role, row.rep_id = role, rep_id
            _end_sessions(session, row.id, svc.clock())  # what it may do changed: sign in anew
        if name is not None and name.strip():
            row.name = name.strip()
        if timezone is not None:
            row.timezone = _zone(timezone)
        _audit(session, svc.clock(), by, "user.updated", row)
        return _user(row)


def disable_user(svc: Services, email: str, by: str) -> User:
    """Disable a user: they cannot sign in, and their sessions end now."""
    return _set_disabled(svc, email, by, True)


def enable_user(svc: Services, email: str, by: str) -> User:
    return _set_disabled(svc, email, by, False)


def list_users(svc: Services) -> list[User]:
    """Every user, disabled ones too, by email."""
    with svc.store.reading() as session:
        return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.email))]


def get_user(svc: Services, email: str) -> User:
    with svc.store.reading() as session:
        return _user(_row(session, email))


def sign_in(svc: Services, email: str, password: str) -> SignedIn:
    """Check a password and open a session; `Invalid` for a wrong one, `TooManyAttempts` when
    this email has failed too often lately (whatever the password now)."""
    email = email.strip().lower()
    now = svc.clock()
    with svc.store.reading() as session:
        wait = _wait(session, email, now)
        row = session.scalars(select(UserRow).where(UserRow.email == email)).first()
    if wait:
        raise TooManyAttempts(email, wait)
    if not _verified(row, password):
        with svc.store.writing() as session:
            session.add(SignInRow(email=email, at=now))
            session.execute(delete(SignInRow).where(SignInRow.at < now - SIGN_IN_WINDOW))
        log.info("user.sign_in_failed email=%s", email)
        raise Invalid("wrong email or password", field="password")
    assert row is not None
    if _hasher.check_needs_rehash(row.password_hash):
        with svc.store.writing() as session:
            session.execute(
                update(UserRow)
                .where(UserRow.id == row.id)
                .values(password_hash=_hasher.hash(password))
            )
    return start_session(svc, _user(row))


def start_session(svc: Services, user: User) -> SignedIn:
    """Open a session for a user (a password checked, or later a single sign-on)."""
    if user.disabled:
        raise Forbidden(f"{user.email} is disabled")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    now = svc.clock()
    with svc.store.writing() as session:
        session.add(
            WebSessionRow(
                id=_digest(token), user_id=user.id, csrf=csrf, created_at=now, seen_at=now
            )
        )
    log.info("user.signed_in id=%s role=%s", user.id, user.role)
    return SignedIn(token, csrf, user)


def find_session(svc: Services, token: str) -> WebSession | None:
    """The live session of a cookie, or None (unknown, ended, idle too long, user disabled).

    Seeing a session keeps it alive: `seen_at` moves, at most once a minute.
    """
    now = svc.clock()
    idle = timedelta(minutes=svc.settings.session_idle_minutes)
    with svc.store.reading() as session:
        found = session.execute(
            select(WebSessionRow, UserRow)
            .join(UserRow, UserRow.id == WebSessionRow.user_id)
            .where(WebSessionRow.id == _digest(token))
        ).first()
    if found is None:
        return None
    web, row = found
    if web.ended_at is not None or row.disabled_at is not None or now - web.seen_at >= idle:
        return None
    if now - web.seen_at >= SEEN_EVERY:
        with svc.store.writing() as session:
            session.execute(
                update(WebSessionRow).where(WebSessionRow.id == web.id).values(seen_at=now)
            )
    user = _user(row)
    return WebSession(user, web.csrf, actor_of(user))


def end_session(svc: Services, token: str) -> None:
    """Sign out: the session ends on the server, so the cookie is worth nothing from now."""
    with svc.store.writing() as session:
        session.execute(
            update(WebSessionRow)
            .where(WebSessionRow.id == _digest(token), WebSessionRow.ended_at.is_(None))
            .values(ended_at=svc.clock())
        )


def _wait(session: Session, email: str, now: datetime) -> int:
    """Seconds sign-in for `email` must wait (0: none)."""
    since = now - SIGN_IN_WINDOW
    recent = select(SignInRow.at).where(SignInRow.email == email, SignInRow.at >= since)
    count = session.scalar(select(func.count()).select_from(recent.subquery())) or 0
    if count < SIGN_IN_LIMIT:
        return 0
    # The failure that must age out for the count to drop below the limit.
    times = list(session.scalars(recent.order_by(SignInRow.at.desc()).limit(SIGN_IN_LIMIT)))
    frees_at = times[-1] + SIGN_IN_WINDOW
    return max(1, int((frees_at - now).total_seconds() + 0.999))


def _verified(row: UserRow | None, password: str) -> bool:
    if row is None or row.disabled_at is not None:
        # the same cost either way: timing tells nothing about which emails exist
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return False
    try:
        return _hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _set_disabled(svc: Services, email: str, by: str, disabled: bool) -> User:
    with svc.store.writing() as session:
        row = _row(session, email)
        now = svc.clock()
        if disabled and row.disabled_at is None:
            row.disabled_at = now
            _end_sessions(session, row.id, now)
            _audit(session, now, by, "user.disabled", row)
        elif not disabled and row.disabled_at is not None:
            row.disabled_at = None
            _audit(session, now, by, "user.enabled", row)
        return _user(row)


def _end_sessions(session: Session, user_id: int, now: datetime) -> None:
    session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.user_id == user_id, WebSessionRow.ended_at.is_(None))
        .values(ended_at=now)
    )


def _row(session: Session, email: str) -> UserRow:
    row = session.scalars(select(UserRow).where(UserRow.email == email.strip().lower())).first()
    if row is None:
        raise NotFound(f"no user {email}")
    return row


def _rep_known(svc: Services, session: Session, rep_id: str) -> None:
    policy = svc.policies.active(session)
    if policy is None or rep_id not in policy.reps:
        raise Invalid(f"rep: no rep {rep_id!r} in the active policy", field="rep")


def _email(email: str) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or "." not in domain or " " in email or len(email) > 320:
        raise Invalid(f"email: {email!r} is not an email address", field="email")
    return email


def _check_role(role: str, rep_id: str | None) -> None:
    if role not in USER_ROLES:
        raise Invalid(f"role: expected one of {', '.join(USER_ROLES)}, got {role!r}", field="role")
    if (role == "rep") != (rep_id is not None):
        raise Invalid("rep: a rep user needs its rep, and only a rep user has one", field="rep")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password: at least {MIN_PASSWORD} characters", field="password")


def _zone(timezone: str | None) -> str | None:
    if timezone is None or not timezone.strip():
        return None
    try:
        ZoneInfo(timezone.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"timezone: no time zone {timezone!r}", field="timezone") from None
    return timezone.strip()


def _audit(session: Session, at: datetime, by: str, action: str, row: UserRow) -> None:
    data = {"id": row.id, "role": row.role, "rep": row.rep_id}
    session.add(AuditRow(at=at, actor=by, action=action, target=row.email, data=data))


def _user(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        name=row.name,
        role=row.role,
        rep_id=row.rep_id,
        timezone=row.timezone,
        disabled=row.disabled_at is not None,
        created_at=row.created_at,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    return f"{(seconds + 59) // 60} min"
