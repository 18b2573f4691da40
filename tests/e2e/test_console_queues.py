"""`/queues` in Chromium: each queue shows its item and its button works: confirm an account
match, restore junk, retry a message that failed for good; a held lead says why it is held.
For managers and admins (a rep: 403)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from browser import Console, describe, serious_violations
from console_client import status_of, wait_for
from receivers import HookServer
from serverproc import free_port

# No calendars, so that every hour is working time. Junk: mail from spam.example. A company
# close to an account's name opens a review. Leads from "Big" wait for a pool whose only
# member is inactive. A `form: webinar` lead is announced to a webhook whose receiver is not
# up (one try, then dead); a `form: email-me` lead to its owner by email, over an SMTP server
# that is not there either.
POLICY = """\
version: 1
timezone: America/New_York
reps:
  - {id: alice, name: Alice Adams, email: alice@example.com}
  - {id: bob, name: Bob Brown, email: bob@example.com}
  - {id: chen, name: Chen Li, email: chen@example.com}
  - {id: dana, name: Dana Diaz, email: dana@example.com}
  - {id: erin, name: Erin Ek, email: erin@example.com, active: false}
pools:
  general: {strategy: round_robin, members: [alice, bob, chen]}
  big: {strategy: round_robin, members: [erin], when_unavailable: hold}
junk: {blocked_domains: [spam.example]}
accounts: {accept: 0.99, review: 0.5}
channels:
  crm: {type: webhook, url: "${CRM_URL}"}
  mail: {type: email}
notify:
  - {events: [lead.assigned], via: crm, when: {form: webinar}}
  - {events: [lead.assigned], to: owner, via: mail, when: {form: email-me}}
rules:
  - {name: big, when: {company: Big}, route: big}
fallback: general
"""
GLOBEX = {"id": "globex", "name": "Globex Corporation", "domains": ["globex.com"], "owner": "dana"}
NEAR = {"email": "hank@gmail.com", "first_name": "Hank", "company": "Globexx Corporation"}


@pytest.fixture
def hook_port() -> int:
    """The port of the webhook's receiver: nobody listens there until a test starts one."""
    return free_port()


@pytest.fixture
def console_policy() -> str:
    return POLICY


@pytest.fixture
def console_env(hook_port: int) -> dict[str, str]:
    return {
        "LEADFLOW_DELIVERY_ATTEMPTS": "1",
        "CRM_URL": f"http://127.0.0.1:{hook_port}/hook",
        "LEADFLOW_SMTP_HOST": "127.0.0.1",
        "LEADFLOW_SMTP_PORT": str(free_port()),
    }


@pytest.fixture
def manager(console: Console, browser: Any) -> Iterator[Any]:
    yield console.signed_in(browser, "maria@example.com")


def queue(page: Any, heading: str) -> Any:
    """The section of a queue, by the start of its heading."""
    page.goto("/queues")
    return page.get_by_role("region", name=re.compile(f"^{heading}"))


def weak_match(console: Console) -> str:
    assert console.api("POST", "/accounts", json=GLOBEX).status_code in (200, 201)
    return str(console.post_lead(**NEAR)["id"])


def dead_message(console: Console) -> str:
    """A lead whose message to the webhook failed for good; the job's id."""
    lead_id = console.post_lead(first_name="Wendy", form="webinar")["id"]
    dead = wait_for(lambda: console.api("GET", f"/jobs?state=dead&lead_id={lead_id}").json())
    return str(dead[0]["id"])


def test_a_weak_account_match_waits_for_review_with_its_account_and_score(
    console: Console, manager: Any
) -> None:
    weak_match(console)
    reviews = queue(manager, "Account matches to review")
    assert "(1)" in reviews.get_by_role("heading").inner_text()
    row = reviews.get_by_role("row").filter(has_text="Hank")
    assert re.search(r"Globex Corporation.*\d+%.*a close company name", row.inner_text(), re.S)


def test_confirming_a_match_gives_the_lead_the_accounts_fields(
    console: Console, manager: Any
) -> None:
    lead_id = weak_match(console)
    queue(manager, "Account matches to review").get_by_role("button", name="Confirm").click()
    manager.get_by_text("Match confirmed").wait_for()
    assert console.api("GET", f"/leads/{lead_id}").json()["account_id"] == "globex"


