"""`POST /api/v1/intake/{source}`: a lead in a form tool's own names, mapped by the policy.

Each test runs on SQLite and on PostgreSQL (see conftest). The policy is conftest's `POLICY`
(alice, bob and chen in a round robin) with an `intake` section for two sources: a form tool
that posts JSON, and Salesforce Web-to-Lead, which posts a form with its custom fields named
by their ids.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from shared_policy import POLICY

from leadflow.service.context import Services
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM

API = "/api/v1"
Headers = dict[str, str]

MAPPED_POLICY = (
    POLICY
    + """\
intake:
  formspark:
    fields:
      Work Email: email
      Organisation: company
      Head count: {to: employees, transform: number}
      Phone (mobile): {to: phone, transform: digits}
  web-to-lead:
    fields:
      00N5e00000Ab1Cd: industry
      00N5e00000Ef2Gh: {to: employees, transform: integer}
  zapier: {}
"""
)

FORM = {
    "Work Email": "mira@orbit.example",
    "Organisation": "Orbit Labs",
    "Head count": "1,500",
    "utm_campaign": "spring-launch",
}

WEB_TO_LEAD = {
    "oid": "00D5e000000XyZa",
    "retURL": "https://orbit.example/thanks",
    "first_name": "Mira",
    "last_name": "Okafor",
    "email": "mira@orbit.example",
    "company": "Orbit Labs",
    "00N5e00000Ab1Cd": "Aerospace",
    "00N5e00000Ef2Gh": "240",
}


@pytest.fixture
def mapped(client: TestClient, services: Services) -> int:
    """MAPPED_POLICY published and active; its version."""
    return publish_policy(services, MAPPED_POLICY, SYSTEM).version.version


def fields_of(client: TestClient, headers: Headers, answer: Any) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    lead = client.get(f"{API}/leads/{answer.json()['id']}", headers=headers)
    result: dict[str, Any] = lead.json()["fields"]
    return result


def test_a_json_body_in_the_form_tools_names_is_mapped_to_lead_fields(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(f"{API}/intake/formspark", json=FORM, headers=admin)
    fields = fields_of(client, admin, answer)
    assert (fields["email"], fields["company"], fields["employees"]) == (
        "mira@orbit.example",
        "Orbit Labs",
        1500,
    )


def test_a_mapped_lead_is_routed_by_its_mapped_fields(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(f"{API}/intake/formspark", json=FORM, headers=admin)
    assert (answer.json()["owner"], answer.json()["rule"]) == ("dana", "enterprise")


def test_a_json_field_the_mapping_does_not_name_lands_under_custom(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(f"{API}/intake/formspark", json=FORM, headers=admin)
    assert fields_of(client, admin, answer)["custom"] == {"utm_campaign": "spring-launch"}


def test_the_body_is_kept_as_the_form_tool_sent_it(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(f"{API}/intake/formspark", json=FORM, headers=admin)
    lead = client.get(f"{API}/leads/{answer.json()['id']}", headers=admin).json()
    assert lead["payload"] == FORM


def test_the_source_is_the_one_in_the_path(client: TestClient, admin: Headers, mapped: int) -> None:
    answer = client.post(f"{API}/intake/formspark", json=FORM, headers=admin)
    lead = client.get(f"{API}/leads/{answer.json()['id']}", headers=admin).json()
    assert lead["source"] == "formspark"


def test_a_web_to_lead_form_post_is_mapped_with_its_custom_field_ids(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(f"{API}/intake/web-to-lead", data=WEB_TO_LEAD, headers=admin)
    fields = fields_of(client, admin, answer)
    assert (fields["first_name"], fields["last_name"], fields["company"]) == (
        "Mira",
        "Okafor",
        "Orbit Labs",
    )
    assert (fields["industry"], fields["employees"]) == ("Aerospace", 240)


def test_web_to_lead_fields_the_mapping_does_not_name_land_under_custom(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(f"{API}/intake/web-to-lead", data=WEB_TO_LEAD, headers=admin)
    assert fields_of(client, admin, answer)["custom"] == {
        "oid": "00D5e000000XyZa",
        "retURL": "https://orbit.example/thanks",
    }


def test_a_source_named_without_fields_takes_fields_by_their_lead_names(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    body = {"Email": "tom@quay.example", "First Name": "Tom", "Favourite colour": "teal"}
    fields = fields_of(client, admin, client.post(f"{API}/intake/zapier", json=body, headers=admin))
    assert (fields["email"], fields["first_name"]) == ("tom@quay.example", "Tom")
    assert fields["custom"] == {"Favourite colour": "teal"}


def test_a_body_without_email_or_phone_after_mapping_is_a_422_naming_email(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    body = {"Email Address": "mira@orbit.example", "Organisation": "Orbit Labs"}  # not mapped
    answer = client.post(f"{API}/intake/formspark", json=body, headers=admin)
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["field"] == "email"
    assert "after the mapping for this source" in error["message"]


def test_a_phone_alone_is_enough_after_mapping(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    body = {"Phone (mobile)": "+1 (415) 555-0142", "Organisation": "Orbit Labs"}
    answer = client.post(f"{API}/intake/formspark", json=body, headers=admin)
    assert answer.status_code == 201, answer.text


def test_a_mapped_lead_with_no_usable_email_or_phone_is_kept_as_unreachable_junk(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    body = {"Work Email": "not-an-email", "Organisation": "Orbit Labs", "country": "US"}
    answer = client.post(f"{API}/intake/formspark", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    assert (answer.json()["status"], answer.json()["reason"]) == (
        "junk",
        "unreachable: no valid email or phone",
    )


UNREADABLE = {
    "kind": "unreadable_value",
    "field": "Head count",
    "value": "lots",
    "transform": "number",
    "to": "employees",
    "reason": "not a number: 'lots'",
}


def test_a_value_its_transform_cannot_read_is_noted_in_the_leads_timeline(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(
        f"{API}/intake/formspark", json={**FORM, "Head count": "lots"}, headers=admin
    )
    lead = client.get(f"{API}/leads/{answer.json()['id']}", headers=admin).json()
    assert "employees" not in lead["fields"]
    assert [e["data"] for e in lead["timeline"] if e["type"] == "quality"] == [UNREADABLE]


def test_a_value_its_transform_cannot_read_is_noted_in_the_decision_record(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(
        f"{API}/intake/formspark", json={**FORM, "Head count": "lots"}, headers=admin
    )
    lead = client.get(f"{API}/leads/{answer.json()['id']}", headers=admin).json()
    assert lead["decisions"][0]["record"]["quality"]["notes"] == [UNREADABLE]


def metric(client: TestClient, line_start: str) -> float:
    """The value of the first sample line of /metrics that starts with `line_start`."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


