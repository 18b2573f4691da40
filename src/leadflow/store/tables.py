"""The database rows (SQLAlchemy 2). Rows are the store's own model: never passed to the core.

Instants are stored as UTC and read back as aware UTC datetimes on SQLite and PostgreSQL alike.

One row deserves a word: `routing_clock` (a single row, id 1). Every change to routing state
(an assignment, a rotation step, a rep's availability, a closed lead) happens in a transaction
that first locks this row and then bumps its `version`. That serializes routing across every
API process, which is what keeps round robins exact and caps unbroken, and it lets a process
keep the routing state in memory and reload it only when another process moved the version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, kept as UTC; a naive value is refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: leadflow stores aware instants only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: Json,
        list[Any]: Json,
    }


class RoutingClockRow(Base):
    __tablename__ = "routing_clock"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class PolicyVersionRow(Base):
    __tablename__ = "policy_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    text: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(default=False, index=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))
    activated_at: Mapped[datetime | None]
    message: Mapped[str | None] = mapped_column(String(500))  # why it was published


class RepStateRow(Base):
    """A rep's runtime availability (overrides of the policy) and load counters."""

    __tablename__ = "rep_state"

    rep_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    active: Mapped[bool | None]
    presence: Mapped[str] = mapped_column(String(20), default="available")
    caps: Mapped[dict[str, Any] | None]
    day: Mapped[int] = mapped_column(default=-1)
    day_count: Mapped[int] = mapped_column(default=0)
    week: Mapped[int] = mapped_column(default=-1)
    week_count: Mapped[int] = mapped_column(default=0)
    open_count: Mapped[int] = mapped_column(default=0)
    last_assigned_at: Mapped[float | None]


class RepTimeOffRow(Base):
    """Time off added at runtime, on top of the policy's own `time_off`."""

    __tablename__ = "rep_time_off"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rep_id: Mapped[str] = mapped_column(String(120), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]


class PoolStateRow(Base):
    __tablename__ = "pool_state"

    pool: Mapped[str] = mapped_column(String(120), primary_key=True)
    last: Mapped[str | None] = mapped_column(String(120))
    order: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)


class PoolCounterRow(Base):
    """Assignments per member from one pool, for the pool's own caps."""

    __tablename__ = "pool_counters"

    pool: Mapped[str] = mapped_column(String(120), primary_key=True)
    rep_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    day: Mapped[int] = mapped_column(default=-1)
    day_count: Mapped[int] = mapped_column(default=0)
    week: Mapped[int] = mapped_column(default=-1)
    week_count: Mapped[int] = mapped_column(default=0)
    open_count: Mapped[int] = mapped_column(default=0)


