"""The policy page in Chromium: check, dry run, publish, history, roll back, diff, and roles."""

from __future__ import annotations

import re
from typing import Any

import httpx
from browser import Console, describe, serious_violations, sign_in
from playwright.sync_api import expect
from shared_policy import POLICY

# The shared policy without working hours, so that a lead posted at any hour is assigned.
ANY_HOUR = POLICY.replace(", calendar: us-east", "")
BROKEN_LINE = "    route: nowhere"
BROKEN = ANY_HOUR.replace("    route: enterprise", BROKEN_LINE)


def publish(console: Console, text: str, message: str) -> int:
    answer = console.api(
        "PUT",
        "/policy",
        content=text,
        headers={"Content-Type": "text/yaml"},
        params={"message": message},
    )
    assert answer.status_code == 201, answer.text
    version: int = answer.json()["policy"]["version"]
    return version


def versions(console: Console) -> list[int]:
    return [v["version"] for v in console.api("GET", "/policy/versions").json()]


def policy_page(console: Console, browser: Any, email: str = "admin@example.com", **kw: Any) -> Any:
    page = console.signed_in(browser, email, **kw)
    page.goto("/policy")
    return page


def test_check_shows_an_error_at_its_line_and_column(console: Console, browser: Any) -> None:
    page = policy_page(console, browser)
    page.get_by_label("Policy YAML").fill(BROKEN)
    page.get_by_role("button", name="Check").click()
    line = BROKEN.splitlines().index(BROKEN_LINE) + 1
    problem = page.get_by_role("link", name=re.compile(rf"^Line {line}, column \d+ — error: "))
    expect(problem).to_contain_text("nowhere")


def test_a_problem_link_puts_the_caret_on_its_line(console: Console, browser: Any) -> None:
    page = policy_page(console, browser)
    page.get_by_label("Policy YAML").fill(BROKEN)
    page.get_by_role("button", name="Check").click()
    page.get_by_role("link", name=re.compile(r"^Line \d+, column \d+ — error: ")).click()
    editor = page.get_by_label("Policy YAML")
    expect(editor).to_be_focused()
    caret = editor.evaluate("el => el.selectionStart")
    start = BROKEN.index(BROKEN_LINE)
    assert start < caret <= start + len(BROKEN_LINE)


def test_the_text_typed_is_kept_after_check(console: Console, browser: Any) -> None:
    page = policy_page(console, browser)
    page.get_by_label("Policy YAML").fill(BROKEN)
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_label("Policy YAML")).to_have_value(BROKEN)


def test_publish_is_refused_while_the_text_has_errors(console: Console, browser: Any) -> None:
    page = policy_page(console, browser)
    page.get_by_label("Policy YAML").fill(BROKEN)
    page.get_by_label("Message").fill("this should not go out")
    with page.expect_response(lambda r: r.url.endswith("/policy/publish")) as answer:
        page.get_by_role("button", name="Publish").click()
    assert answer.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("nothing was published")
    assert versions(console) == [1]


def test_a_dry_run_lists_the_leads_that_would_go_to_someone_else(
    console: Console, browser: Any
) -> None:
    publish(console, ANY_HOUR, "any hour")
    mid = console.post_lead(email="mid@example.com", first_name="Mia", employees=600)
    console.post_lead(email="small@example.com", first_name="Sol", employees=20)
    assert mid["owner"] == "alice"
    page = policy_page(console, browser)
    page.get_by_label("Policy YAML").fill(ANY_HOUR.replace("gte: 1000", "gte: 500"))
    page.get_by_role("button", name="Dry run").click()
    moves = page.locator("#trial table.moves-table tbody tr")
    # 600 people now goes to Dana; the round robin then gives the small one to Alice, not Bob.
    expect(moves).to_have_count(2)
    link = moves.first.get_by_role("link", name="Mia")
    expect(link).to_have_attribute("href", f"/leads/{mid['id']}")
    expect(moves.first).to_contain_text("Alice Adams")
    expect(moves.first).to_contain_text("Dana Diaz")


def test_a_dry_run_counts_each_reps_leads_before_and_after(console: Console, browser: Any) -> None:
    publish(console, ANY_HOUR, "any hour")
    console.post_lead(email="mid@example.com", employees=600)
    page = policy_page(console, browser)
    page.get_by_label("Policy YAML").fill(ANY_HOUR.replace("gte: 1000", "gte: 500"))
    page.get_by_role("button", name="Dry run").click()
    dana = page.locator("table.reps-table tr", has=page.get_by_role("rowheader", name="Dana Diaz"))
    expect(dana.locator("td")).to_have_text(["0", "1", "+1"])


def test_a_published_version_is_in_the_history_with_its_message(
    console: Console, browser: Any
) -> None:
    page = policy_page(console, browser)
    page.get_by_label("Policy YAML").fill(ANY_HOUR)
    page.get_by_label("Message").fill("Reps take leads at any hour")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2 is published and active.")).to_be_visible()
    newest = page.locator(".versions li").first
    expect(newest).to_contain_text("Version 2")
    expect(newest).to_contain_text("Active")
    expect(newest).to_contain_text("Reps take leads at any hour")