NOTES = 'leadflow_quality_notes_total{kind="unreadable_value",source="formspark"}'


def test_metrics_count_the_unreadable_values_noted_per_source(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    for n in range(2):
        body = {**FORM, "Work Email": f"m{n}@orbit.example", "Head count": "lots"}
        client.post(f"{API}/intake/formspark", json=body, headers=admin)
    client.post(f"{API}/intake/formspark", json=FORM, headers=admin)
    assert metric(client, NOTES) == 2


def test_a_replayed_retry_adds_no_note_to_the_metrics(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    headers = {**admin, "Idempotency-Key": "formspark-lots"}
    for _ in range(2):
        client.post(f"{API}/intake/formspark", json={**FORM, "Head count": "lots"}, headers=headers)
    assert metric(client, NOTES) == 1


def test_a_body_that_is_not_a_json_object_is_a_422_naming_the_body(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(f"{API}/intake/formspark", json=["not", "an", "object"], headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["field"] == "body"


def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer_with_200(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    headers = {**admin, "Idempotency-Key": "formspark-7731"}
    first = client.post(f"{API}/intake/formspark", json=FORM, headers=headers)
    retry = client.post(f"{API}/intake/formspark", json=FORM, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()


def test_a_retry_with_the_same_idempotency_key_stores_one_lead(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    headers = {**admin, "Idempotency-Key": "formspark-7731"}
    for _ in range(2):
        client.post(f"{API}/intake/formspark", json=FORM, headers=headers)
    assert len(client.get(f"{API}/leads", headers=admin).json()["items"]) == 1


def test_a_rep_key_cannot_post_to_intake(client: TestClient, make_key: Any, mapped: int) -> None:
    answer = client.post(f"{API}/intake/formspark", json=FORM, headers=make_key("rep", "bob"))
    assert answer.status_code == 403


# which sources are taken


def test_a_source_the_policy_does_not_name_is_a_404_naming_the_known_ones(
    client: TestClient, admin: Headers, mapped: int
) -> None:
    answer = client.post(f"{API}/intake/formsprak", json=FORM, headers=admin)  # a typo
    assert answer.status_code == 404, answer.text
    error = answer.json()["error"]
    assert error["field"] == "source"
    assert error["sources"] == ["formspark", "web-to-lead", "zapier"]
    assert "no source 'formsprak'" in error["message"]
    assert "did you mean 'formspark'?" in error["message"]
    assert 'intake: {"*": {}}' in error["message"]
    assert client.get(f"{API}/leads", headers=admin).json()["items"] == []


def test_a_source_a_rule_matches_is_known_without_a_mapping(
    client: TestClient, admin: Headers, services: Services
) -> None:
    rule = "  - {name: events, when: {source: [webinar, expo]}, route: enterprise}\n"
    publish_policy(services, POLICY.replace("rules:\n", "rules:\n" + rule), SYSTEM)
    answer = client.post(f"{API}/intake/expo", json={"email": "ann@expo.example"}, headers=admin)
    assert answer.status_code == 201, answer.text
    assert answer.json()["owner"] == "dana"  # the rule read the source
    refused = client.post(f"{API}/intake/fair", json={"email": "b@c.example"}, headers=admin)
    assert refused.status_code == 404
    assert refused.json()["error"]["sources"] == ["expo", "webinar"]


def test_the_catch_all_mapping_takes_any_source_and_maps_it(
    client: TestClient, admin: Headers, services: Services
) -> None:
    catch_all = MAPPED_POLICY + '  "*":\n    fields:\n      E-mail: email\n'
    publish_policy(services, catch_all, SYSTEM)
    body = {"E-mail": "lou@any.example", "Work Email": "not@this.example"}
    fields = fields_of(
        client, admin, client.post(f"{API}/intake/tradeshow", json=body, headers=admin)
    )
    assert fields["email"] == "lou@any.example"
    own = fields_of(client, admin, client.post(f"{API}/intake/formspark", json=FORM, headers=admin))
    assert own["email"] == "mira@orbit.example"  # a source's own mapping comes first
