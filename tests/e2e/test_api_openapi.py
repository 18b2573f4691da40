"""The OpenAPI document tells the truth about keys, and /docs and /redoc need no CDN.

Each operation the document lists is called without a key: it answers 401 exactly when the
document says it needs one (`security`), so Swagger UI's Authorize button covers every route
that needs it and no route that does not. The pages themselves are checked in a browser, with
every outside request blocked, in test_api_docs_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from leadflow.api.app import create_app
from leadflow.settings import Settings

API = "/api/v1"
SCHEMES = [{"bearerKey": []}, {"apiKeyHeader": []}]


@pytest.fixture(scope="module")
def unstarted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app, not started: no key is ever checked against the database here."""
    database = tmp_path_factory.mktemp("openapi") / "leadflow.sqlite"
    yield TestClient(create_app(Settings(database_url=f"sqlite:///{database}")))


@pytest.fixture(scope="module")
def document(unstarted: TestClient) -> dict[str, Any]:
    answer = unstarted.get(f"{API}/openapi.json")
    assert answer.status_code == 200
    found: dict[str, Any] = answer.json()
    return found


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    ]


def test_the_document_declares_the_bearer_key_scheme(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearerKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


def test_the_document_declares_the_x_api_key_header_scheme(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["apiKeyHeader"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")


def test_a_route_behind_a_key_accepts_either_scheme(document: dict[str, Any]) -> None:
    wrong = [
        f"{method} {path}: {op['security']}"
        for method, path, op in operations(document)
        if "security" in op and op["security"] != SCHEMES
    ]
    assert wrong == []


def test_the_key_headers_are_schemes_not_parameters(document: dict[str, Any]) -> None:
    """Swagger UI fills them from Authorize; as parameters each form would ask for them."""
    named = [
        f"{method} {path}: {p['name']}"
        for method, path, op in operations(document)
        for p in op.get("parameters", [])
        if p["in"] == "header" and p["name"].lower() in ("authorization", "x-api-key")
    ]
    assert named == []


def test_a_route_answers_401_without_a_key_exactly_when_the_document_says_it_needs_one(
    unstarted: TestClient, document: dict[str, Any]
) -> None:
    told_wrong = []
    for method, path, op in operations(document):
        url = re.sub(r"\{[^}]+\}", "1", path)
        answer = unstarted.request(method, url)
        if (answer.status_code == 401) != ("security" in op):
            told_wrong.append(f"{method} {path}: {answer.status_code}, security={'security' in op}")
    assert told_wrong == []
    assert len(operations(document)) > 30  # the walk did walk


def test_the_401_without_a_key_keeps_the_api_error_shape(unstarted: TestClient) -> None:
    answer = unstarted.get(f"{API}/reps")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert answer.json() == {
        "error": {
            "type": "unauthorized",
            "message": "an API key is required: Authorization: Bearer <key>",
        }
    }


def test_a_bearer_of_another_scheme_is_no_key(unstarted: TestClient) -> None:
    answer = unstarted.get(f"{API}/reps", headers={"Authorization": "Basic YWxpY2U6c2VjcmV0"})
    assert answer.json()["error"]["message"].startswith("an API key is required")


@pytest.mark.parametrize(
    "path,script",
    [
        ("/docs", "/static/vendor/swagger-ui-bundle.js"),
        ("/redoc", "/static/vendor/redoc.standalone.js"),
    ],
)
def test_the_docs_pages_load_their_program_from_the_package(
    unstarted: TestClient, path: str, script: str
) -> None:
    page = unstarted.get(path)
    assert page.status_code == 200
    assert f'src="{script}"' in page.text
    assert unstarted.get(script).status_code == 200


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_name_no_other_host(unstarted: TestClient, path: str) -> None:
    page = unstarted.get(path).text
    assert re.findall(r"(?:https?:)?//[\w.-]+", page) == []


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_the_docs_pages_forbid_the_browser_any_other_host(unstarted: TestClient, path: str) -> None:
    """ReDoc draws Redocly's logo from a CDN: the page's CSP stops it before it is asked."""
    policy = unstarted.get(path).headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert "http" not in policy
