"""The team board in Chromium: presence, caps and time off at runtime; reps as policy versions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser import Console, describe, serious_violations
from playwright.sync_api import expect
from shared_policy import ALWAYS_OPEN


@pytest.fixture
def console_policy() -> str:
    return ALWAYS_OPEN


def row(page: Any, name: str) -> Any:
    return page.get_by_role("row").filter(has_text=name)


def test_a_rep_marked_away_on_the_board_is_skipped_and_the_lead_page_says_why(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/team")
    row(page, "Alice Adams").get_by_role("button", name="Mark away: Alice Adams").click()
    expect(page.get_by_text("Alice Adams is away.")).to_be_visible()
    expect(row(page, "Alice Adams").get_by_text("Away")).to_be_visible()
    routed = console.post_lead(email="next@example.com", first_name="Nora")
    assert routed["owner"] == "bob"  # alice would have been first in the round robin
    page.goto(f"/leads/{routed['id']}")
    expect(page.locator("main")).to_contain_text(re.compile("away", re.I))


def test_a_manager_sets_a_cap_and_the_board_shows_it(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/team/bob")
    page.get_by_label("Per day").fill("3")
    page.get_by_role("button", name="Save caps").click()
    expect(page.get_by_text("Caps saved.")).to_be_visible()
    assert console.api("GET", "/reps/bob").json()["caps"]["per_day"] == 3
    page.goto("/team")
    expect(row(page, "Bob Brown").get_by_text("/ 3")).to_be_visible()


def test_a_bad_cap_shows_its_error_beside_the_field_and_saves_nothing(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/team/bob")
    page.get_by_label("Per day").fill("lots")
    page.get_by_role("button", name="Save caps").click()
    expect(page.get_by_text("Per day: a whole number")).to_be_visible()
    expect(page.get_by_label("Per day")).to_have_value("lots")
    assert console.api("GET", "/reps/bob").json()["caps"]["per_day"] is None


def test_a_manager_adds_and_removes_a_reps_time_off(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/team/chen")
    page.get_by_label("From").fill("2026-12-24")
    page.get_by_label("To").fill("2026-12-31")
    page.get_by_label("Note").fill("Holidays")
    page.get_by_role("button", name="Add time off").click()
    expect(page.get_by_text("Time off added.")).to_be_visible()
    assert [t["note"] for t in console.api("GET", "/reps/chen").json()["time_off"]] == ["Holidays"]
    expect(page.get_by_text("Thu Dec 24 – Thu Dec 31", exact=True)).to_be_visible()  # to: kept
    page.get_by_role("button", name=re.compile("Remove time off")).click()
    expect(page.get_by_text("Time off removed.")).to_be_visible()
    assert console.api("GET", "/reps/chen").json()["time_off"] == []


def test_an_admin_adds_a_rep_as_a_new_policy_version_with_a_message(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "admin@example.com")
    page.goto("/team")
    page.get_by_role("link", name="Add rep").click()
    page.get_by_label("Rep id").fill("erin")
    page.get_by_label("Name").fill("Erin Eto")
    page.get_by_label("Email").fill("erin@example.com")
    page.get_by_label("Skills").fill("es")
    page.get_by_role("checkbox", name=re.compile("general")).check()
    page.get_by_label("Message for the policy history").fill("Erin joins in January")
    page.get_by_role("button", name="Add rep").click()
    expect(page.get_by_text("Published policy version 2: Erin joins in January")).to_be_visible()
    page.goto("/team")
    expect(row(page, "Erin Eto")).to_be_visible()
    versions = console.api("GET", "/policy/versions").json()
    assert (versions[0]["version"], versions[0]["message"]) == (2, "Erin joins in January")
    text = console.api("GET", "/policy").json()["text"]
    assert "{id: erin, name: Erin Eto, email: erin@example.com, skills: [es]}" in text
    assert "members: [alice, bob, chen, erin]" in text


def test_an_admin_edits_a_reps_skills_and_the_message_says_what_changed(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "admin@example.com")
    page.goto("/team/dana")
    page.get_by_label("Skills").fill("enterprise, de")
    page.get_by_role("button", name="Save rep").click()
    expect(page.get_by_text(re.compile("Published policy version 2"))).to_be_visible()
    assert console.api("GET", "/reps/dana").json()["skills"] == ["de", "enterprise"]
    message = console.api("GET", "/policy/versions").json()[0]["message"]
    assert message == "Edited rep dana: skills none → enterprise, de"


def test_adding_a_rep_without_a_name_shows_the_error_and_publishes_nothing(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "admin@example.com")
    page.goto("/team/new")
    page.get_by_label("Rep id").fill("zed")
    page.get_by_role("button", name="Add rep").click()
    expect(page.get_by_text("Give the rep a name.")).to_be_visible()
    expect(page.get_by_label("Rep id")).to_have_value("zed")
    assert len(console.api("GET", "/policy/versions").json()) == 1


def test_a_manager_sees_no_policy_form_and_may_not_post_one(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/team/dana")
    expect(page.get_by_role("button", name="Save rep")).to_have_count(0)
    answer = page.goto("/team/new")
    assert answer is not None and answer.status == 403


def test_a_rep_may_not_open_the_team_board(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "alice@example.com")
    answer = page.goto("/team")
    assert answer is not None and answer.status == 403


def test_the_board_has_no_serious_accessibility_violation_and_fits_a_phone(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "maria@example.com", axe=True)
    page.goto("/team")
    violations = serious_violations(page)
    assert violations == [], describe(violations)
    phone = console.signed_in(browser, "maria@example.com", width=390, height=844)
    phone.goto("/team")  # a card per rep: its counts and buttons within the screen
    bob = phone.get_by_role("row").filter(has_text="Bob Brown")
    for part in (bob.get_by_role("button", name="Mark away"), bob.locator("td[data-label=Open]")):
        box = part.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
    phone.goto("/team/bob")
    expect(phone.get_by_role("button", name="Save caps")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
