"""`/reports` in Chromium: the charts are drawn under the console's real CSP, the figures are
those of a history the test posts, a number opens the lead list of exactly its leads, and the
page holds up for a rep (403), for axe, at a phone's width, without JavaScript and with bad
input (422 beside the field)."""

from __future__ import annotations

from typing import Any

import pytest
from browser import Console, describe, serious_violations, sign_in
from console_client import signed_in_client, status_of

# No calendars (every hour is working time), no caps: every member of `general` is eligible
# for every lead, so each is owed an equal third of them.
POLICY = """\
version: 1
timezone: America/New_York
reps:
  - {id: alice, name: Alice Adams, email: alice@example.com}
  - {id: bob, name: Bob Brown, email: bob@example.com}
  - {id: chen, name: Chen Li, email: chen@example.com}
  - {id: dana, name: Dana Diaz, email: dana@example.com}
pools:
  general: {strategy: round_robin, members: [alice, bob, chen]}
sla:
  - {name: default, first_touch: 1h}
rules:
  - {name: everyone, when: {email: {exists: true}}, route: general}
"""
WEEK = "from=2026-11-02&to=2026-11-08&tz=America/New_York"
REPORT = f"/reports?{WEEK}&group_by=source"
# (first name, source, received in New York, first touched at once)
HISTORY = [
    ("Wendy", "webinar", "2026-11-02T09:15:00-05:00", True),
    ("Walt", "webinar", "2026-11-03T14:40:00-05:00", False),
    ("Wilma", "webinar", "2026-11-08T23:59:00-05:00", False),
    ("Paula", "partner", "2026-11-04T10:05:00-05:00", True),
    ("Peter", "partner", "2026-11-06T16:30:00-05:00", False),
]
BEFORE = ("Olga", "webinar", "2026-10-29T11:00:00-04:00")  # the week before
AFTER = ("Otto", "partner", "2026-11-09T00:01:00-05:00")  # the week after


@pytest.fixture
def console_policy() -> str:
    return POLICY


def post_history(console: Console) -> None:
    for name, source, at, touched in HISTORY:
        lead = console.post_lead(
            first_name=name, email=f"{name.lower()}@example.com", source=source, received_at=at
        )
        if touched:
            answer = console.api("POST", f"/leads/{lead['id']}/events", json={"type": "contacted"})
            assert answer.status_code == 200, answer.text
    for name, source, at in (BEFORE, AFTER):
        console.post_lead(
            first_name=name, email=f"{name.lower()}@example.com", source=source, received_at=at
        )


def drawn(page: Any, path: str = REPORT) -> Any:
    page.goto(path)
    page.wait_for_selector("html.charts-drawn", state="attached")
    return page


def table_of(page: Any, chart: str) -> dict[str, list[str]]:
    """A chart's table: row label -> its cells as shown."""
    rows = page.locator(f"#chart-{chart} tbody tr")
    out = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        out[row.locator("th").inner_text().strip()] = [
            c.strip() for c in row.locator("td").all_inner_texts()
        ]
    return out


def test_every_chart_is_drawn_on_a_canvas_under_the_consoles_csp(
    console: Console, browser: Any
) -> None:
    post_history(console)
    page = console.signed_in(browser, "maria@example.com")
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    drawn(page)
    sizes = page.evaluate(
        """() => Array.from(document.querySelectorAll("canvas[data-chart]")).map(c => ({
            id: c.dataset.chart, width: c.width, height: c.height,
            chart: Chart.getChart(c) !== undefined}))"""
    )
    assert [s["id"] for s in sizes] == ["speed", "sla", "funnel", "fairness-0"]
    assert all(s["chart"] and s["width"] > 100 and s["height"] > 100 for s in sizes), sizes
    assert refused == []


def test_the_charts_show_the_history_posted(console: Console, browser: Any) -> None:
    post_history(console)
    page = drawn(console.signed_in(browser, "maria@example.com"))
    labels = page.evaluate("window.leadflowCharts.funnel.data.labels")
    contacted = page.evaluate("window.leadflowCharts.funnel.data.datasets[0].data")
    speed = page.evaluate("window.leadflowCharts.speed.data.datasets[0].data")
    assert labels == ["webinar", "partner"]  # most leads first
    assert contacted == [33.3, 50.0]  # 1 of 3, 1 of 2
    assert speed[0] == 40.0 and speed[-1] == 60.0  # 2 of 5 touched within 5 min, 3 never


