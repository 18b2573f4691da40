"""`/api/v1/reps`: reps' availability and load, changed day to day without a new policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM
from leadflow.store.tables import AuditRow

API = "/api/v1"
Headers = dict[str, str]
# Everyone in one round robin that holds leads when nobody is available.
HOLDING = """\
version: 1
timezone: America/New_York
reps:
  - {id: alice, name: Alice Adams}
  - {id: bob, name: Bob Brown}
pools:
  general:
    strategy: round_robin
    members: [alice, bob]
    respect_hours: false
    when_unavailable: hold
fallback: general
"""


def patch(client: TestClient, headers: Headers, rep: str, **body: Any) -> Any:
    return client.patch(f"{API}/reps/{rep}", json=body, headers=headers)


def owners(post_lead: Callable[..., dict[str, Any]], n: int) -> list[str | None]:
    return [post_lead(email=f"l{i}@example.com")["owner"] for i in range(n)]


def test_reps_lists_every_rep_of_the_active_policy_with_its_state(
    client: TestClient, admin: Headers, policy: int
) -> None:
    reps = client.get(f"{API}/reps", headers=admin).json()
    assert [r["id"] for r in reps] == ["alice", "bob", "chen", "dana"]
    alice = reps[0]
    assert (alice["presence"], alice["active"], alice["today_count"]) == ("available", True, 0)
    assert alice["pools"] == ["general"] and alice["time_off"] == []


def test_a_rep_counts_the_leads_it_got_today_and_still_has_open(
    client: TestClient, admin: Headers, post_lead: Callable[..., dict[str, Any]]
) -> None:
    owners(post_lead, 4)  # alice, bob, chen, alice
    alice = client.get(f"{API}/reps/alice", headers=admin).json()
    assert (alice["today_count"], alice["open_count"]) == (2, 2)


def test_an_unknown_rep_is_not_found(client: TestClient, admin: Headers, policy: int) -> None:
    assert client.get(f"{API}/reps/zoe", headers=admin).status_code == 404
    assert patch(client, admin, "zoe", presence="away").status_code == 404


def test_a_rep_set_away_is_skipped_by_routing(
    client: TestClient, admin: Headers, post_lead: Callable[..., dict[str, Any]]
) -> None:
    answer = patch(client, admin, "alice", presence="away")
    assert answer.status_code == 200 and answer.json()["presence"] == "away"
    assert owners(post_lead, 4) == ["bob", "chen", "bob", "chen"]


def test_a_rep_made_inactive_is_skipped_and_null_restores_the_policy(
    client: TestClient, admin: Headers, post_lead: Callable[..., dict[str, Any]]
) -> None:
    off = patch(client, admin, "bob", active=False).json()
    assert (off["active"], off["active_override"], off["policy_active"]) == (False, False, True)
    assert "bob" not in owners(post_lead, 2)
    back = patch(client, admin, "bob", active=None).json()
    assert (back["active"], back["active_override"]) == (True, None)


def test_time_off_added_now_makes_routing_skip_the_rep(
    client: TestClient, admin: Headers, post_lead: Callable[..., dict[str, Any]]
) -> None:
    entry = {"from": "2026-11-23", "to": "2026-11-23", "note": "dentist"}
    answer = patch(client, admin, "alice", time_off_add=[entry])
    assert answer.status_code == 200
    (off,) = answer.json()["time_off"]
    assert (off["source"], off["note"]) == ("runtime", "dentist")
    assert off["starts_at"] == "2026-11-23T00:00:00-05:00"
    assert off["ends_at"] == "2026-11-24T00:00:00-05:00"
    assert "alice" not in owners(post_lead, 3)


def test_time_off_removed_makes_the_rep_eligible_again(
    client: TestClient, admin: Headers, post_lead: Callable[..., dict[str, Any]]
) -> None:
    entry = {"from": "2026-11-23T09:00", "to": "2026-11-23T12:00"}
    (off,) = patch(client, admin, "alice", time_off_add=[entry]).json()["time_off"]
    answer = patch(client, admin, "alice", time_off_remove=[off["id"]])
    assert answer.json()["time_off"] == []
    assert "alice" in owners(post_lead, 3)


def test_time_off_that_cannot_be_read_is_refused(
    client: TestClient, admin: Headers, policy: int
) -> None:
    entry = {"from": "2026-11-25", "to": "2026-11-23"}
    answer = patch(client, admin, "alice", time_off_add=[entry])
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == "time_off_add[0].to" and "ends before it starts" in error["message"]


def test_removing_time_off_of_another_rep_is_not_found(
    client: TestClient, admin: Headers, policy: int
) -> None:
    entry = {"from": "2026-11-23", "to": "2026-11-23"}
    (off,) = patch(client, admin, "alice", time_off_add=[entry]).json()["time_off"]
    assert patch(client, admin, "bob", time_off_remove=[off["id"]]).status_code == 404


def test_a_caps_override_is_partial_and_null_clears_it(
    client: TestClient, admin: Headers, policy: int
) -> None:
    patch(client, admin, "alice", caps={"per_day": 5, "open": 9})
    both = patch(client, admin, "alice", caps={"per_day": None}).json()
    assert both["caps_override"] == {"per_day": None, "per_week": None, "open": 9}
    assert both["caps"]["open"] == 9
    cleared = patch(client, admin, "alice", caps=None).json()
    assert cleared["caps_override"] is None


def test_a_cap_override_reached_makes_routing_skip_the_rep(
    client: TestClient, admin: Headers, post_lead: Callable[..., dict[str, Any]]
) -> None:
    patch(client, admin, "alice", caps={"per_day": 1})
    assert owners(post_lead, 6).count("alice") == 1


def test_a_rep_key_may_change_its_own_presence(
    client: TestClient, make_key: Callable[..., Headers], policy: int
) -> None:
    bob = make_key("rep", "bob")
    answer = patch(client, bob, "bob", presence="away")
    assert answer.status_code == 200 and answer.json()["presence"] == "away"


def test_a_rep_key_may_not_change_another_rep(
    client: TestClient, make_key: Callable[..., Headers], policy: int
) -> None:
    bob = make_key("rep", "bob")
    assert patch(client, bob, "alice", presence="away").status_code == 403


def test_a_rep_key_may_not_change_its_own_caps_or_whether_it_is_active(
    client: TestClient, make_key: Callable[..., Headers], policy: int
) -> None:
    bob = make_key("rep", "bob")
    assert patch(client, bob, "bob", caps={"per_day": 99}).status_code == 403
    assert patch(client, bob, "bob", active=False).status_code == 403


def test_a_rep_key_may_add_and_remove_its_own_time_off(
    client: TestClient, make_key: Callable[..., Headers], policy: int
) -> None:
    bob = make_key("rep", "bob")
    entry = {"from": "2026-12-24", "to": "2026-12-31", "note": "holidays"}
    added = patch(client, bob, "bob", time_off_add=[entry])
    assert added.status_code == 200, added.text
    (runtime,) = [t for t in added.json()["time_off"] if t["source"] == "runtime"]
    removed = patch(client, bob, "bob", time_off_remove=[runtime["id"]])
    assert removed.status_code == 200
    assert [t for t in removed.json()["time_off"] if t["source"] == "runtime"] == []


def test_a_rep_key_sees_only_its_own_rep(
    client: TestClient, make_key: Callable[..., Headers], policy: int
) -> None:
    bob = make_key("rep", "bob")
    assert [r["id"] for r in client.get(f"{API}/reps", headers=bob).json()] == ["bob"]
    assert client.get(f"{API}/reps/alice", headers=bob).status_code == 403


def test_an_intake_key_may_not_read_reps(
    client: TestClient, make_key: Callable[..., Headers], policy: int
) -> None:
    assert client.get(f"{API}/reps", headers=make_key("intake")).status_code == 403


def test_every_change_is_audited_with_who_made_it_before_and_after(
    client: TestClient, make_key: Callable[..., Headers], policy: int, services: Services
) -> None:
    bob = make_key("rep", "bob")
    patch(client, bob, "bob", presence="away")
    with services.store.reading() as session:
        (row,) = session.scalars(select(AuditRow).where(AuditRow.action == "rep.updated"))
    assert (row.actor, row.target) == ("rep-bob", "bob")
    assert row.data["before"]["presence"] == "available"
    assert row.data["after"]["presence"] == "away"
    assert row.data["changes"] == {"presence": "away"}


def test_a_lead_held_while_everyone_is_away_is_assigned_when_a_rep_is_back(
    client: TestClient, admin: Headers, services: Services
) -> None:
    publish_policy(services, HOLDING, SYSTEM)
    for rep in ("alice", "bob"):
        patch(client, admin, rep, presence="away")
    held = client.post(f"{API}/leads", json={"email": "w@example.com"}, headers=admin).json()
    assert (held["status"], held["owner"]) == ("queued", None)
    patch(client, admin, "bob", presence="available")
    lead = client.get(f"{API}/leads/{held['id']}", headers=admin).json()
    assert (lead["status"], lead["owner"]) == ("assigned", "bob")


def test_held_leads_are_placed_oldest_first_as_far_as_caps_allow(
    client: TestClient, admin: Headers, services: Services
) -> None:
    publish_policy(services, HOLDING, SYSTEM)
    for rep in ("alice", "bob"):
        patch(client, admin, rep, presence="away")
    patch(client, admin, "bob", caps={"per_day": 1})
    ids = [
        client.post(f"{API}/leads", json={"email": f"w{i}@example.com"}, headers=admin).json()["id"]
        for i in range(2)
    ]
    patch(client, admin, "bob", presence="available")
    status = [client.get(f"{API}/leads/{i}", headers=admin).json()["status"] for i in ids]
    assert status == ["assigned", "queued"]