class LeadRow(Base):
    __tablename__ = "leads"
    __table_args__ = (Index("ix_leads_owner_status", "owner", "status"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)  # cursor order
    id: Mapped[str] = mapped_column(String(40), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    source: Mapped[str | None] = mapped_column(String(120), index=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
    payload: Mapped[dict[str, Any]]  # as received
    fields: Mapped[dict[str, Any]]  # what rules read
    status: Mapped[str] = mapped_column(String(30), index=True)
    owner: Mapped[str | None] = mapped_column(String(120))
    pool: Mapped[str | None] = mapped_column(String(120), index=True)
    rule: Mapped[str | None] = mapped_column(String(200), index=True)
    decision_id: Mapped[int | None]
    previous_owners: Mapped[list[Any]] = mapped_column(default=list)
    first_response: Mapped[dict[str, Any] | None]  # what an idempotent retry gets back
    updated_at: Mapped[datetime]
    # The SLA clock (one running at a time; `sla_clock` counts them, and names the running one
    # in its due rows, so a row from an earlier clock does nothing) and what reporting reads.
    sla_tier: Mapped[str | None] = mapped_column(String(120))
    sla_status: Mapped[str | None] = mapped_column(String(20), index=True)  # pending|met|breached
    sla_clock: Mapped[int] = mapped_column(default=0)
    sla_started_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]
    sla_reminded: Mapped[int] = mapped_column(default=0)  # reminders sent on the running clock
    sla_reassignments: Mapped[int] = mapped_column(default=0)
    first_assigned_at: Mapped[datetime | None]
    first_touch_at: Mapped[datetime | None]
    first_touch_seconds: Mapped[float | None]  # wall time from the first assignment
    first_touch_business_seconds: Mapped[float | None]  # in the toucher's working time
    # Lead quality (before routing): its identities for dedupe, as `kind:value` keys that an
    # index finds at once; the lead it was merged into; why it is junk; its account and score.
    email_key: Mapped[str | None] = mapped_column(String(330), index=True)
    phone_key: Mapped[str | None] = mapped_column(String(40), index=True)
    name_key: Mapped[str | None] = mapped_column(String(400), index=True)
    duplicate_of: Mapped[str | None] = mapped_column(String(40), index=True)
    junk_reason: Mapped[str | None] = mapped_column(String(300))
    account_id: Mapped[str | None] = mapped_column(String(200), index=True)
    score: Mapped[float | None]
    tier: Mapped[str | None] = mapped_column(String(60))
    # What the console's search looks in (`store.search`): email, name and company, folded.
    # Indexed so that SQLite scans the narrow index, not the wide table, to find matches.
    search: Mapped[str | None] = mapped_column(String(1000), index=True)


class AccountRow(Base):
    """A customer or target company: leads matched to it get its owner, tier and firmographics.

    `name_key` is the name in comparable form (legal forms and punctuation folded), so that
    an import can find the account a row updates without its id.
    """

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    name_key: Mapped[str] = mapped_column(String(300), index=True)
    domains: Mapped[list[Any]] = mapped_column(default=list)
    owner: Mapped[str | None] = mapped_column(String(120))
    tier: Mapped[str | None] = mapped_column(String(60))
    industry: Mapped[str | None] = mapped_column(String(120))
    employees: Mapped[int | None]
    country: Mapped[str | None] = mapped_column(String(2))
    parent: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime]


class AccountBookRow(Base):
    """One row (id 1) whose `version` moves with every change to accounts: a process keeps
    its matching index in memory and rebuilds it only when another process moved it."""

    __tablename__ = "account_book"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)


class AccountReviewRow(Base):
    """A lead-to-account match between the review floor and the accept threshold: a person
    says whether the lead belongs to the account; until then the account decides nothing."""

    __tablename__ = "account_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(String(40), index=True)
    account_id: Mapped[str] = mapped_column(String(200))
    score: Mapped[float]
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), index=True, default="open")
    created_at: Mapped[datetime]
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None]


class DecisionRow(Base):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(20))
    rep: Mapped[str | None] = mapped_column(String(120))
    pool: Mapped[str | None] = mapped_column(String(120))
    rule: Mapped[str | None] = mapped_column(String(200))
    policy_version: Mapped[int | None]
    record: Mapped[dict[str, Any]]


class LeadEventRow(Base):
    """A lead's timeline: every event with its time and who caused it."""

    __tablename__ = "lead_events"
    __table_args__ = (Index("ix_lead_events_type_at", "type", "at"),)  # breaches this week

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)  # looked up, then hash compared
    secret_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    rep_id: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class AuditRow(Base):
    """Who changed what outside routing: reps' availability, policy versions, keys."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class JobRow(Base):
    """Work for the worker, written in the transaction that caused it (an outbox).

    `kind` is `deliver` (a message to send; `delivery_id` stays the same on every try), `sla`
    (the next step of a lead's SLA clock: a reminder or the deadline) or `digest` (a manager's
    weekly digest, whose unique `delivery_id` is made from the manager and the week, so that it
    is made once). A row is
    `pending` until it is `done`, `skipped` (an SLA step whose clock had stopped or moved on)
    or `dead` (out of tries; it can be retried by hand). A worker claims a pending row by
    setting `lease_until`; if the worker dies, the row is claimable again once that passes.
    """

    __tablename__ = "jobs"
    # Each loop claims one kind: without `kind` first, a claim of messages walked past every
    # due deadline (100,000 in the benchmark) before it found one.
    __table_args__ = (Index("ix_jobs_claim", "kind", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    lead_id: Mapped[str | None] = mapped_column(String(40), index=True)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    due_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    worker: Mapped[str | None] = mapped_column(String(120))
    delivery_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class InstanceRow(Base):
    """Values made once per database, such as the key that signs action links."""

    __tablename__ = "instance"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class UserRow(Base):
    """A person who signs in to the console: an email, a role and (for a rep) the rep they are.

    The password is kept as an argon2 hash only. A user is never deleted, only disabled, so
    that the names in timelines and the audit log keep meaning someone.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)  # lower-cased
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # admin | manager | rep
    rep_id: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str | None] = mapped_column(String(60))  # None: the rep's, else the policy's
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120))


