"""The worker's rows over HTTP: failed messages retried with back-off, then dead; dead ones
listed and retried by hand, with the same delivery id.

Each test runs on SQLite and on PostgreSQL (see conftest), on the fixed clock, with a message
tried at most three times. The policy sends `lead.assigned` to the owner by email; the worker's
delivery round hands it to a notifier that fails as a test tells it to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from databases import FixedClock
from leadflow.notify import DeliveryError
from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM
from leadflow.settings import Settings
from leadflow.store.jobs import backoff
from leadflow.worker import Worker
from recording import RecordingNotifier

API = "/api/v1"
Headers = dict[str, str]
Post = Callable[..., dict[str, Any]]
ATTEMPTS = 3
REFUSED = DeliveryError("the mail server refused ann@example.com", retryable=False)
BUSY = DeliveryError("the mail server is busy (421)", retryable=True)

POLICY = """\
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com}
  - {id: ben, name: Ben Brook, email: ben@example.com}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
channels:
  mail: {type: email}
notify:
  - {events: [lead.assigned], to: owner, via: mail}
rules:
  - {name: everyone, route: team}
fallback: team
"""


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Conftest's settings, with a message dead after three tries (the first retry after 10 s)."""
    return Settings(
        database_url=database_url,
        pool_size=4,
        sqlite_synchronous="NORMAL",
        held_check_seconds=0,
        delivery_attempts=ATTEMPTS,
        delivery_backoff_seconds=10,
    )


@pytest.fixture
def policy(client: TestClient, services: Services) -> int:
    """This module's policy (not conftest's), published and active; its version."""
    return publish_policy(services, POLICY, SYSTEM).version.version


@pytest.fixture
def lead_id(post_lead: Post) -> str:
    """A lead assigned to ann; its `lead.assigned` email waits for the worker."""
    routed = post_lead(email="jo@prospect.example")
    assert routed["owner"] == "ann"
    return str(routed["id"])


@pytest.fixture
def dead(
    lead_id: str, worker: Worker, notifier: RecordingNotifier, client: TestClient, admin: Headers
) -> dict[str, Any]:
    """The job row of a message the mail server refused for good: dead after one try."""
    notifier.failure = REFUSED
    worker.delivery_round()
    notifier.failure = None
    [row] = jobs(client, admin, state="dead")
    return row


def jobs(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    answer = client.get(f"{API}/jobs", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, Any]] = answer.json()
    return rows


def tries_at(
    worker: Worker, notifier: RecordingNotifier, clock: FixedClock, *seconds: float
) -> list[float]:
    """Run a delivery round at each of these seconds after now; those at which a try was made."""
    start = clock.now
    tried = []
    for at in seconds:
        clock.set(start)
        clock.advance(seconds=at)
        before = len(notifier.tries)
        worker.delivery_round()
        if len(notifier.tries) > before:
            tried.append(at)
    return tried


# back-off


@pytest.mark.parametrize(
    ("attempts", "seconds"),
    [(1, 10), (2, 20), (3, 40), (4, 80), (5, 160), (9, 2560), (10, 3600), (30, 3600)],
)
def test_the_wait_before_the_next_try_doubles_from_the_first_up_to_an_hour(
    attempts: int, seconds: float
) -> None:
    assert backoff(attempts, 10) == seconds


# failed messages


def test_a_message_refused_for_good_is_dead_after_one_try(
    lead_id: str, worker: Worker, notifier: RecordingNotifier, client: TestClient, admin: Headers
) -> None:
    notifier.failure = REFUSED
    worker.delivery_round()
    [row] = jobs(client, admin, lead_id=lead_id, kind="deliver")
    assert (row["state"], row["attempts"]) == ("dead", 1)


def test_a_dead_message_is_listed_by_state_dead_with_its_last_error(
    lead_id: str, worker: Worker, notifier: RecordingNotifier, client: TestClient, admin: Headers
) -> None:
    notifier.failure = REFUSED
    worker.delivery_round()
    [row] = jobs(client, admin, state="dead")
    assert (row["kind"], row["lead_id"]) == ("deliver", lead_id)
    assert row["last_error"] == REFUSED.reason


def test_a_message_that_was_sent_is_not_listed_as_dead(
    lead_id: str, worker: Worker, client: TestClient, admin: Headers
) -> None:
    worker.delivery_round()
    assert jobs(client, admin, state="dead") == []
    assert [r["state"] for r in jobs(client, admin, lead_id=lead_id)] == ["done"]


def test_a_retryable_failure_is_tried_again_after_10_seconds_and_not_before(
    lead_id: str, worker: Worker, notifier: RecordingNotifier, clock: FixedClock
) -> None:
    notifier.failure = BUSY
    assert tries_at(worker, notifier, clock, 0, 9, 10) == [0, 10]


