"""`/api/v1/policy`: publish, validate, list versions, roll back and dry-run, over HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

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


# publishing without going live, and publishing what is live


def test_a_version_published_with_activate_false_is_stored_and_the_live_one_stays_live(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    answer = client.put(
        f"{API}/policy", params={"activate": "false"}, content=ONLY_BOB, headers={**admin, **YAML}
    )
    assert answer.status_code == 201, answer.text
    stored = answer.json()["policy"]
    assert (stored["version"], stored["active"]) == (policy + 1, False)
    assert client.get(f"{API}/policy", headers=admin).json()["version"] == policy


def test_a_stored_version_routes_nothing_until_it_is_activated(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    params = {"activate": "false"}
    client.put(f"{API}/policy", params=params, content=ONLY_BOB, headers={**admin, **YAML})
    lead = {"email": "a@example.com"}
    owners = [client.post(f"{API}/leads", json=lead, headers=admin).json()["owner"]]
    activated = client.post(f"{API}/policy/versions/{policy + 1}/activate", headers=admin)
    assert activated.status_code == 200, activated.text
    owners += [client.post(f"{API}/leads", json=lead, headers=admin).json()["owner"] for _ in "ab"]
    assert owners == ["alice", "bob", "bob"]  # alice's rotation, then bob alone


def test_a_misspelt_activate_is_refused_and_nothing_is_published(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    answer = client.put(
        f"{API}/policy", params={"activte": "false"}, content=ONLY_BOB, headers={**admin, **YAML}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "activte"
    assert len(client.get(f"{API}/policy/versions", headers=admin).json()) == 1


def test_publishing_the_live_text_again_makes_no_version_and_says_unchanged(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    answer = client.put(f"{API}/policy", content=POLICY, headers={**admin, **YAML})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["unchanged"], body["policy"]["version"], body["policy"]["active"]) == (
        True,
        policy,
        True,
    )
    assert len(client.get(f"{API}/policy/versions", headers=admin).json()) == 1


def test_a_new_text_is_not_unchanged(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    answer = client.put(f"{API}/policy", content=ONLY_BOB, headers={**admin, **YAML})
    assert (answer.status_code, answer.json()["unchanged"]) == (201, False)


# dry runs of a draft

BIG_AT_500 = POLICY.replace("gte: 1000", "gte: 500")


def test_a_dry_run_of_a_draft_s_text_answers_where_the_lead_would_go_under_it(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    body = {"policy": BIG_AT_500, "lead": {"email": "a@example.com", "employees": 600}}
    answer = client.post(f"{API}/policy/dry-run", json=body, headers=admin)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["rep"], result["rule"], result["policy_version"]) == ("dana", "enterprise", None)


def test_a_draft_s_lead_is_checked_as_intake_checks_one_naming_its_field(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    body = {"policy": BIG_AT_500, "lead": {"email": "a@example.com", "employees": "many"}}
    answer = client.post(f"{API}/policy/dry-run", json=body, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "lead.employees"


def test_a_draft_with_a_yaml_error_is_a_422_with_its_line_and_column(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    from leadflow.policy import check_policy
    from leadflow.service.policies import problem_dict

    broken = POLICY.replace("    route: enterprise", "    route: enterprise\n   bad: [")
    answer = client.post(
        f"{API}/policy/dry-run", params={"last": "7d"}, content=broken, headers={**admin, **YAML}
    )
    assert answer.status_code == 422
    [problem] = answer.json()["error"]["problems"]
    assert problem == problem_dict(check_policy(broken)[1][0])  # as `leadflow policy check` says
    assert (problem["line"], problem["column"]) == (22, 4)  # the line of `bad:`


def test_a_dry_run_of_a_draft_over_the_last_days_counts_and_lists_what_would_change(
    client: TestClient, admin: dict[str, str], post_lead: Callable[..., dict[str, Any]]
) -> None:
    post_lead(employees=50)  # alice, either way
    mid = post_lead(employees=600)["id"]  # bob live; the draft's enterprise rule: dana
    post_lead(employees=2000)  # dana, either way
    answer = client.post(
        f"{API}/policy/dry-run",
        params={"last": "7d"},
        content=BIG_AT_500,
        headers={**admin, **YAML},
    )
    assert answer.status_code == 200, answer.text
    window = answer.json()
    assert (window["days"], window["leads"], window["changed"]) == (7, 3, 1)
    assert window["changed_by"] == {"owner": 1, "rule": 1, "status": 0}
    [change] = window["changes"]
    assert (change["lead_id"], change["changed"]) == (mid, ["owner", "rule"])
    assert change["before"] == {"status": "assigned", "owner": "bob", "rule": None}
    assert change["after"] == {"status": "assigned", "owner": "dana", "rule": "enterprise"}


def test_a_draft_sent_as_json_without_a_lead_is_tried_over_the_window(
    client: TestClient, admin: dict[str, str], post_lead: Callable[..., dict[str, Any]]
) -> None:
    post_lead(employees=600)
    answer = client.post(
        f"{API}/policy/dry-run", params={"last": "1d"}, json={"policy": BIG_AT_500}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["days"], answer.json()["changed"]) == (1, 1)


def test_a_dry_run_of_the_live_version_over_a_window_changes_nothing(
    client: TestClient, admin: dict[str, str], post_lead: Callable[..., dict[str, Any]]
) -> None:
    for size in (50, 600, 2000):
        post_lead(employees=size)
    answer = client.post(f"{API}/policy/dry-run", params={"last": "7d"}, headers=admin)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["changed"], answer.json()["policy_version"]) == (0, 1)


def test_a_window_that_is_not_a_number_of_days_is_a_422_naming_last(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    answer = client.post(
        f"{API}/policy/dry-run", params={"last": "2w"}, content=POLICY, headers={**admin, **YAML}
    )
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "last"


def test_a_lead_and_a_window_together_are_a_422(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    body = {"policy": POLICY, "lead": {"email": "a@example.com"}}
    answer = client.post(f"{API}/policy/dry-run", params={"last": "7d"}, json=body, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "last"


def test_a_dry_run_body_without_its_content_type_is_told_what_to_send(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    body = json.dumps({"email": "a@example.com"}).encode()
    answer = client.post(f"{API}/policy/dry-run", content=body, headers=admin)
    assert answer.status_code == 415, answer.text
    message = answer.json()["error"]["message"]
    assert "Content-Type: application/json" in message and "text/yaml" in message


def test_a_misspelt_part_of_a_draft_s_body_is_named_with_did_you_mean(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    body = {"policy": BIG_AT_500, "leed": {"email": "a@example.com"}}
    answer = client.post(f"{API}/policy/dry-run", json=body, headers=admin)
    assert answer.status_code == 422
    (entry,) = answer.json()["error"]["fields"]
    assert entry["field"] == "leed"
    assert entry["message"] == "not a field here: did you mean 'lead'? expected one of lead, policy"
