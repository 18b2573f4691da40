"""Signing in to the console, in Chromium: sessions, CSRF, throttling and security headers."""

from __future__ import annotations

import re
from typing import Any

import httpx
from browser import PASSWORD, Console, describe, serious_violations, sign_in


def test_a_person_who_is_not_signed_in_is_sent_to_the_sign_in_page(console: Console) -> None:
    answer = httpx.get(f"{console.url}/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login"


def test_a_page_asked_for_before_sign_in_is_opened_after_it(console: Console, browser: Any) -> None:
    page = console.new_page(browser)
    page.goto("/leads?status=assigned")
    assert "/login" in page.url
    page.get_by_label("Email").fill("maria@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/leads\?status=assigned$"))


def test_a_wrong_password_shows_the_error_and_keeps_the_email(
    console: Console, browser: Any
) -> None:
    page = console.new_page(browser)
    sign_in(page, "maria@example.com", "not the password")
    assert page.get_by_text("Wrong email or password.").is_visible()
    assert page.get_by_label("Email").input_value() == "maria@example.com"


def test_the_eleventh_wrong_password_waits_with_the_time_to_wait(
    console: Console, browser: Any
) -> None:
    page = console.new_page(browser)
    for _ in range(10):
        sign_in(page, "bob@example.com", "wrong password!")
        assert page.get_by_text("Wrong email or password.").is_visible()
    with page.expect_response(
        lambda r: r.url.endswith("/login") and r.request.method == "POST"
    ) as r:
        sign_in(page, "bob@example.com", PASSWORD)  # even the right one waits now
    assert r.value.status == 429
    assert 0 < int(r.value.headers["retry-after"]) <= 15 * 60
    assert page.get_by_text(re.compile(r"try again in \d+ min")).is_visible()
    # another email is not held up
    sign_in(page, "alice@example.com")
    assert "/login" not in page.url


def test_a_form_post_without_its_csrf_token_is_refused_and_changes_nothing(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "maria@example.com")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    # Sign out without the token: refused, and the session still works.
    answer = httpx.post(f"{console.url}/logout", cookies=cookies, data={}, follow_redirects=False)
    assert answer.status_code == 403
    still = httpx.get(f"{console.url}/leads", cookies=cookies, follow_redirects=False)
    assert still.status_code == 200


def test_signing_out_ends_the_session_on_the_server(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "maria@example.com")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    # The old cookie, replayed by someone who kept it, opens nothing.
    replayed = httpx.get(f"{console.url}/leads", cookies=cookies, follow_redirects=False)
    assert replayed.status_code == 303
    assert replayed.headers["location"].startswith("/login")


def test_the_session_cookie_is_http_only_and_same_site_lax(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "maria@example.com")
    (session,) = [c for c in page.context.cookies() if c["name"] == "lf_session"]
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"


def test_every_page_has_the_security_headers(console: Console) -> None:
    answer = httpx.get(f"{console.url}/login")
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"


def test_the_sign_in_page_has_no_serious_accessibility_violation(
    console: Console, browser: Any
) -> None:
    page = console.new_page(browser, axe=True)
    page.goto("/login")
    violations = serious_violations(page)
    assert violations == [], describe(violations)


def test_an_unknown_page_is_a_404_page_not_a_stack_trace(console: Console) -> None:
    answer = httpx.get(f"{console.url}/no-such-page")
    assert answer.status_code == 404
    assert "text/html" in answer.headers["content-type"]
    assert "There is no such page." in answer.text
