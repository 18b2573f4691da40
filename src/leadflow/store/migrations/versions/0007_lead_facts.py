"""reporting: every lead's facts, flat, and the reasons of its rejections and reassignments

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 06:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import leadflow.store.tables

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

Instant = leadflow.store.tables.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "lead_facts",
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("received_at", Instant(), nullable=False),
        sa.Column("received_epoch", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("tier", sa.String(length=60), nullable=True),
        sa.Column("rep", sa.String(length=120), nullable=True),
        sa.Column("pool", sa.String(length=120), nullable=True),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("owner", sa.String(length=120), nullable=True),
        sa.Column("assigned_at", Instant(), nullable=True),
        sa.Column("assign_seconds", sa.Double(), nullable=True),
        sa.Column("assign_bucket", sa.Integer(), nullable=True),
        sa.Column("touch_at", Instant(), nullable=True),
        sa.Column("touch_seconds", sa.Double(), nullable=True),
        sa.Column("touch_bucket", sa.Integer(), nullable=True),
        sa.Column("touch_business_seconds", sa.Double(), nullable=True),
        sa.Column("touch_business_bucket", sa.Integer(), nullable=True),
        sa.Column("sla_tier", sa.String(length=120), nullable=True),
        sa.Column("sla_status", sa.String(length=20), nullable=True),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("reassignments", sa.Integer(), nullable=False),
        sa.Column("rejections", sa.Integer(), nullable=False),
        sa.Column("accepted_at", Instant(), nullable=True),
        sa.Column("meeting_at", Instant(), nullable=True),
        sa.Column("qualified_at", Instant(), nullable=True),
        sa.Column("won_at", Instant(), nullable=True),
        sa.Column("lost_at", Instant(), nullable=True),
        sa.Column("won_value", sa.Double(), nullable=True),
        sa.Column("meeting_bucket", sa.Integer(), nullable=True),
        sa.Column("won_bucket", sa.Integer(), nullable=True),
        sa.Column("held_seconds", sa.Double(), nullable=True),
        sa.Column("merged", sa.Boolean(), nullable=False),
        sa.Column("junk_reason", sa.String(length=300), nullable=True),
        sa.Column("account", sa.String(length=20), nullable=True),
        sa.Column("bounced", sa.Boolean(), nullable=False),
        sa.Column("covered", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    op.create_index("ix_lead_facts_received_epoch", "lead_facts", ["received_epoch"])
    op.create_table(
        "lead_fact_reasons",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lead_fact_reasons_lead_id", "lead_fact_reasons", ["lead_id"])


def downgrade() -> None:
    op.drop_index("ix_lead_fact_reasons_lead_id", "lead_fact_reasons")
    op.drop_table("lead_fact_reasons")
    op.drop_index("ix_lead_facts_received_epoch", "lead_facts")
    op.drop_table("lead_facts")
