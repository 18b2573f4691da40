"""The test suites' databases: the machine's PostgreSQL, and a clock that stands still.

Every database test runs on SQLite (a temporary file) and on PostgreSQL (the machine's,
`LEADFLOW_TEST_POSTGRES_URL`, default postgres@127.0.0.1:5432/test, its `public` schema dropped
before each test). When PostgreSQL cannot be reached the test is skipped with the reason, except
in CI (the `CI` environment variable set), where it fails: no test may be skipped in CI for a
missing component.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError

POSTGRES_URL = os.environ.get(
    "LEADFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def postgres_problem(url: str = POSTGRES_URL) -> str | None:
    """None when PostgreSQL answers, else why not."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except OperationalError as error:
        return f"PostgreSQL is not reachable at {url}: {error.orig}"
    finally:
        engine.dispose()
    return None


def require_postgres(url: str = POSTGRES_URL) -> None:
    """Skip the calling test without PostgreSQL; fail it in CI (where nothing may be skipped)."""
    problem = postgres_problem(url)
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{problem} (CI: the database suite may not be skipped)", pytrace=False)
    pytest.skip(problem)


def reset_postgres(url: str = POSTGRES_URL) -> None:
    """An empty `public` schema: every table, sequence and the Alembic version gone."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


class FixedClock:
    """The service's clock in tests: it says `now` until a test moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        assert now.tzinfo is not None, "the service only deals in aware instants"
        self.now = now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
