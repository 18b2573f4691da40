"""lead quality: accounts, reviews, dedupe keys, junk and score

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 21:05:35.738637
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadflow.store.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    account_book = op.create_table(
        "account_book",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(account_book, [{"id": 1, "version": 0}])  # moves with every account change
    op.create_table(
        "account_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column(
            "reasons",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_reviews_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_account_reviews_status"), ["status"], unique=False)

    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name_key", sa.String(length=300), nullable=False),
        sa.Column(
            "domains",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("owner", sa.String(length=120), nullable=True),
        sa.Column("tier", sa.String(length=60), nullable=True),
        sa.Column("industry", sa.String(length=120), nullable=True),
        sa.Column("employees", sa.Integer(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("parent", sa.String(length=200), nullable=True),
        sa.Column("updated_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_accounts_name_key"), ["name_key"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_key", sa.String(length=330), nullable=True))
        batch_op.add_column(sa.Column("phone_key", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("name_key", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("duplicate_of", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("junk_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("account_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("score", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("tier", sa.String(length=60), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_duplicate_of"), ["duplicate_of"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_email_key"), ["email_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_name_key"), ["name_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_phone_key"), ["phone_key"], unique=False)

    _backfill_identity_keys()


def _backfill_identity_keys() -> None:
    """Leads owned at the upgrade get their identity keys, so that dedupe finds them at once
    (a lead's fields were stored as received: the keys come from them as they are)."""
    from leadflow.quality.identity import identity_keys, stored_key

    connection = op.get_bind()
    leads = sa.table(
        "leads",
        sa.column("id", sa.String),
        sa.column("status", sa.String),
        sa.column("fields", sa.JSON),
        sa.column("email_key", sa.String),
        sa.column("phone_key", sa.String),
        sa.column("name_key", sa.String),
    )
    owned = ("assigned", "accepted", "contacted", "meeting_booked", "qualified")
    rows = connection.execute(
        sa.select(leads.c.id, leads.c.fields).where(leads.c.status.in_(owned))
    )
    updates = []
    for lead_id, fields in rows.fetchall():
        keys = identity_keys(fields if isinstance(fields, dict) else {})
        if keys.email or keys.phone or keys.name:
            updates.append(
                {
                    "lead": lead_id,
                    "email": stored_key("email", keys.email),
                    "phone": stored_key("phone", keys.phone),
                    "name": stored_key("name", keys.name),
                }
            )
    if updates:
        connection.execute(
            leads.update()
            .where(leads.c.id == sa.bindparam("lead"))
            .values(
                email_key=sa.bindparam("email"),
                phone_key=sa.bindparam("phone"),
                name_key=sa.bindparam("name"),
            ),
            updates,
        )