def test_publishing_the_live_text_again_says_nothing_changed_and_makes_no_version(
    console: Console, browser: Any
) -> None:
    before = versions(console)
    page = policy_page(console, browser)  # the editor holds the live version's text
    page.get_by_role("button", name="Publish").click()
    expect(
        page.get_by_text(re.compile(r"^Nothing to publish: the text is version \d+'s"))
    ).to_be_visible()
    assert versions(console) == before


def test_after_publishing_the_page_lists_the_new_versions_warnings(
    console: Console, browser: Any
) -> None:
    page = policy_page(console, browser)
    idle_rep = "  - {id: eve, name: Eve Ernst, email: eve@example.com}\n"
    text = ANY_HOUR.replace("pools:\n", idle_rep + "pools:\n")
    page.get_by_label("Policy YAML").fill(text)
    page.get_by_label("Message").fill("Eve joins, in no pool yet")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2 is published and active.")).to_be_visible()
    line = text.splitlines().index(idle_rep.rstrip("\n")) + 1
    warning = page.get_by_role("link", name=re.compile(rf"^Line {line}, column \d+ — warning: "))
    expect(warning).to_contain_text("never get a lead")


def test_rolling_back_makes_the_old_version_active_again(console: Console, browser: Any) -> None:
    publish(console, ANY_HOUR, "any hour")
    page = policy_page(console, browser)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Roll back to v1").click()
    expect(page.get_by_text("Version 1 is active again.")).to_be_visible()
    assert console.api("GET", "/policy").json()["version"] == 1


def test_the_diff_between_two_versions_shows_the_changed_line(
    console: Console, browser: Any
) -> None:
    publish(console, POLICY.replace("gte: 1000", "gte: 500"), "smaller enterprise")
    publish(console, POLICY.replace("gte: 1000", "gte: 500") + "# v3\n", "a comment")
    page = policy_page(console, browser)
    page.get_by_label("From version").select_option("1")
    page.get_by_label("To version").select_option("2")
    page.get_by_role("button", name="Show diff").click()
    diff = page.locator("#diff pre.diff")
    expect(diff.locator(".d-del")).to_have_text(["-    when: {employees: {gte: 1000}}"])
    expect(diff.locator(".d-add")).to_have_text(["+    when: {employees: {gte: 500}}"])


def test_a_manager_can_check_a_policy(console: Console, browser: Any) -> None:
    page = policy_page(console, browser, "maria@example.com")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("No errors and no warnings.")).to_be_visible()


def test_a_manager_has_no_publish_and_no_roll_back(console: Console, browser: Any) -> None:
    publish(console, ANY_HOUR, "any hour")
    page = policy_page(console, browser, "maria@example.com")
    expect(page.get_by_role("button", name="Dry run")).to_be_visible()
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^Roll back"))).to_have_count(0)
    expect(page.get_by_label("Message")).to_have_count(0)


def test_a_publish_forged_by_a_manager_is_refused_and_publishes_nothing(
    console: Console, browser: Any
) -> None:
    page = policy_page(console, browser, "maria@example.com")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = httpx.post(
        f"{console.url}/policy/publish",
        cookies=cookies,
        data={"csrf_token": token, "text": ANY_HOUR, "message": "sneaky"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert versions(console) == [1]


def test_a_roll_back_forged_by_a_manager_is_refused(console: Console, browser: Any) -> None:
    publish(console, ANY_HOUR, "any hour")
    page = policy_page(console, browser, "maria@example.com")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    answer = httpx.post(
        f"{console.url}/policy/versions/1/activate",
        cookies=cookies,
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert console.api("GET", "/policy").json()["version"] == 2


def test_a_rep_gets_403_on_the_policy_page(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "alice@example.com")
    answer = page.goto("/policy")
    assert answer.status == 403


def test_publishing_works_with_javascript_off(console: Console, browser: Any) -> None:
    context = browser.new_context(base_url=console.url, java_script_enabled=False)
    console.pages.append(context)
    page = context.new_page()
    sign_in(page, "admin@example.com")
    page.goto("/policy")
    page.get_by_label("Policy YAML").fill(ANY_HOUR)
    page.get_by_label("Message").fill("no script needed")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Version 2 is published and active.")).to_be_visible()


def test_the_policy_page_with_problems_has_no_serious_accessibility_violation(
    console: Console, browser: Any
) -> None:
    page = console.signed_in(browser, "admin@example.com", axe=True)
    page.goto("/policy")
    page.get_by_label("Policy YAML").fill(BROKEN)
    page.get_by_role("button", name="Check").click()
    expect(page.locator(".problem").first).to_be_visible()
    violations = serious_violations(page)
    assert violations == [], describe(violations)


def test_the_dry_run_and_diff_have_no_serious_accessibility_violation(
    console: Console, browser: Any
) -> None:
    publish(console, ANY_HOUR, "any hour")
    console.post_lead(email="mid@example.com", employees=600)
    page = console.signed_in(browser, "admin@example.com", width=390, axe=True)
    page.goto("/policy")
    page.get_by_label("Policy YAML").fill(ANY_HOUR.replace("gte: 1000", "gte: 500"))
    page.get_by_role("button", name="Dry run").click()
    expect(page.locator("#trial")).to_be_visible()
    violations = serious_violations(page)
    assert violations == [], describe(violations)