def test_the_key_figures_stand_beside_the_week_before(console: Console, browser: Any) -> None:
    post_history(console)
    page = drawn(console.signed_in(browser, "maria@example.com"))
    leads = page.locator("#figure-leads")
    assert leads.locator(".value").inner_text() == "5"
    assert "previous 1" in leads.locator(".hint").inner_text()
    assert "+400%" in leads.locator(".hint").inner_text()
    assert page.locator("#figure-sla_met_share .value").inner_text() == "100%"  # 2 met, none missed


def test_fairness_counts_each_reps_leads_against_an_equal_owed_share(
    console: Console, browser: Any
) -> None:
    post_history(console)
    page = drawn(console.signed_in(browser, "maria@example.com"))
    rows = table_of(page, "fairness-0")
    assert sorted(rows) == ["alice", "bob", "chen"]
    assert sorted(int(cells[0]) for cells in rows.values()) == [1, 2, 2]
    assert {cells[1] for cells in rows.values()} == {"1.7"}  # 5 leads / 3 reps


def test_a_number_opens_the_lead_list_of_exactly_the_leads_it_counts(
    console: Console, browser: Any
) -> None:
    post_history(console)
    page = drawn(console.signed_in(browser, "maria@example.com"))
    page.locator("#chart-funnel tbody tr", has_text="partner").locator("td a").first.click()
    page.wait_for_url("**/leads?**")
    names = page.locator(".lead-table .lead-who a").all_inner_texts()
    assert sorted(names) == ["Paula", "Peter"]  # not Otto, the week after


def test_the_previous_periods_figure_opens_its_own_leads(console: Console, browser: Any) -> None:
    post_history(console)
    page = drawn(console.signed_in(browser, "maria@example.com"))
    page.locator("#figure-leads .hint a").click()
    page.wait_for_url("**/leads?**")
    assert page.locator(".lead-table .lead-who a").all_inner_texts() == ["Olga"]


def test_a_rep_may_not_open_the_reports(console: Console) -> None:
    assert status_of(console, "alice@example.com", "/reports") == 403


def test_from_after_to_is_an_error_beside_its_field(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "maria@example.com")
    answer = page.goto("/reports?from=2026-11-09&to=2026-11-02")
    assert answer.status == 422
    assert page.locator("#r-from-error").inner_text() == "The start is after the end."


def test_an_unknown_zone_is_an_error_beside_its_field(console: Console, browser: Any) -> None:
    page = console.signed_in(browser, "maria@example.com")
    answer = page.goto("/reports?tz=Mars/Olympus")
    assert answer.status == 422
    assert "No such time zone" in page.locator("#r-tz-error").inner_text()


def test_without_javascript_the_figures_and_tables_show(console: Console, browser: Any) -> None:
    post_history(console)
    context = browser.new_context(base_url=console.url, java_script_enabled=False)
    console.pages.append(context)
    page = context.new_page()
    sign_in(page, "maria@example.com")
    page.goto(REPORT)
    assert page.locator("#figure-leads .value").inner_text() == "5"
    assert table_of(page, "funnel")["partner"][:2] == ["2", "1 (50.0%)"]


def test_the_reports_page_has_no_serious_accessibility_violation(
    console: Console, browser: Any
) -> None:
    post_history(console)
    page = drawn(console.signed_in(browser, "maria@example.com", axe=True))
    violations = serious_violations(page)
    assert violations == [], describe(violations)


def test_the_reports_page_reads_at_a_phones_width_without_scrolling_sideways(
    console: Console, browser: Any
) -> None:
    post_history(console)
    page = drawn(console.signed_in(browser, "maria@example.com", width=390))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    width = page.evaluate("document.querySelector('canvas[data-chart=speed]').width")
    assert 200 < width <= 390


def test_a_table_downloads_as_csv_with_the_pages_period(console: Console) -> None:
    post_history(console)
    client = signed_in_client(console, "maria@example.com")
    try:
        answer = client.get(f"/reports.csv?{WEEK}&group_by=source&table=funnel")
    finally:
        client.close()
    assert answer.status_code == 200
    lines = answer.text.splitlines()
    assert lines[0].startswith("source,leads,contacted")
    assert sorted(line.split(",")[:2] for line in lines[1:]) == [["partner", "2"], ["webinar", "3"]]
