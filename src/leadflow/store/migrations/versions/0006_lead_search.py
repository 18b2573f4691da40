"""the console's lead search: a folded text of email, name and company, indexed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from leadflow.store.search import search_text

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

BATCH = 2000
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
leads = sa.table(
    "leads",
    sa.column("seq", sa.Integer()),
    sa.column("payload", Json),
    sa.column("fields", Json),
    sa.column("search", sa.String()),
)


def upgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("search", sa.String(length=1000), nullable=True))
    _fill(op.get_bind())
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leads_search"), ["search"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("leads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_search"))
        batch_op.drop_column("search")


def _fill(connection: sa.Connection) -> None:
    """The search text of every lead stored so far, a batch at a time (keyset by seq)."""
    last = 0
    change = (
        sa.update(leads)
        .where(leads.c.seq == sa.bindparam("at"))
        .values(search=sa.bindparam("text"))
    )
    while True:
        rows = connection.execute(
            sa.select(leads.c.seq, leads.c.payload, leads.c.fields)
            .where(leads.c.seq > last)
            .order_by(leads.c.seq)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        values = [
            {"at": seq, "text": search_text(fields or {}, payload or {})}
            for seq, payload, fields in rows
        ]
        connection.execute(change, values)
        last = rows[-1][0]
