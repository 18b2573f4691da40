"""The database suite's fixtures: a `Services` on SQLite (a temp file) and on PostgreSQL.

Every test that takes `services` runs twice, once per database. PostgreSQL is the machine's
(`LEADFLOW_TEST_POSTGRES_URL`, default postgres@127.0.0.1:5432/test); its `public` schema is
dropped and migrated again before each test. When it cannot be reached, the test is skipped
with the reason, except in CI (the `CI` environment variable set), where it fails: no test may
be skipped in CI for a missing component.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from databases import FixedClock
from leadflow.service import policies
from leadflow.service.context import Services
from leadflow.service.routing import Actor
from leadflow.settings import Settings
from leadflow.store.migrate import upgrade

ADMIN = Actor("tests", "admin")
# A Monday, 15:00 UTC: 10:00 in New York, and already Tuesday midnight in Tokyo.
START = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


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
