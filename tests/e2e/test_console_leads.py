"""The lead list and a lead's page, in Chromium: filters, paging, the export, what a rep may
see, the decision in words, a manager's moves and a junk lead restored."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from browser import Console, describe, serious_violations, sign_in
from playwright.sync_api import expect

NY = ZoneInfo("America/New_York")
# The shared test policy, open every hour of every day (the browser runs on the real clock),
# with a junk rule for companies named "Spam...".
POLICY = """\
version: 1
timezone: America/New_York
calendars:
  always: {hours: {daily: ["00:00-24:00"]}}
reps:
  - {id: alice, name: Alice Adams, email: alice@example.com, calendar: always}
  - {id: bob, name: Bob Brown, email: bob@example.com, calendar: always}
  - {id: chen, name: Chen Li, email: chen@example.com, calendar: always}
  - {id: dana, name: Dana Diaz, email: dana@example.com, calendar: always}
pools:
  general: {strategy: round_robin, members: [alice, bob, chen]}
  enterprise: {strategy: round_robin, members: [dana], overflow: general}
junk:
  blocked_patterns:
    company: ['(?i)^spam']
rules:
  - name: enterprise
    when: {employees: {gte: 1000}}
    route: enterprise
fallback: general
"""


@pytest.fixture
def console_policy() -> str:
    return POLICY


def rows(page: Any) -> Any:
    return page.locator("table.lead-table tbody tr")


def lead_ids(page: Any) -> list[str]:
    links = page.locator("table.lead-table tbody td.lead-who a")
    return [str(href).rsplit("/", 1)[1] for href in links.evaluate_all("as => as.map(a => a.href)")]


def test_the_status_filter_leaves_only_leads_of_that_status(console: Console, browser: Any) -> None:
    console.post_lead(email="ana@lumen.com", company="Lumen")
    console.post_lead(email="tom@kessler.com", company="Kessler")
    junk = console.post_lead(email="bot@spam.example", company="Spam Inc")
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/leads")
    expect(rows(page)).to_have_count(3)
    page.get_by_label("Status").select_option(label="Junk")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"status=junk"))
    expect(rows(page)).to_have_count(1)
    assert lead_ids(page) == [junk["id"]]


def test_the_owner_filter_leaves_only_that_rep_s_leads(console: Console, browser: Any) -> None:
    owners = [console.post_lead(email=f"lead{i}@example.com")["owner"] for i in range(6)]
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/leads")
    page.get_by_label("Owner").select_option(label="Bob Brown")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"owner=bob"))
    expect(rows(page)).to_have_count(owners.count("bob"))
    assert set(page.locator("td[data-label=Owner]").all_inner_texts()) == {"Bob Brown"}


def test_the_search_finds_a_lead_by_part_of_its_company_whatever_the_case(
    console: Console, browser: Any
) -> None:
    wanted = console.post_lead(email="priya@northwind.com", company="Northwind Health")
    console.post_lead(email="tom@kessler.com", company="Kessler Logistics")
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/leads")
    page.get_by_label("Search").fill("NORTHWIND")
    page.get_by_label("Search").press("Enter")
    page.wait_for_url(re.compile(r"q=NORTHWIND"))
    expect(rows(page)).to_have_count(1)
    assert lead_ids(page) == [wanted["id"]]


def test_paging_newest_first_over_120_leads_shows_each_once_and_newer_comes_back(
    console: Console, browser: Any
) -> None:
    posted = [console.post_lead(email=f"p{i}@example.com")["id"] for i in range(120)]
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/leads")
    pages = [lead_ids(page)]
    while page.get_by_role("link", name="Older →").count():
        page.get_by_role("link", name="Older →").click()
        page.wait_for_load_state()
        pages.append(lead_ids(page))
    page.get_by_role("link", name="← Newer").click()
    page.wait_for_load_state()
    assert [len(p) for p in pages] == [50, 50, 20]
    assert [i for p in pages for i in p] == posted[::-1]
    assert lead_ids(page) == pages[1]


def test_the_export_holds_every_lead_the_filters_hold_not_only_one_page(
    console: Console, browser: Any
) -> None:
    webinar = {
        console.post_lead(email=f"w{i}@example.com", source="webinar")["id"] for i in range(55)
    }
    console.post_lead(email="site@example.com", source="website")
    page = console.signed_in(browser, "maria@example.com")
    page.goto("/leads?source=webinar")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8-sig") as file:
        exported = list(csv.DictReader(file))
    assert {row["id"] for row in exported} == webinar
    assert {row["source"] for row in exported} == {"webinar"}


def test_an_exported_name_that_is_a_formula_is_written_as_text(console: Console) -> None:
    formula = '=HYPERLINK("http://evil.example","Click")'
    console.post_lead(email="f@example.com", first_name=formula, last_name="Doe")
    answer = httpx.get(
        f"{console.url}/leads.csv", cookies=cookies(console, "maria@example.com"), timeout=30
    )
    (row,) = csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))
    assert answer.headers["content-type"].startswith("text/csv")
    assert row["first_name"] == "'" + formula
    assert row["received_at"].endswith("Z")


def cookies(console: Console, email: str) -> dict[str, str]:
    """The session cookies of `email`, signed in over HTTP (no browser needed)."""
    from browser import PASSWORD

    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as client:
        client.get("/login")
        token = client.cookies.get("lf_login_csrf") or ""
        answer = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert answer.status_code == 303, answer.text
        return {"lf_session": client.cookies["lf_session"]}


def test_a_status_that_is_not_one_is_an_error_beside_its_field_not_an_empty_list(
    console: Console,
) -> None:
    console.post_lead(email="s@example.com")
    answer = httpx.get(
        f"{console.url}/leads?status=bogus",
        cookies=cookies(console, "maria@example.com"),
        timeout=30,
    )
    assert answer.status_code == 422
    assert "Choose one of the statuses." in answer.text


def test_a_rep_s_list_holds_only_the_leads_it_owns(console: Console, browser: Any) -> None:
    posted = [console.post_lead(email=f"r{i}@example.com") for i in range(6)]
    bobs = [lead["id"] for lead in posted if lead["owner"] == "bob"]
    page = console.signed_in(browser, "bob@example.com")
    page.goto("/leads")
    assert len(bobs) == 2
    assert sorted(lead_ids(page)) == sorted(bobs)


def test_another_rep_s_lead_is_a_404_page_for_a_rep(console: Console, browser: Any) -> None:
    posted = [console.post_lead(email=f"a{i}@example.com") for i in range(3)]
    (theirs,) = [lead for lead in posted if lead["owner"] == "alice"]
    page = console.signed_in(browser, "bob@example.com")
    answer = page.goto(f"/leads/{theirs['id']}")
    assert answer.status == 404
    assert "text/html" in answer.headers["content-type"]
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_a_lead_that_does_not_exist_is_a_404_page(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "maria@example.com")
    answer = page.goto("/leads/no-such-lead")
    assert answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_a_name_that_is_a_script_shows_as_those_characters(console: Console, browser: Any) -> None:
    name = "<script>alert(1)</script>"
    lead = console.post_lead(email="x@example.com", first_name=name, last_name="")
    page = console.signed_in(browser, "maria@example.com")
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"/leads/{lead['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.goto("/leads")
    expect(page.get_by_role("link", name=name)).to_be_visible()
    assert dialogs == []


def test_the_decision_says_a_rep_set_away_was_passed_over_and_since_when(
    console: Console, browser: Any
) -> None:
    before = datetime.now(NY)
    assert console.api("PATCH", "/reps/alice", json={"presence": "away"}).status_code == 200
    after = datetime.now(NY)
    lead = console.post_lead(email="w@example.com")
    page = console.signed_in(browser, "maria@example.com")
    page.goto(f"/leads/{lead['id']}")
    alice = page.locator("ul.candidates li", has_text="Alice Adams")
    times = {f"{t:%H:%M} {t.tzname()}" for t in (before, after)}
    expect(alice).to_have_count(1)
    assert alice.locator(".why").inner_text() in {f"Away (since {t})" for t in times}


def test_the_decision_says_which_rep_was_picked_next_in_the_round_robin(
    console: Console, browser: Any
) -> None:
    first = console.post_lead(email="one@example.com")
    second = console.post_lead(email="two@example.com")
    page = console.signed_in(browser, "maria@example.com")
    page.goto(f"/leads/{second['id']}")
    picked = page.locator("ul.candidates li.picked")
    names = {"alice": "Alice Adams", "bob": "Bob Brown", "chen": "Chen Li"}
    expect(picked.locator(".who")).to_have_text(names[second["owner"]])
    expect(picked.locator(".why")).to_have_text(
        f"Picked: next in the round robin after {names[first['owner']]}"
    )


def test_the_decision_says_why_a_rule_matched(console: Console, browser: Any) -> None:
    lead = console.post_lead(email="big@example.com", employees=1200)
    page = console.signed_in(browser, "maria@example.com")
    page.goto(f"/leads/{lead['id']}")
    expect(page.locator("ul.rules li.rule-yes")).to_contain_text(
        "enterprise — matched: employees was 1200 (needs ≥ 1000)"
    )


def test_a_manager_reassigns_a_lead_to_the_rep_chosen(console: Console, browser: Any) -> None:
    lead = console.post_lead(email="move@example.com")
    target = "chen" if lead["owner"] != "chen" else "bob"
    label = {"chen": "Chen Li", "bob": "Bob Brown"}[target]
    page = console.signed_in(browser, "maria@example.com")
    page.goto(f"/leads/{lead['id']}")
    page.get_by_label("Reassign to").select_option(label=label)
    page.get_by_role("button", name="Reassign").click()
    expect(page.get_by_role("status")).to_have_text(f"Reassigned: the lead is now with {label}.")
    assert console.api("GET", f"/leads/{lead['id']}").json()["owner"] == target


def test_with_javascript_off_a_manager_still_reassigns_by_a_plain_form_post(
    console: Console, browser: Any
) -> None:
    lead = console.post_lead(email="nojs@example.com")
    target, label = ("chen", "Chen Li") if lead["owner"] != "chen" else ("bob", "Bob Brown")
    context = browser.new_context(base_url=console.url, java_script_enabled=False)
    console.pages.append(context)
    page = context.new_page()
    sign_in(page, "maria@example.com")
    page.goto(f"/leads/{lead['id']}")
    page.get_by_label("Reassign to").select_option(label=label)
    page.get_by_role("button", name="Reassign").click()
    expect(page.get_by_role("status")).to_have_text(f"Reassigned: the lead is now with {label}.")
    assert console.api("GET", f"/leads/{lead['id']}").json()["owner"] == target


def test_route_again_gives_the_lead_to_someone_who_never_had_it(
    console: Console, browser: Any
) -> None:
    lead = console.post_lead(email="again@example.com")
    page = console.signed_in(browser, "maria@example.com")
    page.goto(f"/leads/{lead['id']}")
    page.get_by_role("button", name="Route again").click()
    expect(page.get_by_role("status")).to_contain_text("Routed again: the lead is now with")
    now = console.api("GET", f"/leads/{lead['id']}").json()
    assert now["owner"] not in (None, lead["owner"])
    assert now["previous_owners"] == [lead["owner"]]


def test_a_junk_lead_is_restored_and_routed(console: Console, browser: Any) -> None:
    lead = console.post_lead(email="real@person.example", company="Spamalot Theatre")
    assert lead["status"] == "junk"
    page = console.signed_in(browser, "maria@example.com")
    page.goto(f"/leads/{lead['id']}")
    expect(page.get_by_role("button", name="Reassign")).to_have_count(0)
    page.get_by_role("button", name="Restore").click()
    expect(page.get_by_role("status")).to_contain_text("Restored: the lead is now with")
    assert console.api("GET", f"/leads/{lead['id']}").json()["status"] == "assigned"


def test_a_rep_sees_no_manager_actions_on_its_own_lead(console: Console, browser: Any) -> None:
    lead = console.post_lead(email="mine@example.com")
    email = f"{lead['owner']}@example.com"
    page = console.signed_in(browser, email)
    page.goto(f"/leads/{lead['id']}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("button", name="Reassign")).to_have_count(0)
    expect(page.get_by_role("button", name="Route again")).to_have_count(0)


def test_the_owner_accepts_its_lead_on_the_lead_s_page(console: Console, browser: Any) -> None:
    lead = console.post_lead(email="accept@example.com")
    page = console.signed_in(browser, f"{lead['owner']}@example.com")
    page.goto(f"/leads/{lead['id']}")
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_have_text("Accepted.")
    assert console.api("GET", f"/leads/{lead['id']}").json()["status"] == "accepted"


def test_a_rejection_without_a_reason_asks_for_one_and_changes_nothing(
    console: Console, browser: Any
) -> None:
    lead = console.post_lead(email="why@example.com")
    page = console.signed_in(browser, f"{lead['owner']}@example.com")
    page.goto(f"/leads/{lead['id']}")
    page.get_by_role("button", name="Reject").click()
    expect(page.get_by_text("Say why, so that the next rep and your manager know.")).to_be_visible()
    assert console.api("GET", f"/leads/{lead['id']}").json()["owner"] == lead["owner"]


def test_a_lead_rejected_with_a_reason_leaves_the_rep_s_list(
    console: Console, browser: Any
) -> None:
    lead = console.post_lead(email="notmine@example.com")
    page = console.signed_in(browser, f"{lead['owner']}@example.com")
    page.goto(f"/leads/{lead['id']}")
    page.get_by_label("Reason to reject").fill("Not my territory")
    page.get_by_role("button", name="Reject").click()
    page.wait_for_url(re.compile(r"/leads\?done=rejected$"))
    expect(page.get_by_role("status")).to_contain_text("Rejected")
    assert lead["id"] not in lead_ids(page)


def test_a_reassignment_posted_by_a_rep_is_refused_and_changes_nothing(console: Console) -> None:
    lead = console.post_lead(email="keep@example.com")
    owner = lead["owner"]
    jar = cookies(console, f"{owner}@example.com")
    page = httpx.get(f"{console.url}/leads/{lead['id']}", cookies=jar, timeout=30)
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page.text)
    assert csrf is not None
    answer = httpx.post(
        f"{console.url}/leads/{lead['id']}/reassign",
        data={"csrf_token": csrf.group(1), "rep": "dana"},
        cookies=jar,
        timeout=30,
    )
    assert answer.status_code == 403
    assert console.api("GET", f"/leads/{lead['id']}").json()["owner"] == owner


def test_the_lead_list_has_no_serious_accessibility_violation(
    console: Console, browser: Any
) -> None:
    for i in range(3):
        console.post_lead(email=f"ax{i}@example.com", first_name="Ana", company="Lumen")
    page = console.signed_in(browser, "maria@example.com", axe=True)
    page.goto("/leads")
    violations = serious_violations(page)
    assert violations == [], describe(violations)


def test_a_lead_s_page_has_no_serious_accessibility_violation(
    console: Console, browser: Any
) -> None:
    assert console.api("PATCH", "/reps/alice", json={"presence": "away"}).status_code == 200
    lead = console.post_lead(email="ax@example.com", first_name="Ana", employees=1500)
    console.api("POST", f"/leads/{lead['id']}/reassign", json={})
    page = console.signed_in(browser, "maria@example.com", axe=True)
    page.goto(f"/leads/{lead['id']}")
    violations = serious_violations(page)
    assert violations == [], describe(violations)


def test_a_phone_sees_the_leads_first_and_opens_the_filters_on_demand(
    console: Console, browser: Any
) -> None:
    console.post_lead(email="phone@example.com")
    page = console.signed_in(browser, "maria@example.com", width=390)
    page.goto("/leads")
    expect(page.get_by_label("Status")).to_be_hidden()
    page.get_by_role("button", name="Filters", exact=True).click()
    expect(page.get_by_label("Status")).to_be_visible()
