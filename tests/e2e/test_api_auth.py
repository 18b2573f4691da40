"""Keys and roles over HTTP, and the endpoints that need no key (health, readiness, metrics).

No key: 401. The wrong role: 403. A rep key sees and touches only the leads its rep owns;
another rep's lead does not exist for it (404).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shared_policy import POLICY

from leadflow.api.app import create_app
from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM
from leadflow.settings import Settings

API = "/api/v1"
Post = Callable[..., dict[str, Any]]
Headers = dict[str, str]
MakeKey = Callable[..., Headers]


def metric(client: TestClient, line_start: str) -> float:
    """The value of the first sample line of /metrics that starts with `line_start`."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# keys


def test_a_request_without_a_key_is_401(client: TestClient) -> None:
    answer = client.get(f"{API}/leads")
    assert answer.status_code == 401
    assert answer.json()["error"]["type"] == "unauthorized"


def test_an_unknown_key_is_401(client: TestClient) -> None:
    headers = {"Authorization": "Bearer lf_000000000000_not-a-real-secret"}
    assert client.get(f"{API}/leads", headers=headers).status_code == 401


def test_a_key_is_also_accepted_in_the_x_api_key_header(client: TestClient, admin: Headers) -> None:
    token = admin["Authorization"].removeprefix("Bearer ")
    assert client.get(f"{API}/leads", headers={"X-API-Key": token}).status_code == 200


# roles


def test_an_intake_key_may_post_a_lead(client: TestClient, make_key: MakeKey, policy: int) -> None:
    body = {"email": "a@example.com"}
    assert client.post(f"{API}/leads", json=body, headers=make_key("intake")).status_code == 201


def test_an_intake_key_may_not_list_leads(client: TestClient, make_key: MakeKey) -> None:
    answer = client.get(f"{API}/leads", headers=make_key("intake"))
    assert answer.status_code == 403
    assert answer.json()["error"]["type"] == "forbidden"


def test_an_intake_key_may_not_read_a_lead(
    client: TestClient, make_key: MakeKey, post_lead: Post
) -> None:
    answer = client.get(f"{API}/leads/{post_lead()['id']}", headers=make_key("intake"))
    assert answer.status_code == 403


def test_a_rep_key_may_not_reassign_a_lead(
    client: TestClient, make_key: MakeKey, post_lead: Post
) -> None:
    routed = post_lead()  # alice's
    answer = client.post(
        f"{API}/leads/{routed['id']}/reassign", json={}, headers=make_key("rep", "alice")
    )
    assert answer.status_code == 403


def test_a_rep_key_may_not_post_a_lead(client: TestClient, make_key: MakeKey, policy: int) -> None:
    body = {"email": "a@example.com"}
    answer = client.post(f"{API}/leads", json=body, headers=make_key("rep", "alice"))
    assert answer.status_code == 403


# a rep's own leads


def test_a_rep_lists_only_its_own_leads(
    client: TestClient, make_key: MakeKey, post_lead: Post
) -> None:
    owned = [post_lead() for _ in range(6)]  # two each for alice, bob and chen
    answer = client.get(f"{API}/leads", headers=make_key("rep", "bob"))
    listed = [lead["id"] for lead in answer.json()["items"]]
    assert listed == [lead["id"] for lead in owned if lead["owner"] == "bob"]


def test_a_rep_asking_for_another_owner_gets_nothing(
    client: TestClient, make_key: MakeKey, post_lead: Post
) -> None:
    post_lead()  # alice's
    answer = client.get(f"{API}/leads", params={"owner": "alice"}, headers=make_key("rep", "bob"))
    assert answer.json()["items"] == []


def test_a_rep_reads_its_own_lead(client: TestClient, make_key: MakeKey, post_lead: Post) -> None:
    routed = post_lead()  # alice's
    answer = client.get(f"{API}/leads/{routed['id']}", headers=make_key("rep", "alice"))
    assert answer.status_code == 200


def test_a_rep_gets_404_for_another_reps_lead(
    client: TestClient, make_key: MakeKey, post_lead: Post
) -> None:
    routed = post_lead()  # alice's
    answer = client.get(f"{API}/leads/{routed['id']}", headers=make_key("rep", "bob"))
    assert answer.status_code == 404