class WebSessionRow(Base):
    """A signed-in browser: found by the SHA-256 of its cookie, ended by sign-out or idleness."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie
    user_id: Mapped[int] = mapped_column(Integer, index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class SignInRow(Base):
    """A failed sign-in, by email: enough of them in a while and sign-in for it waits."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_email_at", "email", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    at: Mapped[datetime]


class LeadFactRow(Base):
    """A lead's facts for reporting, flat (`reports.facts`): what every report counts.

    Derived from the lead and its timeline by `reports.facts.derive`, and kept up to date by
    `service.reports.refresh_facts`; never written by routing itself. A replay's facts go into
    the same table in an in-memory database, so one set of queries serves both.
    """

    __tablename__ = "lead_facts"

    lead_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    received_at: Mapped[datetime]
    received_epoch: Mapped[int] = mapped_column(Integer, index=True)
    source: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(30))
    tier: Mapped[str | None] = mapped_column(String(60))
    rep: Mapped[str | None] = mapped_column(String(120))
    pool: Mapped[str | None] = mapped_column(String(120))
    rule: Mapped[str | None] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(120))
    assigned_at: Mapped[datetime | None]
    assign_seconds: Mapped[float | None]
    assign_bucket: Mapped[int | None]
    touch_at: Mapped[datetime | None]
    touch_seconds: Mapped[float | None]
    touch_bucket: Mapped[int | None]
    touch_business_seconds: Mapped[float | None]
    touch_business_bucket: Mapped[int | None]
    sla_tier: Mapped[str | None] = mapped_column(String(120))
    sla_status: Mapped[str | None] = mapped_column(String(20))
    reminders: Mapped[int] = mapped_column(default=0)
    escalations: Mapped[int] = mapped_column(default=0)
    reassignments: Mapped[int] = mapped_column(default=0)
    rejections: Mapped[int] = mapped_column(default=0)
    accepted_at: Mapped[datetime | None]
    meeting_at: Mapped[datetime | None]
    qualified_at: Mapped[datetime | None]
    won_at: Mapped[datetime | None]
    lost_at: Mapped[datetime | None]
    won_value: Mapped[float | None]
    meeting_bucket: Mapped[int | None]
    won_bucket: Mapped[int | None]
    held_seconds: Mapped[float | None]
    merged: Mapped[bool] = mapped_column(default=False)
    junk_reason: Mapped[str | None] = mapped_column(String(300))
    account: Mapped[str | None] = mapped_column(String(20))
    bounced: Mapped[bool] = mapped_column(default=False)
    covered: Mapped[int] = mapped_column(default=0)


class LeadFactReasonRow(Base):
    """Why a lead was rejected or reassigned, one row each time (`reports.facts`)."""

    __tablename__ = "lead_fact_reasons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # reject | reassign
    reason: Mapped[str] = mapped_column(String(300))


class LeadFactShareRow(Base):
    """What each eligible rep of its pool was owed of a lead (`reports.facts.owed`)."""

    __tablename__ = "lead_fact_shares"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    lead_id: Mapped[str] = mapped_column(String(40), index=True)
    pool: Mapped[str] = mapped_column(String(120))
    rep: Mapped[str] = mapped_column(String(120))
    expected: Mapped[float]
    picked: Mapped[bool] = mapped_column(default=False)
