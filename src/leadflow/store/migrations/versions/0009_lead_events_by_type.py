"""lead events by type and time: the team board's breaches this week, without a scan

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 13:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_lead_events_type_at", "lead_events", ["type", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_lead_events_type_at", table_name="lead_events")
