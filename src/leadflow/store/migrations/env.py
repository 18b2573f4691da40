"""Alembic's entry point: migrations run on the connection `leadflow.store.migrate` hands in."""

from __future__ import annotations

from alembic import context

from leadflow.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
