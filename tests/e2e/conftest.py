"""The HTTP API's fixtures: an app on a fresh database, a fixed clock, keys, a published policy.

Every test that takes `client` runs twice: on SQLite (a temporary file) and on PostgreSQL (the
machine's, `LEADFLOW_TEST_POSTGRES_URL`, default postgres@127.0.0.1:5432/test, its `public`
schema dropped before each test). When PostgreSQL cannot be reached the test is skipped with the
reason, except in CI (the `CI` environment variable set), where it fails.

    def test_something(client, admin, policy):
        answer = client.post("/api/v1/leads", json={"email": "a@b.example"}, headers=admin)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from shared_policy import POLICY

from databases import FixedClock
from leadflow.api.app import create_app
from leadflow.service.context import Services
from leadflow.service.keys import create_key
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM
from leadflow.settings import Settings
from leadflow.worker import Worker
from recording import RecordingNotifier

# A Monday, 15:00 UTC: 10:00 in New York, inside everyone's working hours.
START = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
API = "/api/v1"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No background sweep of held leads: a test decides when time passes (test_held_sweep.py).
    return Settings(
        database_url=database_url, pool_size=4, sqlite_synchronous="NORMAL", held_check_seconds=0
    )


@pytest.fixture
def services(settings: Settings, clock: FixedClock) -> Services:
    """The app's use-case context, with the fixed clock; tests may call use cases on it."""
    return Services.build(settings, clock=clock)


@pytest.fixture
def app(settings: Settings, services: Services) -> FastAPI:
    return create_app(settings, services)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """The app, started (so migrated) and stopped around the test."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_key(client: TestClient, services: Services) -> Callable[..., dict[str, str]]:
    """`make_key(role, rep_id=None)`: the headers of a new API key with that role."""

    def make(role: str, rep_id: str | None = None) -> dict[str, str]:
        key = create_key(services, role, name=f"{role}-{rep_id or 'key'}", rep_id=rep_id)
        return {"Authorization": f"Bearer {key.token}"}

    return make


@pytest.fixture
def admin(make_key: Callable[..., dict[str, str]]) -> dict[str, str]:
    """The headers of an admin key."""
    return make_key("admin")


@pytest.fixture
def policy(client: TestClient, services: Services) -> int:
    """`POLICY` published and active; its version."""
    return publish_policy(services, POLICY, SYSTEM).version.version


@pytest.fixture
def post_lead(
    client: TestClient, admin: dict[str, str], policy: int
) -> Callable[..., dict[str, Any]]:
    """`post_lead(**fields)`: post a lead as admin (email given unless set), assert 201."""

    def post(**fields: Any) -> dict[str, Any]:
        body = {"email": "lead@example.com", **fields}
        answer = client.post(f"{API}/leads", json=body, headers=admin)
        assert answer.status_code == 201, answer.text
        result: dict[str, Any] = answer.json()
        return result

    return post


@pytest.fixture
def notifier() -> RecordingNotifier:
    """The worker's notifier in these tests: it keeps what it is asked to send."""
    return RecordingNotifier()


@pytest.fixture
def worker(services: Services, notifier: RecordingNotifier) -> Iterator[Worker]:
    """A worker on the app's services; tests run its rounds (`delivery_round`) themselves."""
    worker = Worker(services, notifier, name="test-worker", senders=2)  # type: ignore[arg-type]
    yield worker
    worker.stop()


from browser import browser, console, console_env, console_policy  # noqa: E402, F401
