"""Migrations: to the head from empty, and again without harm."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, select, text

from leadflow.service.context import Services
from leadflow.store.migrate import alembic_config, upgrade
from leadflow.store.tables import Base, LeadRow, RoutingClockRow


def test_migrating_an_empty_database_creates_every_table_of_the_model(
    make_services: Callable[[], Services],
) -> None:
    svc = make_services()
    upgrade(svc.store.engine)
    tables = set(inspect(svc.store.engine).get_table_names())
    assert tables == {*Base.metadata.tables, "alembic_version"}


def test_migrating_twice_changes_nothing_and_keeps_one_routing_clock_row(
    make_services: Callable[[], Services],
) -> None:
    svc = make_services()
    upgrade(svc.store.engine)
    upgrade(svc.store.engine)
    with svc.store.reading() as session:
        clocks = session.execute(select(RoutingClockRow.id, RoutingClockRow.version)).all()
        heads = session.connection().exec_driver_sql("SELECT version_num FROM alembic_version")
        versions = [row[0] for row in heads]
    assert [tuple(row) for row in clocks] == [(1, 0)]
    assert versions == [
        ScriptDirectory.from_config(alembic_config(svc.store.engine)).get_current_head()
    ]


def test_the_migrated_schema_is_the_model_column_for_column_and_index_for_index(
    make_services: Callable[[], Services],
) -> None:
    svc = make_services()
    upgrade(svc.store.engine)
    with svc.store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        differences = compare_metadata(context, Base.metadata)
    # Types are compared loosely by Alembic across dialects; what must never drift is which
    # tables, columns and indexes exist.
    kinds = [
        d for d in differences if not isinstance(d, list) and d[0].startswith(("add_", "remove_"))
    ]
    assert kinds == []


def test_migrating_again_keeps_the_routing_state_and_leads(
    services: Services, make_services: Callable[[], Services]
) -> None:
    with services.store.writing() as session:
        clock = session.get(RoutingClockRow, 1)
        assert clock is not None
        clock.version = 7
    upgrade(make_services().store.engine)
    with services.store.reading() as session:
        assert session.scalars(select(RoutingClockRow.version)).one() == 7


# Each process reads the database's revision (none yet), then waits a second before it
# creates the first table, so that the two runs overlap where a race would hurt.
MIGRATE = """
import sys, time
from alembic.runtime.migration import MigrationContext
from leadflow.settings import Settings
from leadflow.store.engine import make_engine
from leadflow.store.migrate import alembic_config, upgrade

create = MigrationContext._ensure_version_table
def slow_create(self, *args, **kwargs):
    time.sleep(1.0)
    return create(self, *args, **kwargs)
MigrationContext._ensure_version_table = slow_create
upgrade(make_engine(Settings(database_url=sys.argv[1])))
"""


def test_processes_migrating_at_once_all_succeed_and_create_one_schema(database_url: str) -> None:
    command = [sys.executable, "-c", MIGRATE, database_url]
    started = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    failures = []
    for process in started:
        _, stderr = process.communicate(timeout=120)
        if process.returncode != 0:
            errors = [line for line in stderr.splitlines() if line.startswith("sqlalchemy.exc")]
            failures.append(errors[0] if errors else stderr[-300:])
    engine = create_engine(database_url)
    with engine.connect() as connection:
        clocks = connection.exec_driver_sql("SELECT id, version FROM routing_clock").all()
    engine.dispose()
    assert failures == []
    assert [tuple(row) for row in clocks] == [(1, 0)]


def test_upgrading_to_lead_quality_gives_owned_leads_their_identity_keys(
    make_services: Callable[[], Services],
) -> None:
    svc = make_services()
    upgrade(svc.store.engine, "0003")
    with svc.store.engine.begin() as connection:
        fields = ":fields" if connection.dialect.name == "sqlite" else "CAST(:fields AS jsonb)"
        for lead_id, status in (("owned", "assigned"), ("closed", "won")):
            connection.execute(
                text(
                    "INSERT INTO leads (id, received_at, payload, fields, status, "
                    "previous_owners, updated_at, sla_clock, sla_reminded, sla_reassignments) "
                    f"VALUES (:id, :at, '{{}}', {fields}, :status, '[]', :at, 0, 0, 0)"
                ),
                {
                    "id": lead_id,
                    "at": datetime(2026, 11, 2, tzinfo=UTC).replace(tzinfo=None),
                    "fields": '{"email": "Jane+x@Acme.com", "phone": "+14155550123"}',
                    "status": status,
                },
            )
    upgrade(svc.store.engine)
    with svc.store.reading() as session:
        keys = dict(session.execute(select(LeadRow.id, LeadRow.email_key)).all())
    assert keys == {"owned": "email:jane@acme.com", "closed": None}