def test_a_second_retryable_failure_waits_20_seconds_more(
    lead_id: str, worker: Worker, notifier: RecordingNotifier, clock: FixedClock
) -> None:
    notifier.failure = BUSY
    assert tries_at(worker, notifier, clock, 0, 10, 29, 30) == [0, 10, 30]


def test_a_retryable_failure_is_dead_after_the_last_try(
    lead_id: str,
    worker: Worker,
    notifier: RecordingNotifier,
    clock: FixedClock,
    client: TestClient,
    admin: Headers,
) -> None:
    notifier.failure = BUSY
    tries_at(worker, notifier, clock, 0, 10, 30)
    [row] = jobs(client, admin, lead_id=lead_id)
    assert (row["state"], row["attempts"], row["last_error"]) == ("dead", ATTEMPTS, BUSY.reason)


def test_a_dead_message_is_not_tried_again_by_itself(
    lead_id: str, worker: Worker, notifier: RecordingNotifier, clock: FixedClock
) -> None:
    notifier.failure = BUSY
    tried = tries_at(worker, notifier, clock, 0, 10, 30, 70, 3600, 86400)
    assert tried == [0, 10, 30]


def test_every_try_of_a_message_has_the_same_delivery_id(
    lead_id: str, worker: Worker, notifier: RecordingNotifier, clock: FixedClock
) -> None:
    notifier.failure = BUSY
    tries_at(worker, notifier, clock, 0, 10, 30)
    assert len(notifier.tries) == ATTEMPTS
    assert len({d.id for d in notifier.tries}) == 1


# retry by hand


def test_retrying_a_dead_message_makes_it_pending_with_no_tries_and_the_same_delivery_id(
    dead: dict[str, Any], client: TestClient, admin: Headers
) -> None:
    answer = client.post(f"{API}/jobs/{dead['id']}/retry", headers=admin)
    assert answer.status_code == 200, answer.text
    row = answer.json()
    assert (row["state"], row["attempts"]) == ("pending", 0)
    assert row["delivery_id"] == dead["delivery_id"]


def test_a_retried_message_is_sent_by_the_next_round_with_its_delivery_id(
    dead: dict[str, Any],
    worker: Worker,
    notifier: RecordingNotifier,
    client: TestClient,
    admin: Headers,
) -> None:
    client.post(f"{API}/jobs/{dead['id']}/retry", headers=admin)
    worker.delivery_round()
    assert [d.id for d in notifier.sent] == [dead["delivery_id"]]
    [row] = jobs(client, admin, lead_id=dead["lead_id"])
    assert row["state"] == "done"


def test_retrying_a_message_that_is_not_dead_is_a_conflict(
    lead_id: str, worker: Worker, client: TestClient, admin: Headers
) -> None:
    worker.delivery_round()
    [row] = jobs(client, admin, lead_id=lead_id)
    answer = client.post(f"{API}/jobs/{row['id']}/retry", headers=admin)
    assert answer.status_code == 409
    assert jobs(client, admin, lead_id=lead_id)[0]["state"] == "done"


def test_retrying_a_pending_message_is_a_conflict(
    lead_id: str, client: TestClient, admin: Headers
) -> None:
    [row] = jobs(client, admin, lead_id=lead_id)
    assert client.post(f"{API}/jobs/{row['id']}/retry", headers=admin).status_code == 409


def test_retrying_an_unknown_job_is_not_found(
    client: TestClient, admin: Headers, policy: int
) -> None:
    assert client.post(f"{API}/jobs/999999/retry", headers=admin).status_code == 404


# who may, and what is asked


def test_a_rep_key_may_not_list_jobs(
    client: TestClient, make_key: Callable[..., Headers], policy: int
) -> None:
    assert client.get(f"{API}/jobs", headers=make_key("rep", "ann")).status_code == 403


def test_a_rep_key_may_not_retry_a_job(
    dead: dict[str, Any], client: TestClient, make_key: Callable[..., Headers]
) -> None:
    answer = client.post(f"{API}/jobs/{dead['id']}/retry", headers=make_key("rep", "ann"))
    assert answer.status_code == 403


def test_a_manager_key_may_list_jobs(
    dead: dict[str, Any], client: TestClient, make_key: Callable[..., Headers]
) -> None:
    assert [r["id"] for r in jobs(client, make_key("manager"), state="dead")] == [dead["id"]]


def test_an_unknown_state_is_refused_naming_the_field(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = client.get(f"{API}/jobs", params={"state": "bogus"}, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "state"


def test_an_unknown_kind_is_refused_naming_the_field(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = client.get(f"{API}/jobs", params={"kind": "bogus"}, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "kind"
