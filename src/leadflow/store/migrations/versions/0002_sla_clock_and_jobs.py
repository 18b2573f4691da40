"""the SLA clock on leads, and the worker's jobs (an outbox)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 17:22:31.568302
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import leadflow.store.tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("due_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_until", leadflow.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.Column("worker", sa.String(length=120), nullable=True),
        sa.Column("delivery_id", sa.String(length=40), nullable=True),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_id"),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_lead_id"), ["lead_id"], unique=False)
        batch_op.create_index("ix_jobs_state_due", ["state", "due_at"], unique=False)

    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sla_tier", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("sla_status", sa.String(length=20), nullable=True))
        batch_op.add_column(
            sa.Column("sla_clock", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "sla_started_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("sla_due_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("sla_reminded", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("sla_reassignments", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "first_assigned_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column(
                "first_touch_at", leadflow.store.tables.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("first_touch_seconds", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("first_touch_business_seconds", sa.Double(), nullable=True))
        batch_op.create_index(batch_op.f("ix_leads_sla_status"), ["sla_status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_sla_status"))
        batch_op.drop_column("first_touch_business_seconds")
        batch_op.drop_column("first_touch_seconds")
        batch_op.drop_column("first_touch_at")
        batch_op.drop_column("first_assigned_at")
        batch_op.drop_column("sla_reassignments")
        batch_op.drop_column("sla_reminded")
        batch_op.drop_column("sla_due_at")
        batch_op.drop_column("sla_started_at")
        batch_op.drop_column("sla_clock")
        batch_op.drop_column("sla_status")
        batch_op.drop_column("sla_tier")

    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_state_due")
        batch_op.drop_index(batch_op.f("ix_jobs_lead_id"))

    op.drop_table("jobs")
    op.drop_table("instance")
