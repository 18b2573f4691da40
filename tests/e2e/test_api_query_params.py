"""A query parameter a route does not take is a 422 naming it, on every route that reads some.

Only the doors leads come in by (`POST /leads`, `/intake/{source}`) let unknown parameters by:
a form or a vendor may add its own (`?utm_source=`), and a lead must not be refused for it.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from leadflow.api.params import known_query_only

API = "/api/v1"
Headers = dict[str, str]
LEAD_DOORS = {("POST", f"{API}/leads"), ("POST", f"{API}/intake/{{source}}")}
# Reports check their parameters themselves, answering `invalid` with `field` (as they did
# before this check was shared; their clients read that shape): test_api_reports.py.
OWN_CHECK = (f"{API}/reports/",)


@pytest.mark.parametrize(
    ("path", "typo"),
    [
        ("/reps", "active"),
        ("/jobs", "stat"),
        ("/accounts", "afer"),
        ("/accounts/reviews", "state"),
        ("/keys", "role"),
        ("/policy/versions", "limit"),
    ],
)
def test_a_list_route_refuses_a_parameter_it_does_not_take_naming_it(
    client: TestClient, admin: Headers, policy: int, path: str, typo: str
) -> None:
    joiner = "&" if "?" in path else "?"
    answer = client.get(f"{API}{path}{joiner}{typo}=x", headers=admin)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["type"] == "validation"
    assert [(f["field"], f["in"]) for f in error["fields"]] == [(typo, "query")]


def test_the_parameters_a_route_takes_are_still_taken(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = client.get(f"{API}/jobs?state=dead&limit=5", headers=admin)
    assert answer.status_code == 200, answer.text


def test_a_route_that_takes_none_says_so(client: TestClient, admin: Headers, policy: int) -> None:
    answer = client.get(f"{API}/reps?active=false", headers=admin)
    assert "takes none" in answer.json()["error"]["fields"][0]["message"]


def test_a_lead_posted_with_a_parameter_of_its_form_s_own_is_taken_in(
    client: TestClient, admin: Headers, policy: int
) -> None:
    body = {"email": "jane@acme.example"}
    answer = client.post(f"{API}/leads?utm_source=ads", json=body, headers=admin)
    assert answer.status_code == 201, answer.text


def test_every_api_route_but_the_lead_doors_refuses_unknown_parameters(app: FastAPI) -> None:
    lax = [
        (method, route.path)
        for route in app.routes
        if isinstance(route, APIRoute) and route.path.startswith(API)
        for method in route.methods
        if (method, route.path) not in LEAD_DOORS
        and not route.path.startswith(OWN_CHECK)
        and not route.path.startswith((f"{API}/healthz", f"{API}/readyz", f"{API}/metrics"))
        and known_query_only not in [d.call for d in route.dependant.dependencies]
    ]
    assert lax == []


@pytest.mark.parametrize("path", ["/reps?active=x", "/leads?sorce=web", "/policy/versions?x=1"])
def test_without_a_key_a_request_is_a_401_whatever_its_query(
    client: TestClient, policy: int, path: str
) -> None:
    answer = client.get(f"{API}{path}")
    assert answer.status_code == 401, answer.text


@pytest.mark.parametrize("last", ["²d", "9" * 5000 + "d", "0d", "7w"])
def test_a_window_that_is_not_a_number_of_days_is_a_422_naming_last(
    client: TestClient, admin: Headers, policy: int, last: str
) -> None:
    answer = client.post(f"{API}/policy/dry-run", params={"last": last}, headers=admin)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"].get("field") == "last"
