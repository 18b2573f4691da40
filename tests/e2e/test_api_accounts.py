"""The accounts API: keep the accounts leads are matched to, import them, settle weak matches.

Each test runs on SQLite and on PostgreSQL (see conftest). The policy is conftest's `POLICY`
(alice, bob and chen in a round robin), or `ACCOUNT_POLICY`: the same with a first rule that
sends a lead to its account's owner, and thresholds that put anything short of certain up for
review.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from shared_policy import POLICY

from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM

API = "/api/v1"
Headers = dict[str, str]
Post = Callable[..., dict[str, Any]]

ACCOUNT_POLICY = POLICY.replace(
    "rules:\n",
    "accounts: {accept: 0.99, review: 0.5}\n"
    "rules:\n"
    "  - name: account-owner\n"
    "    when: {account.owner: {exists: true}}\n"
    "    assign: account_owner\n",
)

ACME = {"id": "acme", "name": "Acme Corporation", "domains": ["acme.com"], "owner": "chen"}


@pytest.fixture
def account_policy(client: TestClient, services: Services, policy: int) -> int:
    """ACCOUNT_POLICY published over conftest's policy; its version."""
    return publish_policy(services, ACCOUNT_POLICY, SYSTEM).version.version


def create(client: TestClient, headers: Headers, **account: Any) -> Any:
    return client.post(f"{API}/accounts", json=account, headers=headers)


def lead(client: TestClient, headers: Headers, lead_id: str) -> dict[str, Any]:
    answer = client.get(f"{API}/leads/{lead_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


# one account at a time


def test_a_new_account_is_created_with_201(client: TestClient, admin: Headers) -> None:
    answer = create(client, admin, **ACME)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["id"], answer.json()["domains"]) == ("acme", ["acme.com"])


def test_posting_an_account_with_a_known_id_updates_it_with_200(
    client: TestClient, admin: Headers
) -> None:
    create(client, admin, **ACME)
    answer = create(client, admin, **{**ACME, "owner": "bob"})
    assert answer.status_code == 200, answer.text
    assert client.get(f"{API}/accounts/acme", headers=admin).json()["owner"] == "bob"


def test_a_domain_is_folded_to_its_registrable_domain(client: TestClient, admin: Headers) -> None:
    answer = create(client, admin, **{**ACME, "domains": ["https://EU.Acme.com/contact"]})
    assert answer.json()["domains"] == ["acme.com"]


def test_a_value_that_is_not_a_domain_is_a_422_naming_domains(
    client: TestClient, admin: Headers
) -> None:
    answer = create(client, admin, **{**ACME, "domains": ["not a domain"]})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "domains"


def test_an_unknown_country_is_a_422_naming_country(client: TestClient, admin: Headers) -> None:
    answer = create(client, admin, **{**ACME, "country": "Atlantis"})
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "country"


def test_a_country_by_name_is_kept_as_its_code(client: TestClient, admin: Headers) -> None:
    assert create(client, admin, **{**ACME, "country": "Germany"}).json()["country"] == "DE"


def test_accounts_are_listed_by_id_a_page_at_a_time(client: TestClient, admin: Headers) -> None:
    for name in ("Cyberdyne", "Aperture", "Blue Sun"):
        create(client, admin, name=name)
    first = client.get(f"{API}/accounts", params={"limit": 2}, headers=admin).json()
    rest = client.get(
        f"{API}/accounts", params={"limit": 2, "after": first["next_cursor"]}, headers=admin
    ).json()
    assert [a["id"] for a in first["items"]] == ["aperture", "blue-sun"]
    assert ([a["id"] for a in rest["items"]], rest["next_cursor"]) == (["cyberdyne"], None)


def test_a_deleted_account_is_gone(client: TestClient, admin: Headers) -> None:
    create(client, admin, **ACME)
    assert client.delete(f"{API}/accounts/acme", headers=admin).status_code == 204
    assert client.get(f"{API}/accounts/acme", headers=admin).status_code == 404


def test_deleting_an_unknown_account_is_a_404(client: TestClient, admin: Headers) -> None:
    assert client.delete(f"{API}/accounts/nobody", headers=admin).status_code == 404


def test_a_rep_key_cannot_create_accounts(
    client: TestClient, make_key: Callable[..., Headers]
) -> None:
    assert create(client, make_key("rep", "alice"), **ACME).status_code == 403


def test_a_rep_key_may_read_accounts(
    client: TestClient, admin: Headers, make_key: Callable[..., Headers]
) -> None:
    create(client, admin, **ACME)
    answer = client.get(f"{API}/accounts/acme", headers=make_key("rep", "alice"))
    assert answer.status_code == 200


# import

ACCOUNTS_CSV = """\
id,name,domains,owner,country
initech,Initech,initech.com,chen,US
umbrella,Umbrella Corporation,umbrella.com,dana,Atlantis
hooli,Hooli,hooli.com,alice,United States
"""


def test_an_imported_csv_creates_its_accounts_and_refuses_a_bad_row_with_its_line(
    client: TestClient, admin: Headers
) -> None:
    answer = client.post(f"{API}/accounts/import", content=ACCOUNTS_CSV, headers=admin)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rows"], body["created"], body["failed"]) == (3, 2, 1)
    assert body["errors"] == [{"line": 3, "reason": "country: unknown country 'Atlantis'"}]
    listed = client.get(f"{API}/accounts", headers=admin).json()["items"]
    assert [(a["id"], a["country"]) for a in listed] == [("hooli", "US"), ("initech", "US")]