def test_rejecting_a_match_leaves_the_lead_without_an_account_and_the_queue_empty(
    console: Console, manager: Any
) -> None:
    lead_id = weak_match(console)
    queue(manager, "Account matches to review").get_by_role("button", name="Reject").click()
    manager.get_by_text("Match rejected").wait_for()
    assert console.api("GET", f"/leads/{lead_id}").json()["account_id"] is None
    assert "(0)" in queue(manager, "Account matches to review").get_by_role("heading").inner_text()


def test_a_review_settled_meanwhile_is_refused_and_says_so(console: Console, manager: Any) -> None:
    weak_match(console)
    reviews = queue(manager, "Account matches to review")
    (review,) = console.api("GET", "/accounts/reviews").json()
    console.api("POST", f"/accounts/reviews/{review['id']}", json={"accept": False})
    reviews.get_by_role("button", name="Confirm").click()
    assert manager.get_by_text(
        "Nothing was changed: this review was already rejected."
    ).is_visible()


def test_junk_is_listed_with_why_it_is_junk(console: Console, manager: Any) -> None:
    console.post_lead(email="bot@spam.example")
    row = queue(manager, "Junk").get_by_role("row").filter(has_text="bot@spam.example")
    assert "A blocked domain: spam.example" in row.inner_text()


def test_restoring_junk_routes_the_lead(console: Console, manager: Any) -> None:
    lead_id = console.post_lead(email="real.person@spam.example")["id"]
    queue(manager, "Junk").get_by_role("button", name="Restore real.person@spam.example").click()
    manager.get_by_text(re.compile(r"Lead restored and routed: assigned, to \w+")).wait_for()
    assert console.api("GET", f"/leads/{lead_id}").json()["status"] == "assigned"


def test_a_message_that_failed_for_good_is_listed_with_its_last_error(
    console: Console, manager: Any
) -> None:
    dead_message(console)
    row = queue(manager, "Failed messages").get_by_role("row").filter(has_text="Wendy")
    assert re.search(r"crm.*New lead.*channel crm: ConnectError", row.inner_text(), re.S)


def test_retrying_a_dead_message_sends_it_once_its_receiver_is_up(
    console: Console, manager: Any, hook_port: int
) -> None:
    job_id = dead_message(console)
    failed = queue(manager, "Failed messages")
    with HookServer(port=hook_port) as hook:
        failed.get_by_role("button", name="Retry").click()
        manager.get_by_text("The message is queued to be sent again").wait_for()
        wait_for(lambda: hook.at("/hook"))
        done = wait_for(lambda: console.api("GET", "/jobs?state=done&kind=deliver").json())
    assert [str(j["id"]) for j in done] == [job_id]


def test_the_links_that_act_as_the_owner_are_never_shown(console: Console, manager: Any) -> None:
    lead_id = console.post_lead(first_name="Olga", form="email-me")["id"]
    (dead,) = wait_for(lambda: console.api("GET", f"/jobs?state=dead&lead_id={lead_id}").json())
    assert dead["data"]["channel"]["name"] == "mail"  # the owner's own email, with its links
    queue(manager, "Failed messages").get_by_role("row").filter(has_text="Olga").wait_for()
    assert "/act/" not in manager.content()


def test_a_held_lead_says_which_pool_it_waits_for_and_why_nobody_there_can_take_it(
    console: Console, manager: Any
) -> None:
    console.post_lead(first_name="Bea", company="Big")
    row = queue(manager, "Held leads").get_by_role("row").filter(has_text="Bea")
    assert re.search(r"pool big.*Inactive: not taking leads: Erin Ek", row.inner_text(), re.S)


def test_a_rep_may_not_open_the_queues(console: Console) -> None:
    assert status_of(console, "bob@example.com", "/queues") == 403


def test_the_queues_page_has_no_serious_accessibility_violation(
    console: Console, browser: Any
) -> None:
    weak_match(console)
    console.post_lead(email="bot@spam.example")
    console.post_lead(company="Big")
    dead_message(console)
    page = console.signed_in(browser, "maria@example.com", axe=True)
    page.goto("/queues")
    violations = serious_violations(page)
    assert violations == [], describe(violations)


def test_the_queues_read_at_a_phones_width_without_scrolling_sideways(
    console: Console, browser: Any
) -> None:
    weak_match(console)
    dead_message(console)
    page = console.signed_in(browser, "maria@example.com", width=390)
    page.goto("/queues")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
