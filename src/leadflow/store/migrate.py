"""Schema migrations (Alembic), run by `leadflow serve` on start and by `leadflow db upgrade`."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("leadflow.store") / "migrations"))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision`; safe to run again, and from several processes."""
    config = alembic_config(engine)
    # On SQLite, take the write lock up front: a deferred transaction that upgrades to a
    # writer while another process migrates fails with "database is locked".
    with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as connection:
        if connection.dialect.name == "postgresql":
            # Two processes starting together must not both create the tables.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7277)")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
