"""Numbers past what the database can hold are a 422 naming the field, never a 500."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

HUGE = 10**20
CURSOR = base64.urlsafe_b64encode(f"seq:{HUGE}".encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", f"/api/v1/leads?cursor={CURSOR}", None, "cursor"),
        ("POST", f"/api/v1/policy/versions/{HUGE}/activate", None, "version"),
        ("POST", f"/api/v1/policy/dry-run?version={HUGE}", {"email": "a@b.example"}, "version"),
        ("PATCH", "/api/v1/reps/alice", {"time_off_remove": [HUGE]}, "time_off_remove.0"),
    ],
)
def test_an_out_of_range_number_is_a_422_naming_its_field(
    client: TestClient, admin: dict[str, str], policy: int, method: str, path: str,
    body: dict[str, object] | None, field: str,
) -> None:  # fmt: skip
    answer = client.request(method, path, json=body, headers=admin)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    named = [f["field"] for f in error.get("fields", [])] or [error.get("field")]
    assert field in named
