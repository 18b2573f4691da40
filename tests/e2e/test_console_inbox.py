"""A rep's inbox in Chromium: leads arrive without a reload, and each action moves the lead."""

from __future__ import annotations

import re
from typing import Any

import pytest
from browser import PASSWORD, Console, describe, serious_violations
from playwright.sync_api import expect
from shared_policy import ALWAYS_OPEN

# The pool `general` is a round robin of alice, bob and chen, in that order.


@pytest.fixture
def console_policy() -> str:
    return ALWAYS_OPEN


def first_lead_to_alice(console: Console, **fields: Any) -> dict[str, Any]:
    routed = console.post_lead(**fields)
    assert routed["owner"] == "alice", routed
    return routed


def test_a_lead_routed_to_the_rep_appears_without_a_reload_and_accept_is_in_its_timeline(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "alice@example.com")
    expect(page).to_have_url(re.compile(r"/inbox$"))
    expect(page.get_by_text("No open leads.")).to_be_visible()
    first_lead_to_alice(console, first_name="Priya", last_name="Natarajan", company="Northwind")
    card = page.get_by_role("listitem").filter(has_text="Priya Natarajan")
    expect(card).to_be_visible(timeout=5_000)  # the list polls every 3 s
    card.get_by_role("button", name="Accept").click()
    expect(page.get_by_text("Accepted.")).to_be_visible()
    page.get_by_role("link", name="Priya Natarajan").click()
    expect(page.get_by_role("list", name="Timeline")).to_contain_text("Accepted")


def test_a_rejected_lead_goes_to_another_rep_of_the_pool_and_leaves_the_first(
    console: Console, browser: Any
) -> None:
    first_lead_to_alice(console, first_name="Tom", last_name="Becker")
    alice = console.signed_in(browser, "alice@example.com")
    card = alice.get_by_role("listitem").filter(has_text="Tom Becker")
    card.get_by_role("link", name="Reject").click()
    alice.get_by_label("Reason").fill("Outside my territory")
    alice.get_by_role("button", name="Reject lead").click()
    expect(alice.get_by_text("Rejected Tom Becker.")).to_be_visible()
    expect(alice.get_by_text("Tom Becker")).to_have_count(1)  # the message only, not a card
    bob = console.signed_in(browser, "bob@example.com")
    expect(bob.get_by_role("listitem").filter(has_text="Tom Becker")).to_be_visible()


def test_a_reject_without_a_reason_asks_for_one_and_changes_nothing(
    console: Console, browser: Any
) -> None:
    routed = first_lead_to_alice(console, first_name="Ana", last_name="Souza")
    alice = console.signed_in(browser, "alice@example.com")
    alice.goto(f"/inbox/{routed['id']}/reject")
    alice.get_by_role("button", name="Reject lead").click()
    expect(alice.get_by_text("Say why")).to_be_visible()
    lead = console.api("GET", f"/leads/{routed['id']}").json()
    assert (lead["status"], lead["owner"]) == ("assigned", "alice")


def test_at_a_phones_width_the_buttons_are_visible_and_accept_works(
    console: Console, browser: Any
) -> None:
    first_lead_to_alice(console, first_name="Kim", last_name="Lee")
    phone = console.signed_in(browser, "alice@example.com", width=390, height=844)
    card = phone.get_by_role("listitem").filter(has_text="Kim Lee")
    for name in ("Accept", "Mark contacted", "Record outcome"):
        button = card.get_by_role("button", name=name)
        expect(button).to_be_visible()
        box = button.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 390
    expect(card.get_by_role("link", name="Reject")).to_be_visible()
    card.get_by_role("button", name="Accept").click()
    expect(phone.get_by_text("Accepted.")).to_be_visible()


def test_an_outcome_recorded_moves_the_lead_and_a_won_lead_leaves_the_inbox(
    console: Console, browser: Any
) -> None:
    routed = first_lead_to_alice(console, first_name="Leo", last_name="Marsh")
    alice = console.signed_in(browser, "alice@example.com")
    card = alice.get_by_role("listitem").filter(has_text="Leo Marsh")
    card.get_by_label("Outcome").select_option("meeting_booked")
    card.get_by_role("button", name="Record outcome").click()
    expect(alice.get_by_text("Recorded: Meeting booked.")).to_be_visible()
    card = alice.get_by_role("listitem").filter(has_text="Leo Marsh")
    card.get_by_label("Outcome").select_option("won")
    card.get_by_role("button", name="Record outcome").click()
    expect(alice.get_by_text("Recorded: Won.")).to_be_visible()
    expect(alice.get_by_role("listitem").filter(has_text="Leo Marsh")).to_have_count(0)
    assert console.api("GET", f"/leads/{routed['id']}").json()["status"] == "won"


