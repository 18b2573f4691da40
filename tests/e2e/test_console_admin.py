"""`/admin` in Chromium: an API key's secret is shown once and works, and a revoked key is
refused; users are added, signed in, disabled (their session ends); a test message reaches a
channel's receiver, or says why not. For admins only (a rep or a manager: 403)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from browser import Console, describe, serious_violations, sign_in
from console_client import status_of
from receivers import HookServer
from serverproc import free_port
from shared_policy import POLICY

KEY = re.compile(r"^lf_[0-9a-f]+_[A-Za-z0-9_-]+$")
NEW_PASSWORD = "a new password, long enough"


@pytest.fixture
def hook() -> Iterator[HookServer]:
    with HookServer() as server:
        yield server


@pytest.fixture
def console_policy() -> str:
    """The shared policy with two channels: a webhook to the test's receiver, and a Slack
    webhook to a port nobody listens on."""
    return POLICY + (
        "channels:\n"
        '  crm: {type: webhook, url: "${HOOK_URL}/hook", secret: "${HOOK_SECRET}"}\n'
        '  sales-slack: {type: slack, url: "${DEAD_URL}/services/T0/B0/xyz"}\n'
    )


@pytest.fixture
def console_env(hook: HookServer) -> dict[str, str]:
    return {
        "HOOK_URL": hook.url,
        "HOOK_SECRET": "hook-secret",
        "DEAD_URL": f"http://127.0.0.1:{free_port()}",
    }


@pytest.fixture
def admin(console: Console, browser: Any) -> Any:
    page = console.signed_in(browser, "admin@example.com")
    page.on("dialog", lambda dialog: dialog.accept())  # "Revoke …?", "Disable …?"
    return page


def create_key(page: Any, name: str, role: str, rep: str | None = None) -> None:
    page.goto("/admin")
    form = page.get_by_role("form", name="Create an API key")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Role").select_option(role)
    if rep is not None:
        form.get_by_label("Rep").select_option(rep)
    form.get_by_role("button", name="Create key").click()
    page.wait_for_load_state()


def shown_secret(page: Any) -> str:
    return str(page.get_by_label("The key").input_value())


def add_user(page: Any, email: str, role: str, password: str, rep: str | None = None) -> None:
    page.goto("/admin/users/new")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Name").fill("Pat Doe")
    page.get_by_label("Role").select_option(role)
    if rep is not None:
        page.get_by_label("Rep").select_option(rep)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Add user").click()
    page.wait_for_load_state()


# API keys


def test_a_new_keys_secret_is_shown_once_with_the_warning_to_copy_it(admin: Any) -> None:
    create_key(admin, "webflow-forms", "intake")
    assert KEY.match(shown_secret(admin))
    assert admin.get_by_text("Copy it now: it will not be shown again.").is_visible()


def test_reloading_the_page_of_a_new_key_does_not_show_its_secret_again(admin: Any) -> None:
    create_key(admin, "webflow-forms", "intake")
    secret = shown_secret(admin)
    admin.reload()
    assert admin.get_by_text("shown once, when it was made").is_visible()
    assert secret not in admin.content()


def test_a_new_keys_secret_is_in_no_url_and_no_log(console: Console, admin: Any) -> None:
    create_key(admin, "crm-sync", "manager")
    secret = shown_secret(admin)
    assert secret not in admin.url
    assert secret not in console.server.log.read_text(errors="replace")


def test_a_key_made_in_the_console_reads_the_leads_api(console: Console, admin: Any) -> None:
    create_key(admin, "crm-sync", "manager")
    answer = httpx.get(
        f"{console.url}/api/v1/leads",
        headers={"Authorization": f"Bearer {shown_secret(admin)}"},
        timeout=30,
    )
    assert answer.status_code == 200


def test_a_revoked_key_is_refused_by_the_api(console: Console, admin: Any) -> None:
    create_key(admin, "old-script", "manager")
    secret = shown_secret(admin)
    admin.goto("/admin")
    admin.get_by_role("button", name="Revoke the key old-script").click()
    admin.get_by_text("Key revoked").wait_for()
    answer = httpx.get(
        f"{console.url}/api/v1/leads", headers={"Authorization": f"Bearer {secret}"}, timeout=30
    )
    assert answer.status_code == 401


def test_a_rep_key_without_its_rep_is_refused_beside_the_field_keeping_the_name(
    admin: Any,
) -> None:
    create_key(admin, "alice-phone", "rep")
    form = admin.get_by_role("form", name="Create an API key")
    assert form.get_by_text("Choose the rep this key belongs to.").is_visible()
    assert form.get_by_label("Name").input_value() == "alice-phone"


def test_a_rep_key_sees_only_its_reps_leads(console: Console, admin: Any) -> None:
    create_key(admin, "dana-phone", "rep", rep="dana")
    headers = {"Authorization": f"Bearer {shown_secret(admin)}"}
    answer = httpx.get(f"{console.url}/api/v1/leads", headers=headers, timeout=30)
    assert (answer.status_code, answer.json()["items"]) == (200, [])


# Users


def test_an_added_user_can_sign_in(console: Console, browser: Any, admin: Any) -> None:
    add_user(admin, "pat@example.com", "manager", "pat's own password")
    admin.get_by_text("User added").wait_for()
    page = console.new_page(browser)
    sign_in(page, "pat@example.com", "pat's own password")
    assert page.url.endswith("/home")


def test_a_short_password_is_refused_beside_the_field_keeping_all_but_the_password(
    admin: Any,
) -> None:
    add_user(admin, "pat@example.com", "rep", "short", rep="chen")
    assert admin.get_by_text("At least 10 characters.", exact=True).is_visible()
    kept = [admin.get_by_label(f).input_value() for f in ("Email", "Name", "Password")]
    assert kept == ["pat@example.com", "Pat Doe", ""]
    assert admin.get_by_label("Rep").input_value() == "chen"


def test_an_email_that_has_a_user_already_is_refused_beside_the_email(admin: Any) -> None:
    add_user(admin, "bob@example.com", "manager", "long enough password")
    assert admin.get_by_text("There is a user bob@example.com already.").is_visible()


def test_a_disabled_user_cannot_sign_in(console: Console, browser: Any, admin: Any) -> None:
    admin.goto("/admin/users/bob@example.com")
    admin.get_by_role("button", name="Disable").click()
    admin.get_by_text("Disabled: they cannot sign in").wait_for()
    page = console.new_page(browser)
    sign_in(page, "bob@example.com")
    assert page.get_by_text("Wrong email or password.").is_visible()


def test_disabling_a_user_ends_their_open_session(
    console: Console, browser: Any, admin: Any
) -> None:
    bob = console.signed_in(browser, "bob@example.com")
    admin.goto("/admin/users/bob@example.com")
    admin.get_by_role("button", name="Disable").click()
    admin.get_by_text("Disabled: they cannot sign in").wait_for()
    bob.goto("/inbox")
    assert "/login" in bob.url


def test_an_admin_cannot_disable_themselves(console: Console, admin: Any) -> None:
    admin.goto("/admin/users/admin@example.com")
    admin.get_by_role("button", name="Disable").click()
    assert admin.get_by_text("You cannot disable yourself").is_visible()
    assert status_of(console, "admin@example.com", "/admin") == 200


def test_a_user_given_the_manager_role_signs_in_to_the_managers_home(
    console: Console, browser: Any, admin: Any
) -> None:
    admin.goto("/admin/users/chen@example.com")
    admin.get_by_label("Role", exact=True).select_option("manager")
    admin.get_by_role("button", name="Change role").click()
    admin.get_by_text("Role changed").wait_for()
    page = console.signed_in(browser, "chen@example.com")
    assert page.url.endswith("/home")


def test_a_new_password_set_by_an_admin_is_the_one_that_signs_in(
    console: Console, browser: Any, admin: Any
) -> None:
    admin.goto("/admin/users/dana@example.com")
    admin.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    admin.get_by_role("button", name="Set password").click()
    admin.get_by_text("Password set").wait_for()
    page = console.new_page(browser)
    sign_in(page, "dana@example.com", NEW_PASSWORD)
    assert page.url.endswith("/inbox")


# Channels


def test_a_test_message_reaches_the_channels_receiver(admin: Any, hook: HookServer) -> None:
    admin.goto("/admin")
    admin.get_by_role("button", name="Send test message to crm").click()
    admin.get_by_text("Sent to 127.0.0.1.").wait_for()
    (got,) = hook.at("/hook")
    assert got.headers["X-Leadflow-Event"] == "channel.test"


def test_a_test_message_that_fails_says_why_as_text(admin: Any) -> None:
    admin.goto("/admin")
    admin.get_by_role("button", name="Send test message to sales-slack").click()
    admin.get_by_text(re.compile(r"Not sent: channel sales-slack: ConnectError")).wait_for()


# Who may


@pytest.mark.parametrize("email", ["alice@example.com", "maria@example.com"])
def test_a_rep_and_a_manager_may_not_open_admin(console: Console, email: str) -> None:
    assert status_of(console, email, "/admin") == 403


@pytest.mark.parametrize("path", ["/admin", "/admin/users/new", "/admin/users/bob@example.com"])
def test_the_admin_pages_have_no_serious_accessibility_violation(
    console: Console, browser: Any, path: str
) -> None:
    page = console.signed_in(browser, "admin@example.com", axe=True)
    page.goto(path)
    violations = serious_violations(page)
    assert violations == [], describe(violations)


def test_the_admin_page_reads_at_a_phones_width_without_scrolling_sideways(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "admin@example.com", width=390)
    page.goto("/admin")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
