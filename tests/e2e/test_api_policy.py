"""`/api/v1/policy`: publish, validate, list versions, roll back and dry-run, over HTTP."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from shared_policy import POLICY
from sqlalchemy import func, select

from leadflow.service.context import Services
from leadflow.store.tables import AuditRow, DecisionRow, LeadRow, RoutingClockRow

API = "/api/v1"
YAML = {"Content-Type": "text/yaml"}
# The same policy with bob alone in the general pool.
ONLY_BOB = POLICY.replace("members: [alice, bob, chen]", "members: [bob]")
BROKEN = POLICY.replace("route: enterprise", "route: enterprize").replace(
    "strategy: round_robin\n    members: [dana]", "strategy: round_robbin\n    members: [dana]"
)


def publish(client: TestClient, admin: dict[str, str], text: str) -> int:
    answer = client.put(f"{API}/policy", content=text, headers={**admin, **YAML})
    assert answer.status_code == 201, answer.text
    version: int = answer.json()["policy"]["version"]
    return version


def count(services: Services, table: type) -> int:
    with services.store.reading() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_published_policy_becomes_the_active_version(
    client: TestClient, admin: dict[str, str]
) -> None:
    answer = client.put(f"{API}/policy", content=POLICY, headers={**admin, **YAML})
    assert answer.status_code == 201
    assert answer.json()["policy"]["version"] == 1
    active = client.get(f"{API}/policy", headers=admin).json()
    assert (active["version"], active["text"], active["active"]) == (1, POLICY, True)
    assert active["digest"].startswith("sha256:")
    assert active["created_by"] == "admin-key"


def test_a_policy_with_errors_is_refused_with_the_line_of_each_problem(
    client: TestClient, admin: dict[str, str]
) -> None:
    answer = client.put(f"{API}/policy", content=BROKEN, headers={**admin, **YAML})
    assert answer.status_code == 422
    problems = answer.json()["error"]["problems"]
    errors = [p for p in problems if p["severity"] == "error"]
    lines = BROKEN.splitlines()
    assert len(errors) == 2
    assert {p["path"] for p in errors} == {"pools.enterprise.strategy", "rules[0].route"}
    for p in errors:
        assert p["line"] is not None and p["column"] is not None
        assert "enterprize" in lines[p["line"] - 1] or "round_robbin" in lines[p["line"] - 1]


def test_a_refused_policy_publishes_nothing(client: TestClient, admin: dict[str, str]) -> None:
    client.put(f"{API}/policy", content=BROKEN, headers={**admin, **YAML})
    assert client.get(f"{API}/policy/versions", headers=admin).json() == []
    assert client.get(f"{API}/policy", headers=admin).status_code == 404


def test_warnings_come_back_with_the_published_version(
    client: TestClient, admin: dict[str, str]
) -> None:
    without_fallback = POLICY.replace("fallback: general\n", "")
    answer = client.put(f"{API}/policy", content=without_fallback, headers={**admin, **YAML})
    assert answer.status_code == 201
    (warning,) = answer.json()["warnings"]
    assert warning["severity"] == "warning" and "fallback" in warning["message"]


def test_a_policy_must_be_sent_as_yaml(client: TestClient, admin: dict[str, str]) -> None:
    answer = client.put(f"{API}/policy", json={"text": POLICY}, headers=admin)
    assert answer.status_code == 415


def test_only_an_admin_may_publish(
    client: TestClient, make_key: Callable[..., dict[str, str]]
) -> None:
    manager = make_key("manager")
    answer = client.put(f"{API}/policy", content=POLICY, headers={**manager, **YAML})
    assert answer.status_code == 403


def test_versions_are_listed_newest_first_with_the_active_one_marked(
    client: TestClient, admin: dict[str, str]
) -> None:
    publish(client, admin, POLICY)
    publish(client, admin, ONLY_BOB)
    versions = client.get(f"{API}/policy/versions", headers=admin).json()
    assert [(v["version"], v["active"]) for v in versions] == [(2, True), (1, False)]


def test_activating_an_older_version_rolls_routing_back_to_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    publish(client, admin, POLICY)
    publish(client, admin, ONLY_BOB)
    answer = client.post(f"{API}/policy/versions/1/activate", headers=admin)
    assert answer.status_code == 200
    assert answer.json()["version"] == 1 and answer.json()["active"] is True
    owners = set()
    for i in range(3):
        lead = {"email": f"l{i}@example.com"}
        owners.add(client.post(f"{API}/leads", json=lead, headers=admin).json()["owner"])
    assert owners == {"alice", "bob", "chen"}


def test_activating_an_unknown_version_is_not_found(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    assert client.post(f"{API}/policy/versions/9/activate", headers=admin).status_code == 404


def test_publish_and_activate_are_audited_with_the_actor(
    client: TestClient, admin: dict[str, str], services: Services
) -> None:
    publish(client, admin, POLICY)
    publish(client, admin, ONLY_BOB)
    client.post(f"{API}/policy/versions/1/activate", headers=admin)
    with services.store.reading() as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.action.like("policy.%"))).all()
        seen = [(r.action, r.target, r.actor) for r in sorted(rows, key=lambda r: r.id)]
    assert seen == [
        ("policy.published", "policy:1", "admin-key"),
        ("policy.published", "policy:2", "admin-key"),
        ("policy.activated", "policy:1", "admin-key"),
    ]


def test_publishing_moves_the_routing_clock_so_every_process_reloads(
    client: TestClient, admin: dict[str, str], services: Services
) -> None:
    with services.store.reading() as session:
        before = session.get(RoutingClockRow, 1)
        version = before.version if before else 0
    publish(client, admin, POLICY)
    with services.store.reading() as session:
        clock = session.get(RoutingClockRow, 1)
        assert clock is not None and clock.version == version + 1


def test_a_dry_run_answers_the_decision_record(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    lead = {"email": "big@example.com", "employees": 5000}
    answer = client.post(f"{API}/policy/dry-run", json=lead, headers=admin)
    assert answer.status_code == 200
    result = answer.json()
    assert (result["outcome"], result["rep"], result["pool"]) == ("assigned", "dana", "enterprise")
    assert result["rule"] == "enterprise" and result["policy_version"] == policy
    assert result["record"]["pools"][0]["candidates"]


def test_a_dry_run_stores_nothing_and_moves_no_rotation(
    client: TestClient, admin: dict[str, str], policy: int, services: Services
) -> None:
    with services.store.reading() as session:
        clock = session.get(RoutingClockRow, 1)
        version = clock.version if clock else 0
    answers = [
        client.post(f"{API}/policy/dry-run", json={"email": "a@example.com"}, headers=admin)
        for _ in range(3)
    ]
    assert {a.json()["rep"] for a in answers} == {"alice"}  # the rotation did not move
    assert count(services, LeadRow) == 0 and count(services, DecisionRow) == 0
    with services.store.reading() as session:
        clock = session.get(RoutingClockRow, 1)
        assert clock is not None and clock.version == version


def test_a_dry_run_may_name_an_older_version(client: TestClient, admin: dict[str, str]) -> None:
    publish(client, admin, POLICY)
    publish(client, admin, ONLY_BOB)
    old = client.post(
        f"{API}/policy/dry-run", params={"version": 1}, json={"email": "a@x.example"}, headers=admin
    )
    new = client.post(f"{API}/policy/dry-run", json={"email": "a@x.example"}, headers=admin)
    assert (old.json()["policy_version"], old.json()["rep"]) == (1, "alice")
    assert (new.json()["policy_version"], new.json()["rep"]) == (2, "bob")


def test_a_dry_run_of_an_unknown_version_is_not_found(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    answer = client.post(
        f"{API}/policy/dry-run", params={"version": 7}, json={"email": "a@x.example"}, headers=admin
    )
    assert answer.status_code == 404


def test_a_new_version_places_the_leads_held_under_the_old_one(
    client: TestClient, admin: dict[str, str]
) -> None:
    holding = """\
version: 1
timezone: America/New_York
reps: [{id: alice, name: Alice}, {id: bob, name: Bob}]
pools:
  general: {strategy: round_robin, members: [alice], when_unavailable: hold, respect_hours: false}
fallback: general
"""
    publish(client, admin, holding)
    client.patch(f"{API}/reps/alice", json={"presence": "away"}, headers=admin)
    held = client.post(f"{API}/leads", json={"email": "h@example.com"}, headers=admin).json()
    assert held["status"] == "queued"
    publish(client, admin, holding.replace("members: [alice]", "members: [alice, bob]"))
    lead = client.get(f"{API}/leads/{held['id']}", headers=admin).json()
    assert (lead["status"], lead["owner"]) == ("assigned", "bob")
