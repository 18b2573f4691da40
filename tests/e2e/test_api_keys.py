"""`/keys`: an admin lists, makes and revokes API keys over HTTP; nobody else may.

A key's token is in the answer that makes it and nowhere else. A key revoked through a process
is refused by it at once; another process (its own `Services`, its own key cache) trusts the
key it verified for up to `KEY_TTL` more seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from databases import FixedClock
from leadflow.service.context import KEY_TTL, KeyCache, Services
from leadflow.service.keys import create_key, revoke_key
from leadflow.service.routing import Actor
from leadflow.settings import Settings
from leadflow.store.tables import AuditRow

API = "/api/v1"
Headers = dict[str, str]
MakeKey = Callable[..., Headers]


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def token_of(headers: Headers) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def new_key(client: TestClient, admin: Headers, **body: Any) -> dict[str, Any]:
    """POST /keys as admin; assert 201 and give the answer."""
    answer = client.post(
        f"{API}/keys", json={"role": "manager", "name": "ops", **body}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def audit(services: Services, action: str) -> list[AuditRow]:
    with services.store.reading() as session:
        return list(session.scalars(select(AuditRow).where(AuditRow.action == action)))


class Ticking:
    """A monotonic clock for a key cache that a test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# listing


def test_admin_lists_every_key_with_its_role_and_prefix(
    client: TestClient, admin: Headers, make_key: MakeKey
) -> None:
    make_key("rep", "alice")
    listed = client.get(f"{API}/keys", headers=admin).json()
    assert [(k["name"], k["role"], k["rep_id"]) for k in listed] == [
        ("admin-key", "admin", None),
        ("rep-alice", "rep", "alice"),
    ]
    assert token_of(admin).startswith(f"lf_{listed[0]['prefix']}_")


def test_no_secret_appears_in_the_list_of_keys(client: TestClient, admin: Headers) -> None:
    answer = client.get(f"{API}/keys", headers=admin)
    secret = token_of(admin).split("_", 2)[2]
    assert secret not in answer.text
    assert set(answer.json()[0]) == {
        "id",
        "name",
        "prefix",
        "role",
        "rep_id",
        "created_at",
        "revoked_at",
    }


# creating


def test_admin_creates_a_key_over_the_api_and_it_works(client: TestClient, admin: Headers) -> None:
    made = new_key(client, admin, role="manager", name="ops")
    assert client.get(f"{API}/reps", headers=bearer(made["token"])).status_code == 200


def test_a_created_key_answers_with_its_id_role_and_token(
    client: TestClient, admin: Headers
) -> None:
    made = new_key(client, admin, role="rep", name="alice's phone", rep_id="alice")
    assert (made["role"], made["rep_id"], made["revoked_at"]) == ("rep", "alice", None)
    assert made["token"].startswith(f"lf_{made['prefix']}_")
    assert made["id"] in [k["id"] for k in client.get(f"{API}/keys", headers=admin).json()]


def test_creating_a_key_is_audited_with_the_admin_who_made_it(
    client: TestClient, admin: Headers, services: Services
) -> None:
    new_key(client, admin, name="ops")
    assert [(r.actor, r.target) for r in audit(services, "apikey.created")][-1] == (
        "admin-key",
        "ops",
    )


def test_creating_a_key_with_an_unknown_role_is_422_naming_the_role(
    client: TestClient, admin: Headers
) -> None:
    answer = client.post(f"{API}/keys", json={"role": "root", "name": "x"}, headers=admin)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["role"]


def test_creating_a_rep_key_without_a_rep_is_422_naming_rep_id(
    client: TestClient, admin: Headers
) -> None:
    answer = client.post(f"{API}/keys", json={"role": "rep", "name": "x"}, headers=admin)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["rep_id"]


def test_creating_a_manager_key_for_a_rep_is_422_naming_rep_id(
    client: TestClient, admin: Headers
) -> None:
    body = {"role": "manager", "name": "x", "rep_id": "alice"}
    answer = client.post(f"{API}/keys", json=body, headers=admin)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["rep_id"]


def test_creating_a_key_without_a_name_is_422_naming_the_name(
    client: TestClient, admin: Headers
) -> None:
    answer = client.post(f"{API}/keys", json={"role": "admin"}, headers=admin)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["name"]


# revoking


def test_a_revoked_key_gets_401_at_once_in_this_process(client: TestClient, admin: Headers) -> None:
    made = new_key(client, admin)
    assert client.get(f"{API}/reps", headers=bearer(made["token"])).status_code == 200  # trusted
    assert client.delete(f"{API}/keys/{made['id']}", headers=admin).status_code == 200
    assert client.get(f"{API}/reps", headers=bearer(made["token"])).status_code == 401


def test_revoking_answers_with_the_key_and_when_it_was_revoked(
    client: TestClient, admin: Headers, clock: FixedClock
) -> None:
    made = new_key(client, admin)
    revoked = client.delete(f"{API}/keys/{made['id']}", headers=admin).json()
    assert (revoked["id"], revoked["name"]) == (made["id"], "ops")
    assert revoked["revoked_at"] == clock.now.isoformat().replace("+00:00", "Z")


def test_a_revoked_key_is_still_listed_as_revoked(client: TestClient, admin: Headers) -> None:
    made = new_key(client, admin)
    client.delete(f"{API}/keys/{made['id']}", headers=admin)
    listed = {k["id"]: k for k in client.get(f"{API}/keys", headers=admin).json()}
    assert listed[made["id"]]["revoked_at"] is not None