def test_accounts_come_as_a_multipart_upload_too(client: TestClient, admin: Headers) -> None:
    files = {"file": ("accounts.csv", ACCOUNTS_CSV.encode(), "text/csv")}
    answer = client.post(f"{API}/accounts/import", files=files, headers=admin)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["rows"], answer.json()["created"]) == (3, 2)


def test_importing_the_same_accounts_again_updates_them(client: TestClient, admin: Headers) -> None:
    client.post(f"{API}/accounts/import", content=ACCOUNTS_CSV, headers=admin)
    again = client.post(f"{API}/accounts/import", content=ACCOUNTS_CSV, headers=admin).json()
    assert (again["created"], again["updated"]) == (0, 2)


def test_a_rep_key_cannot_import_accounts(
    client: TestClient, make_key: Callable[..., Headers]
) -> None:
    answer = client.post(
        f"{API}/accounts/import", content=ACCOUNTS_CSV, headers=make_key("rep", "alice")
    )
    assert answer.status_code == 403


# leads matched to accounts


def test_a_lead_from_an_accounts_domain_gets_the_account_in_its_fields(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    create(client, admin, **ACME)
    routed = post_lead(email="wile@acme.com")
    found = lead(client, admin, routed["id"])
    assert found["account_id"] == "acme"
    assert found["fields"]["account"] == {"id": "acme", "name": "Acme Corporation", "owner": "chen"}


def test_without_an_account_rule_a_matched_lead_is_routed_as_any_other(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    create(client, admin, **ACME)
    assert post_lead(email="wile@acme.com")["owner"] == "alice"


def test_an_account_owner_rule_sends_the_lead_to_the_accounts_owner(
    client: TestClient, admin: Headers, account_policy: int
) -> None:
    create(client, admin, **ACME)
    answer = client.post(f"{API}/leads", json={"email": "wile@acme.com"}, headers=admin)
    assert (answer.json()["owner"], answer.json()["rule"]) == ("chen", "account-owner")


def test_an_account_created_after_a_lead_is_matched_by_the_next_lead(
    client: TestClient, admin: Headers, account_policy: int
) -> None:
    client.post(f"{API}/leads", json={"email": "wile@acme.com"}, headers=admin)
    create(client, admin, **ACME)
    answer = client.post(f"{API}/leads", json={"email": "road@acme.com"}, headers=admin)
    assert answer.json()["owner"] == "chen"


# weak matches, for a person to settle

GLOBEX = {"id": "globex", "name": "Globex Corporation", "domains": ["globex.com"], "owner": "dana"}
NEAR = {"email": "hank@gmail.com", "company": "Globexx Corporation"}  # a typo, a free mailbox


def weak_match(client: TestClient, admin: Headers) -> tuple[str, dict[str, Any]]:
    """A lead whose company is close to Globex's name; its id and its open review."""
    create(client, admin, **GLOBEX)
    routed = client.post(f"{API}/leads", json=NEAR, headers=admin).json()
    reviews = client.get(f"{API}/accounts/reviews", headers=admin).json()
    (review,) = reviews
    return routed["id"], review


def test_a_weak_match_opens_a_review_for_that_lead_and_account(
    client: TestClient, admin: Headers, account_policy: int
) -> None:
    lead_id, review = weak_match(client, admin)
    assert (review["lead_id"], review["account_id"], review["status"]) == (
        lead_id,
        "globex",
        "open",
    )
    assert review["reasons"][0].startswith("name_fuzzy")


def test_a_weak_match_leaves_the_leads_account_fields_empty(
    client: TestClient, admin: Headers, account_policy: int
) -> None:
    lead_id, _ = weak_match(client, admin)
    found = lead(client, admin, lead_id)
    assert (found["account_id"], "account" in found["fields"]) == (None, False)


def test_accepting_a_review_fills_the_leads_account_fields(
    client: TestClient, admin: Headers, account_policy: int
) -> None:
    lead_id, review = weak_match(client, admin)
    answer = client.post(
        f"{API}/accounts/reviews/{review['id']}", json={"accept": True}, headers=admin
    )
    assert answer.status_code == 200, answer.text
    found = lead(client, admin, lead_id)
    assert found["account_id"] == "globex"
    assert found["fields"]["account"]["owner"] == "dana"


def test_an_accepted_review_leaves_the_open_list(
    client: TestClient, admin: Headers, account_policy: int
) -> None:
    _, review = weak_match(client, admin)
    client.post(f"{API}/accounts/reviews/{review['id']}", json={"accept": True}, headers=admin)
    assert client.get(f"{API}/accounts/reviews", headers=admin).json() == []


def test_rejecting_a_review_leaves_the_lead_without_an_account(
    client: TestClient, admin: Headers, account_policy: int
) -> None:
    lead_id, review = weak_match(client, admin)
    answer = client.post(
        f"{API}/accounts/reviews/{review['id']}", json={"accept": False}, headers=admin
    )
    assert answer.json()["status"] == "rejected"
    assert lead(client, admin, lead_id)["account_id"] is None


def test_settling_a_review_twice_is_a_409(
    client: TestClient, admin: Headers, account_policy: int
) -> None:
    _, review = weak_match(client, admin)
    path = f"{API}/accounts/reviews/{review['id']}"
    client.post(path, json={"accept": True}, headers=admin)
    again = client.post(path, json={"accept": False}, headers=admin)
    assert again.status_code == 409
    assert again.json()["error"]["status"] == "accepted"


def test_a_rep_key_cannot_settle_a_review(
    client: TestClient, admin: Headers, make_key: Callable[..., Headers], account_policy: int
) -> None:
    _, review = weak_match(client, admin)
    answer = client.post(
        f"{API}/accounts/reviews/{review['id']}",
        json={"accept": True},
        headers=make_key("rep", "dana"),
    )
    assert answer.status_code == 403
