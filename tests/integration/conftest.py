"""The database suite's fixtures: a `Services` on SQLite (a temp file) and on PostgreSQL.

Every test that takes `services` runs twice, once per database. PostgreSQL is the machine's
(`LEADFLOW_TEST_POSTGRES_URL`, default postgres@127.0.0.1:5432/test); its `public` schema is
dropped and migrated again before each test. When it cannot be reached, the test is skipped
with the reason, except in CI (the `CI` environment variable set), where it fails: no test may
be skipped in CI for a missing component.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

from leadflow.service import policies
from leadflow.service.context import Services
from leadflow.service.routing import Actor
from leadflow.settings import Settings
from leadflow.store.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "LEADFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ADMIN = Actor("tests", "admin")
# A Monday, 15:00 UTC: 10:00 in New York, and already Tuesday midnight in Tokyo.
START = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


class FixedClock:
    """The service's clock in tests: it says `now` until a test moves it."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        assert now.tzinfo is not None, "the service only deals in aware instants"
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def postgres_or_skip(url: str = POSTGRES_URL) -> None:
    """Return when PostgreSQL answers; otherwise skip, or fail when running in CI."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except OperationalError as error:
        reason = f"PostgreSQL is not reachable at {url}: {error.orig}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI: the database suite may not be skipped)", pytrace=False)
        pytest.skip(reason)
    finally:
        engine.dispose()


def reset_postgres(url: str = POSTGRES_URL) -> None:
    """An empty `public` schema: every table, sequence and the Alembic version gone."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database (not yet migrated), one of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'leadflow.sqlite'}"
    postgres_or_skip()
    reset_postgres()
    return POSTGRES_URL


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def make_services(database_url: str, clock: FixedClock) -> Iterator[Callable[[], Services]]:
    """Build `Services` on the test's database: each call is another process's view of it."""
    built: list[Services] = []

    def build() -> Services:
        svc = Services.build(Settings(database_url=database_url, pool_size=2), clock=clock)
        built.append(svc)
        return svc

    yield build
    for svc in built:
        svc.store.close()


@pytest.fixture
def services(make_services: Callable[[], Services]) -> Services:
    """The use cases' context on a migrated, empty database, with the fixed `clock`."""
    svc = make_services()
    upgrade(svc.store.engine)
    return svc


def publish(svc: Services, text: str) -> int:
    """Make `text` the active policy, as `PUT /api/v1/policy` does; its version number."""
    return policies.publish_policy(svc, text, ADMIN).version.version


@pytest.fixture
def publish_policy() -> Callable[[Services, str], int]:
    """`publish_policy(svc, text)`: make `text` the active policy; returns its version."""
    return publish
