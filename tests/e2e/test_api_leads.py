"""The leads API over HTTP: intake answers with the owner, retries replay, leads read back whole.

Each test runs on SQLite and on PostgreSQL (see conftest). The policy is conftest's `POLICY`:
a round robin of alice, bob and chen for everybody, dana for companies of 1000 or more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

API = "/api/v1"
Post = Callable[..., dict[str, Any]]
Headers = dict[str, str]


def leads(client: TestClient, headers: Headers, **params: Any) -> list[dict[str, Any]]:
    answer = client.get(f"{API}/leads", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def event(client: TestClient, headers: Headers, lead_id: str, type_: str) -> Any:
    return client.post(f"{API}/leads/{lead_id}/events", json={"type": type_}, headers=headers)


# intake


def test_a_posted_lead_is_answered_201_with_its_owner(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = client.post(f"{API}/leads", json={"email": "jane@acme.example"}, headers=admin)
    assert answer.status_code == 201
    body = answer.json()
    assert (body["status"], body["owner"], body["pool"]) == ("assigned", "alice", "general")
    assert body["id"] and body["decision_id"] is not None


def test_a_lead_that_matches_a_rule_is_answered_with_the_rule(post_lead: Post) -> None:
    routed = post_lead(employees=5000)
    assert (routed["owner"], routed["pool"], routed["rule"]) == ("dana", "enterprise", "enterprise")


def test_a_rule_on_the_source_matches_a_posted_lead_as_it_does_in_a_simulation(
    client: TestClient, admin: Headers, services: Any
) -> None:
    from shared_policy import POLICY

    from leadflow.service.policies import publish_policy
    from leadflow.service.routing import SYSTEM

    by_source = POLICY.replace(
        "rules:\n",
        "rules:\n  - name: webinars\n    when: {source: webinar}\n    route: enterprise\n",
    )
    publish_policy(services, by_source, SYSTEM)
    body = {"email": "jane@acme.example", "source": "webinar"}
    routed = client.post(f"{API}/leads", json=body, headers=admin).json()
    assert (routed["rule"], routed["owner"]) == ("webinars", "dana")
    other = {"email": "joe@acme.example", "source": "website"}
    assert client.post(f"{API}/leads", json=other, headers=admin).json()["rule"] is None


def test_a_retry_with_the_same_idempotency_key_returns_200_and_the_first_answer(
    client: TestClient, admin: Headers, policy: int
) -> None:
    headers = {**admin, "Idempotency-Key": "k-1"}
    first = client.post(f"{API}/leads", json={"email": "a@example.com"}, headers=headers)
    retry = client.post(f"{API}/leads", json={"email": "a@example.com"}, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()


def test_a_retry_with_the_same_idempotency_key_routes_nothing_again(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    headers = {**admin, "Idempotency-Key": "k-1"}
    for _ in range(3):
        client.post(f"{API}/leads", json={"email": "a@example.com"}, headers=headers)
    assert len(leads(client, admin)) == 1
    assert post_lead()["owner"] == "bob"  # the rotation moved once, not three times


def test_a_retry_with_the_same_external_id_returns_200_and_the_first_answer(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    first = post_lead(external_id="form-1")
    retry = client.post(
        f"{API}/leads", json={"email": "x@example.com", "external_id": "form-1"}, headers=admin
    )
    assert retry.status_code == 200
    assert retry.json() == first
    assert len(leads(client, admin)) == 1


def test_a_field_of_the_wrong_type_is_a_422_naming_it(
    client: TestClient, admin: Headers, policy: int
) -> None:
    body = {"email": "a@example.com", "employees": "many"}
    answer = client.post(f"{API}/leads", json=body, headers=admin)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["type"] == "validation"
    assert [f["field"] for f in error["fields"]] == ["employees"]


def test_a_lead_without_email_or_phone_is_a_422_naming_both(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = client.post(f"{API}/leads", json={"first_name": "Jane"}, headers=admin)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["email", "phone"]


def test_a_lead_with_no_usable_email_or_phone_is_answered_as_unreachable_junk(
    post_lead: Post,
) -> None:
    routed = post_lead(email="not-an-email", country="US")
    assert (routed["status"], routed["owner"], routed["reason"]) == (
        "junk",
        None,
        "unreachable: no valid email or phone",
    )


def test_an_unreachable_lead_is_kept_with_its_reason_in_its_timeline(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    routed = post_lead(email="not-an-email", country="US")
    lead = client.get(f"{API}/leads/{routed['id']}", headers=admin).json()
    assert lead["junk_reason"] == "unreachable: no valid email or phone"
    junk = [e["data"] for e in lead["timeline"] if e["type"] == "junk"]
    assert junk == [{"reason": "unreachable: no valid email or phone"}]


def test_unreachable_leads_are_counted_in_the_reports_junk_by_reason(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    post_lead(email="not-an-email", country="US")
    week = {"from": "2026-11-23", "to": "2026-11-29", "tz": "America/New_York"}
    summary = client.get(f"{API}/reports/summary", params=week, headers=admin).json()
    assert summary["overall"]["junk_reasons"] == {"unreachable": 1}


def test_a_nested_field_is_named_by_its_dotted_path(
    client: TestClient, admin: Headers, policy: int
) -> None:
    body = {"email": "a@example.com", "received_at": "2026-11-23T10:00:00"}  # no time zone
    answer = client.post(f"{API}/leads", json=body, headers=admin)
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["received_at"]


def test_a_body_over_256_kib_is_refused_with_413(
    client: TestClient, admin: Headers, policy: int
) -> None:
    body = {"email": "a@example.com", "notes": "x" * 300 * 1024}
    answer = client.post(f"{API}/leads", json=body, headers=admin)
    assert answer.status_code == 413
    assert answer.json()["error"]["type"] == "too_large"
    assert leads(client, admin) == []


def test_a_chunked_body_over_256_kib_is_refused_with_413(
    client: TestClient, admin: Headers, policy: int
) -> None:
    def chunks() -> Iterator[bytes]:  # sent without a Content-Length
        yield b'{"email": "a@example.com", "notes": "'
        for _ in range(300):
            yield b"x" * 1024
        yield b'"}'

    headers = {**admin, "Content-Type": "application/json"}
    answer = client.post(f"{API}/leads", content=chunks(), headers=headers)
    assert answer.status_code == 413


def test_the_payload_is_kept_as_received_and_custom_fields_join_the_fields(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    sent = {
        "email": "a@example.com",
        "employees": "250",
        "source": "webinar",
        "segment": "smb",
        "custom": {"campaign": "fall"},
    }
    routed = post_lead(**sent)
    lead = client.get(f"{API}/leads/{routed['id']}", headers=admin).json()
    assert lead["payload"] == sent
    assert lead["fields"] == {
        "email": "a@example.com",
        "employees": 250,
        "segment": "smb",
        "source": "webinar",  # rules read it, as in a simulation
        "campaign": "fall",
        "email_domain": "example.com",  # what cleaning adds before routing
        "email_free": False,
        "email_disposable": False,
        "company_domain": "example.com",
    }
    assert lead["source"] == "webinar"


# reading leads


def test_a_lead_read_back_has_its_timeline_and_its_decision(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    routed = post_lead()
    lead = client.get(f"{API}/leads/{routed['id']}", headers=admin).json()
    assert (lead["owner"], lead["status"]) == ("alice", "assigned")
    assert [(e["type"], e["actor"]) for e in lead["timeline"]] == [
        ("received", "admin-key"),
        ("assigned", "leadflow"),
    ]
    assert all(e["at"] for e in lead["timeline"])
    (decision,) = lead["decisions"]
    assert decision["id"] == routed["decision_id"]
    assert decision["record"]["rep"] == "alice"


def test_an_unknown_lead_is_404(client: TestClient, admin: Headers, policy: int) -> None:
    answer = client.get(f"{API}/leads/no-such-lead", headers=admin)
    assert answer.status_code == 404
    assert answer.json()["error"]["type"] == "not_found"


def test_leads_are_listed_by_owner(client: TestClient, admin: Headers, post_lead: Post) -> None:
    ids = [post_lead()["id"] for _ in range(4)]  # alice, bob, chen, alice
    assert [lead["id"] for lead in leads(client, admin, owner="alice")] == [ids[0], ids[3]]


def test_leads_are_listed_by_status(client: TestClient, admin: Headers, post_lead: Post) -> None:
    first, _ = post_lead(), post_lead()
    event(client, admin, first["id"], "accepted")
    assert [lead["id"] for lead in leads(client, admin, status="accepted")] == [first["id"]]


def test_leads_are_listed_by_pool(client: TestClient, admin: Headers, post_lead: Post) -> None:
    post_lead()
    big = post_lead(employees=2000)
    assert [lead["id"] for lead in leads(client, admin, pool="enterprise")] == [big["id"]]


def test_leads_are_listed_by_when_they_were_received(
    client: TestClient, admin: Headers, post_lead: Post, clock: Callable[[], datetime]
) -> None:
    times = [clock() - timedelta(days=d) for d in (3, 2, 1)]
    ids = [post_lead(received_at=t.isoformat())["id"] for t in times]
    since, until = times[1].isoformat(), times[2].isoformat()
    listed = leads(client, admin, received_since=since, received_until=until)
    assert [lead["id"] for lead in listed] == [ids[1]]


def test_leads_are_listed_by_source(client: TestClient, admin: Headers, post_lead: Post) -> None:
    post_lead(source="webinar")
    website = post_lead(source="website")
    post_lead()
    assert [lead["id"] for lead in leads(client, admin, source="website")] == [website["id"]]


def test_leads_are_listed_by_the_rule_that_placed_them(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    post_lead()
    big = post_lead(employees=5000)
    assert [lead["id"] for lead in leads(client, admin, rule="enterprise")] == [big["id"]]


def test_a_search_finds_leads_by_email_name_or_company_whatever_the_case(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    by_email = post_lead(email="jane@ACME.example")
    by_name = post_lead(email="x@example.com", first_name="Ann", last_name="Acme")
    by_company = post_lead(email="y@example.com", company="ACME Corp")
    post_lead(email="z@example.com", company="Globex")
    found = [lead["id"] for lead in leads(client, admin, q="acme")]
    assert found == [by_email["id"], by_name["id"], by_company["id"]]


def test_owner_none_lists_the_leads_nobody_owns(
    client: TestClient, admin: Headers, post_lead: Post, services: Any
) -> None:
    from shared_policy import POLICY

    from leadflow.service.policies import publish_policy
    from leadflow.service.routing import SYSTEM

    post_lead()
    tiny = "rules:\n  - {name: tiny, when: {employees: {lt: 5}}, nurture: tiny}\n"
    publish_policy(services, POLICY.replace("rules:\n", tiny), SYSTEM)
    nurtured = post_lead(employees=2)
    assert [lead["id"] for lead in leads(client, admin, owner="none")] == [nurtured["id"]]


def test_an_unknown_status_is_a_422_naming_status_and_the_statuses(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = client.get(f"{API}/leads", params={"status": "bogus"}, headers=admin)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == "status"
    assert "assigned" in error["message"] and "queued" in error["message"]


def test_an_unknown_query_parameter_is_a_422_naming_it(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = client.get(f"{API}/leads", params={"sorce": "website"}, headers=admin)
    assert answer.status_code == 422
    [field] = answer.json()["error"]["fields"]
    assert (field["field"], field["in"]) == ("sorce", "query")
    assert "source" in field["message"]  # what the route does take


def test_a_day_without_a_zone_is_read_in_the_policy_s_zone_and_the_answer_says_so(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    post_lead(received_at="2026-11-20T04:00:00Z")  # 23:00 on the 19th in New York
    late = post_lead(received_at="2026-11-20T06:00:00Z")  # 01:00 on the 20th there
    answer = client.get(f"{API}/leads", params={"received_since": "2026-11-20"}, headers=admin)
    assert answer.status_code == 200, answer.text
    page = answer.json()
    assert [lead["id"] for lead in page["items"]] == [late["id"]]
    assert page["read_as"] == {
        "timezone": "America/New_York",
        "received_since": "2026-11-20T00:00:00-05:00",
        "received_until": None,
    }


def test_a_time_with_an_offset_is_read_as_given_and_the_answer_reads_nothing_in_a_zone(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    post_lead(received_at="2026-11-20T04:00:00Z")
    params = {"received_since": "2026-11-20T00:00:00+00:00"}
    page = client.get(f"{API}/leads", params=params, headers=admin).json()
    assert (len(page["items"]), page["read_as"]) == (1, None)


def test_a_received_since_that_is_no_time_is_a_422_naming_it(
    client: TestClient, admin: Headers, policy: int
) -> None:
    params = {"received_since": "last tuesday"}
    answer = client.get(f"{API}/leads", params=params, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "received_since"


def test_an_offset_whose_plus_arrived_as_a_space_is_a_422_that_says_how_to_send_it(
    client: TestClient, admin: Headers, policy: int
) -> None:
    url = f"{API}/leads?received_since=2026-11-20T09:00:00+01:00"  # not encoded: + is a space
    answer = client.get(url, headers=admin)
    assert answer.status_code == 422
    assert "%2B" in answer.json()["error"]["fields"][0]["message"]


def test_paging_with_the_cursor_lists_every_lead_once(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    ids = [post_lead()["id"] for _ in range(7)]
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get(f"{API}/leads", params=params, headers=admin).json()
        seen += [lead["id"] for lead in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


def test_a_page_over_500_leads_is_a_422_naming_limit(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = client.get(f"{API}/leads", params={"limit": 501}, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "limit"


def test_a_made_up_cursor_is_a_422(client: TestClient, admin: Headers, policy: int) -> None:
    answer = client.get(f"{API}/leads", params={"cursor": "bm9wZQ"}, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "cursor"


# events


def test_an_event_the_status_allows_moves_the_lead(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    routed = post_lead()
    answer = event(client, admin, routed["id"], "contacted")
    assert answer.status_code == 200
    assert answer.json()["status"] == "contacted"


def test_an_event_is_in_the_timeline_with_its_time_note_and_actor(
    client: TestClient, admin: Headers, post_lead: Post, clock: Callable[[], datetime]
) -> None:
    routed = post_lead()
    at = (clock() + timedelta(minutes=5)).isoformat()
    body = {"type": "contacted", "at": at, "note": "left a voicemail"}
    client.post(f"{API}/leads/{routed['id']}/events", json=body, headers=admin)
    lead = client.get(f"{API}/leads/{routed['id']}", headers=admin).json()
    last = lead["timeline"][-1]
    assert (last["type"], last["actor"], last["data"]["note"]) == (
        "contacted",
        "admin-key",
        "left a voicemail",
    )
    assert last["data"]["at"] == "2026-11-23T15:05:00+00:00"


def test_won_then_contacted_is_a_409_and_changes_nothing(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    routed = post_lead()
    event(client, admin, routed["id"], "won")
    before = client.get(f"{API}/leads/{routed['id']}", headers=admin).json()
    answer = event(client, admin, routed["id"], "contacted")
    assert answer.status_code == 409
    assert answer.json()["error"]["type"] == "conflict"
    assert client.get(f"{API}/leads/{routed['id']}", headers=admin).json() == before


def test_an_unknown_event_type_is_a_422_naming_type(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    answer = event(client, admin, post_lead()["id"], "celebrated")
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["field"] == "type"


def test_a_rejected_lead_is_routed_again_never_to_a_previous_owner(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    routed = post_lead()
    owners = [routed["owner"]]
    for _ in range(2):
        again = event(client, admin, routed["id"], "rejected").json()
        assert again["owner"] not in owners
        owners.append(again["owner"])
    assert sorted(owners) == ["alice", "bob", "chen"]


def test_a_lead_rejected_by_every_member_is_left_to_nobody_of_them(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    routed = post_lead()
    for _ in range(3):
        last = event(client, admin, routed["id"], "rejected").json()
    assert last["owner"] is None
    assert last["status"] != "assigned"


# reassignment


def test_a_manager_reassigns_a_lead_to_a_named_rep(
    client: TestClient, make_key: Callable[..., Headers], post_lead: Post
) -> None:
    routed = post_lead()
    answer = client.post(
        f"{API}/leads/{routed['id']}/reassign", json={"rep": "dana"}, headers=make_key("manager")
    )
    assert answer.status_code == 200
    assert (answer.json()["owner"], answer.json()["status"]) == ("dana", "assigned")


def test_reassigning_through_the_policy_picks_someone_else(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    routed = post_lead()
    answer = client.post(f"{API}/leads/{routed['id']}/reassign", json={}, headers=admin)
    assert answer.status_code == 200
    assert answer.json()["owner"] not in (None, routed["owner"])


def test_reassigning_to_an_unknown_rep_is_a_422_naming_rep(
    client: TestClient, admin: Headers, post_lead: Post
) -> None:
    routed = post_lead()
    answer = client.post(f"{API}/leads/{routed['id']}/reassign", json={"rep": "zed"}, headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "rep"


def test_a_body_that_is_not_json_is_a_422_naming_the_body(
    client: TestClient, admin: Headers, policy: int
) -> None:
    headers = {**admin, "Content-Type": "application/json"}
    answer = client.post(f"{API}/leads", content=b"{not json", headers=headers)
    assert answer.status_code == 422
    assert [f["field"] for f in answer.json()["error"]["fields"]] == ["body"]
