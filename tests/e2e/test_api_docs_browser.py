"""/docs and /redoc in Chromium on a machine without internet: every request to a host other
than the server's is refused, and any attempt fails the test.

Swagger UI must draw the routes, offer Authorize with both key schemes, and try a route with
the key given there; ReDoc must draw the same reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from browser import Console


@pytest.fixture
def offline(console: Console, browser: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page that may reach the server only, and the outside URLs it tried."""
    page = console.new_page(browser)
    served = urlsplit(console.url).netloc
    outside: list[str] = []

    def only_the_server(route: Any) -> None:
        url = route.request.url
        if urlsplit(url).netloc == served:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.context.route("**/*", only_the_server)
    yield page, outside
    assert outside == [], f"the page reached outside the server: {outside}"


def test_swagger_ui_draws_the_routes_without_the_internet(
    offline: tuple[Any, list[str]], tmp_path: Path
) -> None:
    page, outside = offline
    page.goto("/docs")
    page.locator(".opblock-summary-path[data-path='/api/v1/reps']").first.wait_for()
    assert page.locator(".opblock").count() > 30
    page.screenshot(path=str(tmp_path / "docs.png"), full_page=False)  # to look at
    assert outside == []


def test_swagger_ui_offers_both_key_schemes_under_authorize(
    offline: tuple[Any, list[str]],
) -> None:
    page, _ = offline
    page.goto("/docs")
    page.get_by_role("button", name="Authorize").first.click()
    dialog = page.locator(".modal-ux")
    dialog.wait_for()
    assert "bearerKey" in dialog.inner_text()
    assert "apiKeyHeader" in dialog.inner_text()
    assert "X-API-Key" in dialog.inner_text()


def test_a_key_given_to_authorize_lets_swagger_ui_try_a_route(
    offline: tuple[Any, list[str]], console: Console
) -> None:
    page, _ = offline
    page.goto("/docs")
    page.get_by_role("button", name="Authorize").first.click()
    bearer = page.locator(".auth-container").filter(has_text="bearerKey")
    bearer.locator("input").fill(console.admin_key)
    bearer.get_by_role("button", name="Apply credentials").click()
    page.locator(".modal-ux .btn-done").first.click()
    operation = page.locator("#operations-reps-list_reps_api_v1_reps_get")
    operation.locator(".opblock-summary").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    status.wait_for()
    assert status.inner_text().strip() == "200"
    assert '"alice"' in operation.locator(".live-responses-table .microlight").first.inner_text()


def test_redoc_draws_the_reference_without_the_internet(
    offline: tuple[Any, list[str]], console: Console, tmp_path: Path
) -> None:
    page, outside = offline
    page.goto("/redoc")
    page.get_by_role("heading", name="Post Lead").first.wait_for()
    assert page.locator("h2", has_text="List Reps").count() == 1
    assert page.locator("h2", has_text="Dry Run").count() == 1
    paths = console.api("GET", "/openapi.json").json()["paths"]
    secured = [op for methods in paths.values() for op in methods.values() if "security" in op]
    assert page.inner_text("body").count("bearerKeyapiKeyHeader") == len(secured)
    page.screenshot(path=str(tmp_path / "redoc.png"), full_page=False)  # to look at
    assert outside == []