def test_revoking_twice_keeps_the_first_time(
    client: TestClient, admin: Headers, clock: FixedClock
) -> None:
    made = new_key(client, admin)
    first = client.delete(f"{API}/keys/{made['id']}", headers=admin).json()
    clock.advance(minutes=5)
    again = client.delete(f"{API}/keys/{made['id']}", headers=admin)
    assert again.status_code == 200
    assert again.json()["revoked_at"] == first["revoked_at"]


def test_revoking_writes_an_audit_row_with_the_admin_who_did_it(
    client: TestClient, admin: Headers, services: Services, clock: FixedClock
) -> None:
    made = new_key(client, admin, name="ops")
    client.delete(f"{API}/keys/{made['id']}", headers=admin)
    [row] = audit(services, "apikey.revoked")
    assert (row.actor, row.target, row.at) == ("admin-key", "ops", clock.now)
    assert row.data["id"] == made["id"]


def test_revoking_twice_writes_one_audit_row(
    client: TestClient, admin: Headers, services: Services
) -> None:
    made = new_key(client, admin)
    for _ in range(2):
        client.delete(f"{API}/keys/{made['id']}", headers=admin)
    assert len(audit(services, "apikey.revoked")) == 1


def test_revoking_an_unknown_id_is_404(client: TestClient, admin: Headers) -> None:
    answer = client.delete(f"{API}/keys/4242", headers=admin)
    assert answer.status_code == 404
    assert answer.json()["error"]["type"] == "not_found"


@pytest.mark.parametrize("key_id", ["0", str(2**31), "abc"])
def test_revoking_an_id_outside_the_row_ids_is_422(
    client: TestClient, admin: Headers, key_id: str
) -> None:
    answer = client.delete(f"{API}/keys/{key_id}", headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "key_id"


def test_an_admin_may_revoke_its_own_key_and_is_refused_after(
    client: TestClient, admin: Headers
) -> None:
    own = client.get(f"{API}/keys", headers=admin).json()[0]["id"]
    assert client.delete(f"{API}/keys/{own}", headers=admin).status_code == 200
    assert client.get(f"{API}/keys", headers=admin).status_code == 401


# who may


@pytest.mark.parametrize("role", ["intake", "rep", "manager"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/keys", None),
        ("POST", "/keys", {"role": "admin", "name": "x"}),
        ("DELETE", "/keys/1", None),
    ],
)
def test_a_non_admin_gets_403_on_each_keys_endpoint(
    client: TestClient,
    make_key: MakeKey,
    role: str,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    headers = make_key(role, "alice" if role == "rep" else None)
    answer = client.request(method, f"{API}{path}", json=body, headers=headers)
    assert answer.status_code == 403


def test_the_keys_endpoints_need_a_key(client: TestClient) -> None:
    assert client.get(f"{API}/keys").status_code == 401


def test_a_non_admin_is_refused_before_any_key_is_made(
    client: TestClient, admin: Headers, make_key: MakeKey
) -> None:
    body = {"role": "admin", "name": "escalated"}
    client.post(f"{API}/keys", json=body, headers=make_key("manager"))
    names = [k["name"] for k in client.get(f"{API}/keys", headers=admin).json()]
    assert "escalated" not in names


# the key cache: one per Services, trusted for KEY_TTL


def test_a_key_revoked_by_another_process_is_refused_here_within_the_key_ttl(
    client: TestClient, services: Services, settings: Settings, admin: Headers
) -> None:
    ticking = Ticking()
    services.keys.monotonic = ticking
    made = new_key(client, admin)
    headers = bearer(made["token"])
    assert client.get(f"{API}/reps", headers=headers).status_code == 200  # now trusted here
    elsewhere = Services.build(settings)  # another process: its own cache
    try:
        revoke_key(elsewhere, made["id"], by="ops")
    finally:
        elsewhere.store.close()
    ticking.now += KEY_TTL - 1
    assert client.get(f"{API}/reps", headers=headers).status_code == 200  # not heard of it yet
    ticking.now += 1
    assert client.get(f"{API}/reps", headers=headers).status_code == 401


def test_two_services_in_one_process_keep_their_own_key_cache(settings: Settings) -> None:
    one, other = Services.build(settings), Services.build(settings)
    try:
        assert one.keys is not other.keys
    finally:
        one.store.close()
        other.store.close()


def test_a_key_verified_while_it_was_being_revoked_is_not_remembered() -> None:
    cache = KeyCache()
    token = "lf_abc123_secret"
    before = cache.generation  # the lookup begins: the key is still valid in the database
    cache.forget("abc123")  # meanwhile, it is revoked
    cache.remember(token, Actor("ops", "manager"), before)
    assert cache.get(token) is None


def test_forgetting_a_key_keeps_the_others() -> None:
    cache = KeyCache()
    cache.remember("lf_aaa_one", Actor("a", "admin"), cache.generation)
    cache.remember("lf_bbb_two", Actor("b", "admin"), cache.generation)
    cache.forget("aaa")
    assert (cache.get("lf_aaa_one"), cache.get("lf_bbb_two")) == (None, Actor("b", "admin"))


def test_a_key_made_outside_the_api_is_listed_with_the_id_and_prefix_it_was_made_with(
    client: TestClient, admin: Headers, services: Services
) -> None:
    made = create_key(services, "intake", "website")
    listed = client.get(f"{API}/keys", headers=admin).json()
    assert listed[-1]["id"] == made.id and listed[-1]["prefix"] == made.prefix