def test_a_lead_moved_meanwhile_is_a_message_not_an_error_page(
    console: Console, browser: Any
) -> None:
    routed = first_lead_to_alice(console, first_name="Mo", last_name="Reyes")
    alice = console.signed_in(browser, "alice@example.com")
    card = alice.get_by_role("listitem").filter(has_text="Mo Reyes")
    expect(card).to_be_visible()
    # a manager moves it before alice clicks
    assert console.api("POST", f"/leads/{routed['id']}/reassign", json={"rep": "bob"}).is_success
    card.get_by_role("button", name="Accept").click()
    expect(alice.get_by_text(re.compile("no lead", re.I))).to_be_visible()


def test_a_rep_marked_away_gets_no_new_lead_until_available_again(
    console: Console, browser: Any
) -> None:
    alice = console.signed_in(browser, "alice@example.com")
    alice.get_by_role("button", name="Mark me away").click()
    expect(alice.get_by_text("Away: no new leads")).to_be_visible()
    owners = [console.post_lead(email=f"l{n}@example.com")["owner"] for n in range(3)]
    assert "alice" not in owners
    alice.get_by_role("button", name="Mark me available").click()
    expect(alice.get_by_text("Available", exact=True)).to_be_visible()
    assert console.api("GET", "/reps/alice").json()["presence"] == "available"


def test_the_rep_adds_and_removes_their_own_time_off(console: Console, browser: Any) -> None:
    alice = console.signed_in(browser, "alice@example.com")
    alice.get_by_label("From").fill("2026-12-24")
    alice.get_by_label("To").fill("2026-12-31")
    alice.get_by_label("Note").fill("Holidays")
    alice.get_by_role("button", name="Add time off").click()
    expect(alice.get_by_text("Time off added.")).to_be_visible()
    expect(alice.get_by_text("Holidays")).to_be_visible()
    expect(alice.get_by_text("Thu Dec 24 – Thu Dec 31", exact=True)).to_be_visible()  # to: kept
    (entry,) = [t for t in console.api("GET", "/reps/alice").json()["time_off"]]
    assert entry["note"] == "Holidays"
    alice.get_by_role("button", name=re.compile("Remove time off")).click()
    expect(alice.get_by_text("Time off removed.")).to_be_visible()
    assert console.api("GET", "/reps/alice").json()["time_off"] == []


def test_time_off_that_cannot_be_read_shows_the_error_and_keeps_what_was_typed(
    console: Console, browser: Any
) -> None:
    alice = console.signed_in(browser, "alice@example.com")
    alice.get_by_label("From").fill("next tuesday")
    alice.get_by_label("To").fill("2026-12-31")
    alice.get_by_role("button", name="Add time off").click()
    expect(alice.locator(".field-error")).to_be_visible()
    expect(alice.get_by_label("From")).to_have_value("next tuesday")
    assert console.api("GET", "/reps/alice").json()["time_off"] == []


def test_with_javascript_off_accept_still_works_as_a_plain_form(
    console: Console, browser: Any
) -> None:
    routed = first_lead_to_alice(console, first_name="Zoe", last_name="Park")
    context = browser.new_context(base_url=console.url, java_script_enabled=False)
    console.pages.append(context)
    page = context.new_page()
    page.goto("/login")
    page.get_by_label("Email").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("listitem").filter(has_text="Zoe Park").get_by_role(
        "button", name="Accept"
    ).click()
    expect(page.get_by_text("Accepted.")).to_be_visible()
    assert console.api("GET", f"/leads/{routed['id']}").json()["status"] == "accepted"


def test_a_manager_has_no_inbox(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "maria@example.com")
    answer = page.goto("/inbox")
    assert answer is not None and answer.status == 403


def test_the_inbox_has_no_serious_accessibility_violation(console: Console, browser: Any) -> None:
    first_lead_to_alice(console, first_name="Ivy", last_name="Chen", company="Lumen")
    page = console.signed_in(browser, "alice@example.com", axe=True)
    expect(page.get_by_text("Ivy Chen")).to_be_visible()
    violations = serious_violations(page)
    assert violations == [], describe(violations)


def test_an_outcome_chosen_but_not_recorded_survives_a_new_lead_arriving(
    console: Console, browser: Any
) -> None:
    first_lead_to_alice(console, first_name="Eva", last_name="Stone")
    alice = console.signed_in(browser, "alice@example.com")
    alice.get_by_role("listitem").filter(has_text="Eva Stone").get_by_label(
        "Outcome"
    ).select_option("won")
    owners = [console.post_lead(first_name="Next", last_name=f"N{n}")["owner"] for n in range(3)]
    assert owners == ["bob", "chen", "alice"]  # the round robin comes back to alice
    expect(alice.get_by_role("listitem").filter(has_text="Next N2")).to_be_visible(timeout=5_000)
    eva = alice.get_by_role("listitem").filter(has_text="Eva Stone")
    expect(eva.get_by_label("Outcome")).to_have_value("won")
