"""reporting: what each eligible rep of its pool was owed of a lead (fairness)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 06:35:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lead_fact_shares",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lead_id", sa.String(length=40), nullable=False),
        sa.Column("pool", sa.String(length=120), nullable=False),
        sa.Column("rep", sa.String(length=120), nullable=False),
        sa.Column("expected", sa.Double(), nullable=False),
        sa.Column("picked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lead_fact_shares_lead_id", "lead_fact_shares", ["lead_id"])
    # Facts derived before shares were counted lack them: derive every lead again.
    op.execute("DELETE FROM instance WHERE name = 'report_facts_mark'")


def downgrade() -> None:
    op.drop_index("ix_lead_fact_shares_lead_id", "lead_fact_shares")
    op.drop_table("lead_fact_shares")