def test_a_rep_records_an_event_on_its_own_lead(
    client: TestClient, make_key: MakeKey, post_lead: Post
) -> None:
    routed = post_lead()  # alice's
    answer = client.post(
        f"{API}/leads/{routed['id']}/events",
        json={"type": "accepted"},
        headers=make_key("rep", "alice"),
    )
    assert answer.status_code == 200
    assert answer.json()["status"] == "accepted"


def test_a_rep_may_not_record_an_event_on_another_reps_lead(
    client: TestClient, make_key: MakeKey, post_lead: Post
) -> None:
    routed = post_lead()  # alice's
    answer = client.post(
        f"{API}/leads/{routed['id']}/events",
        json={"type": "won"},
        headers=make_key("rep", "bob"),
    )
    assert answer.status_code == 404


# health: no key


def test_healthz_answers_without_a_key(client: TestClient) -> None:
    answer = client.get("/healthz")
    assert (answer.status_code, answer.json()) == (200, {"status": "ok"})


def test_readyz_answers_200_when_the_database_is_reachable(client: TestClient) -> None:
    assert client.get("/readyz").status_code == 200


def test_health_is_also_served_under_the_api_prefix(client: TestClient) -> None:
    assert client.get(f"{API}/readyz").status_code == 200


def test_readyz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'leadflow.sqlite'}")
    unstarted = TestClient(create_app(settings))  # not started: no migration to fail first
    answer = unstarted.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable"


def test_metrics_answer_without_a_key_in_prometheus_text(client: TestClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")


def test_metrics_count_a_posted_lead_by_outcome(client: TestClient, post_lead: Post) -> None:
    received = metric(client, 'leadflow_leads_received_total{door="api"}')
    assigned = metric(client, 'leadflow_leads_routed_total{outcome="assigned"}')
    post_lead()
    assert metric(client, 'leadflow_leads_received_total{door="api"}') == received + 1
    assert metric(client, 'leadflow_leads_routed_total{outcome="assigned"}') == assigned + 1


def test_metrics_count_the_leads_of_every_door_by_its_name(
    client: TestClient, admin: Headers, services: Services
) -> None:
    publish_policy(services, POLICY + "intake:\n  webinar: {}\n", SYSTEM)
    client.post(f"{API}/leads", json={"email": "api@example.com"}, headers=admin)
    client.post(f"{API}/intake/webinar", json={"email": "form@example.com"}, headers=admin)
    rows = "email\none@rows.example\ntwo@rows.example\nthree@rows.example\n"
    csv = {**admin, "Content-Type": "text/csv"}
    for params in ({}, {"dry_run": "true"}):  # a dry run stores and counts nothing
        answer = client.post(f"{API}/leads/import", params=params, content=rows, headers=csv)
        assert answer.status_code == 200, answer.text
    unrouted = "email\nfour@rows.example\n"
    client.post(f"{API}/leads/import", params={"route": "false"}, content=unrouted, headers=csv)
    counted = {
        door: metric(client, f'leadflow_leads_received_total{{door="{door}"}}')
        for door in ("api", "intake", "import", "hook", "form")
    }
    assert counted == {"api": 1, "intake": 1, "import": 4, "hook": 0, "form": 0}
    assert metric(client, 'leadflow_leads_routed_total{outcome="assigned"}') == 5
    assert 'leadflow_leads_received_total{door="form"} 0.0' in client.get("/metrics").text


def test_metrics_time_each_decision(client: TestClient, post_lead: Post) -> None:
    post_lead()
    post_lead()
    assert metric(client, "leadflow_decision_seconds_count") == 2


def test_metrics_do_not_count_a_replayed_retry_as_a_new_lead(
    client: TestClient, admin: Headers, policy: int
) -> None:
    headers = {**admin, "Idempotency-Key": "k-1"}
    for _ in range(2):
        client.post(f"{API}/leads", json={"email": "a@example.com"}, headers=headers)
    assert metric(client, 'leadflow_leads_received_total{door="api"}') == 1
    assert metric(client, "leadflow_leads_replayed_total") == 1


@pytest.mark.parametrize("path", ["/docs", f"{API}/openapi.json"])
def test_the_api_documents_itself(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 200
