"""`/home` in Chromium: today's figures match a history the test posts through the API, each
figure links to the lead list of the leads it counts, and alerts say why a lead needs a person.
Only managers and admins have it (a rep's home is `/inbox`)."""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from browser import Console, describe, serious_violations
from console_client import status_of, wait_for

NEW_YORK = ZoneInfo("America/New_York")  # the policy's zone: maria's and the admin's
# No calendars (every hour is working time, whenever the test runs), no fallback: a lead
# without an email matches no rule and is unassigned. Leads from "Big" wait for a pool whose
# only member is inactive. A lead with `form: quick` has one second for its first touch.
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
sla:
  - {name: quick, when: {form: quick}, first_touch: 1s}
  - {name: default, first_touch: 1h}
rules:
  - {name: big, when: {company: Big}, route: big}
  - {name: everyone, when: {email: {exists: true}}, route: general}
"""


@pytest.fixture
def console_policy() -> str:
    return POLICY


def today() -> str:
    return datetime.now(NEW_YORK).date().isoformat()


def figures(page: Any) -> dict[str, tuple[str, str]]:
    """Each figure's label -> (value, link), read from the links' accessible names."""
    page.goto("/home")
    links = page.get_by_role("region", name="Today's figures").get_by_role("link")
    found = {}
    for i in range(links.count()):
        link = links.nth(i)
        label, _, value = str(link.get_attribute("aria-label")).partition(": ")
        found[label] = (value, str(link.get_attribute("href")))
    return found


def post_history(console: Console) -> None:
    """Today: two leads of the team, one held, one unassigned; yesterday: one more."""
    console.post_lead(company="Acme")
    console.post_lead(company="Globex")
    console.post_lead(company="Big")
    console.post_lead(email=None, phone="+14155550123")
    yesterday = datetime.now(NEW_YORK) - timedelta(days=1)
    console.post_lead(company="Initech", received_at=yesterday.isoformat())


def test_todays_figures_are_those_of_the_history_posted(console: Console, browser: Any) -> None:
    post_history(console)
    page = console.signed_in(browser, "maria@example.com")
    values = {label: value for label, (value, _) in figures(page).items()}
    assert values == {
        "Leads today": "4",
        "Assigned today": "2",
        "Median time to first touch": "—",
        "SLA breaches today": "0",
        "Held now": "1",
        "Unassigned now": "1",
    }


def test_each_figure_links_to_the_lead_list_of_the_leads_it_counts(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "admin@example.com")
    day = today()
    links = {label: href for label, (_, href) in figures(page).items()}
    assert links == {
        "Leads today": f"/leads?from={day}&to={day}",
        "Assigned today": f"/leads?from={day}&to={day}",
        "Median time to first touch": f"/leads?from={day}&to={day}",
        "SLA breaches today": f"/leads?from={day}&to={day}&sla_status=breached",
        "Held now": "/leads?status=queued",
        "Unassigned now": "/leads?status=unassigned",
    }


def test_the_median_time_to_first_touch_is_that_of_todays_touched_leads(
    console: Console, browser: Any
) -> None:
    ids = [console.post_lead(company=f"Acme {n}")["id"] for n in range(3)]
    for lead_id in ids:
        time.sleep(1.1)  # time must pass between assignment and touch: that is the figure
        answer = console.api("POST", f"/leads/{lead_id}/events", json={"type": "contacted"})
        assert answer.status_code == 200, answer.text
    waits = [console.api("GET", f"/leads/{i}").json()["first_touch_seconds"] for i in ids]
    middle = statistics.median(waits)
    page = console.signed_in(browser, "maria@example.com")
    assert figures(page)["Median time to first touch"][0] == f"{int(middle)}s"


def test_a_lead_whose_deadline_passed_is_a_breach_of_today(console: Console, browser: Any) -> None:
    lead_id = console.post_lead(company="Acme", form="quick")["id"]
    wait_for(lambda: console.api("GET", f"/leads/{lead_id}").json()["sla_status"] == "breached")
    page = console.signed_in(browser, "maria@example.com")
    assert figures(page)["SLA breaches today"][0] == "1"


def test_an_unassigned_lead_is_an_alert_that_says_why(console: Console, browser: Any) -> None:
    console.post_lead(email=None, phone="+14155550123", first_name="Walk-in")
    page = console.signed_in(browser, "maria@example.com")
    alerts = page.get_by_role("region", name="Needs attention")
    item = alerts.get_by_role("listitem").filter(has_text="Walk-in")
    assert "No rule placed the lead; the policy has no fallback pool" in item.inner_text()


def test_a_rep_may_not_open_the_home_of_managers(console: Console) -> None:
    assert status_of(console, "alice@example.com", "/home") == 403


def test_the_home_page_has_no_serious_accessibility_violation(
    console: Console, browser: Any
) -> None:
    post_history(console)
    page = console.signed_in(browser, "maria@example.com", axe=True)
    page.goto("/home")
    violations = serious_violations(page)
    assert violations == [], describe(violations)


def test_the_home_page_reads_at_a_phones_width_without_scrolling_sideways(
    console: Console, browser: Any
) -> None:
    post_history(console)
    page = console.signed_in(browser, "maria@example.com", width=390)
    page.goto("/home")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
