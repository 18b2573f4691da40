"""`leadflow report --html FILE`: one self-contained file with the charts and tables, from the
live database and from a simulation, that draws its charts in Chromium with the network off."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any

from test_cli_report import DEMO_WEEK, demo, leadflow
from typer.testing import CliRunner

from leadflow.cli import app

__all__ = ["demo"]  # the demo database fixture, shared with test_cli_report
VENDORED = resources.files("leadflow.console") / "static" / "vendor" / "chart.umd.min.js"
REMOTE = re.compile(
    r"""<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']?(?:https?:)?//"""
)


def written(url: str, path: Path, *args: str) -> str:
    done = leadflow(url, "report", *DEMO_WEEK, "--html", str(path), *args)
    assert done.exit_code == 0, done.output
    return path.read_text(encoding="utf-8")


def offline(browser: Any, path: Path) -> tuple[Any, list[str]]:
    """The file open in Chromium with the network off, once its charts are drawn, and every
    URL it asked for that is not the file itself."""
    context = browser.new_context(offline=True)
    page = context.new_page()
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if not r.url.startswith("file:") else None)
    page.goto(path.as_uri())
    page.wait_for_selector("html.charts-drawn", state="attached", timeout=10_000)
    return page, asked


def test_the_live_report_is_one_file_that_loads_nothing_from_the_network(
    demo: str, tmp_path: Path
) -> None:
    text = written(demo, tmp_path / "report.html", "--group-by", "source")
    assert REMOTE.search(text) is None
    assert "<script src=" not in text and "<link " not in text  # nothing to fetch, even here
    assert VENDORED.read_text(encoding="utf-8") in text  # Chart.js itself, inlined
    assert re.search(r'id="figure-leads".*?class="value">\s*400\s*<', text, re.S)


def test_the_live_report_draws_its_charts_offline(demo: str, tmp_path: Path, browser: Any) -> None:
    path = tmp_path / "report.html"
    written(demo, path, "--group-by", "source")
    page, asked = offline(browser, path)
    charts = page.evaluate("Object.keys(window.leadflowCharts)")
    # the demo's live week has no SLA verdict (nobody touched a lead): nothing to draw there
    assert charts == ["speed", "funnel", "fairness-0", "fairness-1", "fairness-2", "fairness-3"]
    assert "Nothing to draw" in page.locator("#chart-sla").inner_text()
    assert page.evaluate("window.leadflowCharts.speed.canvas.width") > 100
    assert asked == []
    page.context.close()


def test_a_simulations_report_has_the_outcomes_of_its_events(tmp_path: Path, browser: Any) -> None:
    demo_files = resources.files("leadflow") / "demo"
    decisions = tmp_path / "decisions.jsonl"
    simulated = CliRunner().invoke(app, ["demo", "--simulate", "--out", str(decisions)])
    assert simulated.exit_code == 0, simulated.output
    path = tmp_path / "replay.html"
    text = written(
        "sqlite:///" + str(tmp_path / "unused.sqlite"),
        path,
        "--simulation",
        str(decisions),
        "--leads",
        str(demo_files / "leads.csv"),
        "--events",
        str(demo_files / "events.jsonl"),
    )
    assert REMOTE.search(text) is None
    assert "A replay of decisions.jsonl" in text
    page, _ = offline(browser, path)
    won = page.locator("#chart-funnel tbody tr").first.locator("td").nth(4).inner_text()
    assert won.strip() == "16 (4.0%)"  # the demo's events win 16 of its 400 leads
    page.context.close()


def test_an_unwritable_html_path_fails_saying_so(demo: str, tmp_path: Path) -> None:
    done = leadflow(demo, "report", "--html", str(tmp_path / "no" / "such" / "dir.html"))
    assert done.exit_code == 2
    assert "cannot write" in done.output
