"""What the API says when it refuses: words a person reads, naming what to do."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from leadflow.grammar import a

API = "/api/v1"
MakeKey = Callable[..., dict[str, str]]


@pytest.mark.parametrize(
    ("word", "said"),
    [("admin", "an admin"), ("intake", "an intake"), ("email", "an email"), ("rep", "a rep")],
)
def test_a_word_takes_the_article_it_is_said_with(word: str, said: str) -> None:
    assert a(word) == said


def test_a_refused_role_is_named_with_its_article(client: TestClient, make_key: MakeKey) -> None:
    answer = client.get(f"{API}/jobs", headers=make_key("intake"))
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == "an intake key may not GET /api/v1/jobs"


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_without_its_content_type_is_told_to_send_one(
    client: TestClient, admin: dict[str, str], policy: int, content_type: str | None
) -> None:
    headers = dict(admin)
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = json.dumps({"email": "a@example.com"}).encode()
    answer = client.post(f"{API}/leads", content=body, headers=headers)
    assert answer.status_code == 415, answer.text
    error = answer.json()["error"]
    assert error["type"] == "unsupported_media_type"
    assert "send Content-Type: application/json" in error["message"]
    assert (content_type or "without a Content-Type") in error["message"]
    listed = client.get(f"{API}/leads", headers=admin).json()
    assert listed["items"] == []


def test_a_json_body_that_is_not_an_object_is_still_a_validation_error(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    answer = client.post(f"{API}/leads", json=["a@example.com"], headers=admin)
    assert answer.status_code == 422
    assert answer.json()["error"]["type"] == "validation"


def test_an_unknown_body_field_is_named_with_the_fields_there_are(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    answer = client.patch(f"{API}/reps/alice", json={"presense": "away"}, headers=admin)
    assert answer.status_code == 422
    (entry,) = answer.json()["error"]["fields"]
    assert entry["field"] == "presense"
    assert entry["message"].startswith("not a field here: did you mean 'presence'? expected one of")
    assert "active, caps, presence" in entry["message"]


def test_an_unknown_nested_field_is_named_with_the_fields_of_its_part(
    client: TestClient, admin: dict[str, str], policy: int
) -> None:
    answer = client.patch(f"{API}/reps/alice", json={"caps": {"per_dya": 3}}, headers=admin)
    assert answer.status_code == 422
    (entry,) = answer.json()["error"]["fields"]
    assert entry["field"] == "caps.per_dya"
    expected = "not a field here: did you mean 'per_day'? expected one of open, per_day, per_week"
    assert entry["message"] == expected
