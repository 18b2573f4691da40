"""The reports' key figures, chart specs and tables (`reports.charts`, `reports.html`) from
summaries the tests write by hand: every number must be the summary's, put into words."""

from __future__ import annotations

import json
from typing import Any

from leadflow.reports import charts, html


def figures(leads: int = 0, assigned: int = 0, **given: Any) -> dict[str, Any]:
    """The figures of one group, as the engine names them; what is not given is empty."""
    touch = {
        "p50_seconds": None,
        "within_5m": None,
        "within_30m": None,
        "within_1h": None,
        "within_1_working_day": None,
        "never": None,
        **given.pop("touch", {}),
    }
    stages = given.pop("funnel", {})
    funnel = {
        stage: {"count": 0, "share": None, **stages.get(stage, {})}
        for stage in ("contacted", "meeting", "qualified", "won")
    }
    return {
        "leads": leads,
        "assigned": assigned,
        "time_to_assign": {"p50_seconds": given.pop("assign_p50", None)},
        "time_to_first_touch": touch,
        "sla_met_share": None,
        "meeting_share": None,
        "won_share": None,
        "reassigned_share": None,
        "funnel": funnel,
        **given,
    }


def summary(
    now: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    *,
    groups: list[dict[str, Any]] | None = None,
    group_by: str | None = None,
    over_time: list[dict[str, Any]] | None = None,
    fairness: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "period": {"from": "2026-11-25", "to": "2026-12-06", "tz": "America/New_York"},
        "group_by": group_by,
        "filters": {},
        "overall": now or figures(),
        "groups": groups or [],
        "previous": {
            "period": {"from": "2026-11-13", "to": "2026-11-24", "tz": "America/New_York"},
            "overall": before or figures(),
        },
        "over_time": over_time or [],
        "fairness": fairness or [],
    }


def by_key(s: dict[str, Any]) -> dict[str, charts.Figure]:
    return {f.key: f for f in charts.key_figures(s)}


def test_a_count_is_shown_beside_the_previous_period_with_the_change_in_percent() -> None:
    leads = by_key(summary(figures(leads=120), figures(leads=100)))["leads"]
    assert (leads.shown, leads.previous, leads.change) == ("120", "100", "+20%")


def test_a_fall_in_leads_is_written_with_a_minus_sign() -> None:
    leads = by_key(summary(figures(leads=75), figures(leads=100)))["leads"]
    assert leads.change == "−25%"


def test_a_shorter_median_first_touch_is_faster_and_good_news() -> None:
    now = figures(touch={"p50_seconds": 300})
    before = figures(touch={"p50_seconds": 900})
    touch = by_key(summary(now, before))["time_to_first_touch"]
    assert (touch.shown, touch.previous, touch.change, touch.better) == (
        "5m",
        "15m",
        "10m faster",
        True,
    )


def test_a_share_changes_in_points_and_more_reassignment_is_bad_news() -> None:
    now = figures(sla_met_share=0.9, reassigned_share=0.15)
    before = figures(sla_met_share=0.8, reassigned_share=0.05)
    found = by_key(summary(now, before))
    assert (found["sla_met_share"].shown, found["sla_met_share"].change) == ("90.0%", "+10.0 pts")
    assert found["sla_met_share"].better is True
    assert (found["reassigned_share"].change, found["reassigned_share"].better) == (
        "+10.0 pts",
        False,
    )


def test_a_figure_without_a_previous_value_says_no_change_rather_than_inventing_one() -> None:
    found = by_key(summary(figures(sla_met_share=0.5), figures()))
    assert (found["sla_met_share"].previous, found["sla_met_share"].change) == ("—", "")
    assert found["sla_met_share"].better is None


def test_the_speed_chart_has_the_five_bands_of_this_and_the_previous_period() -> None:
    now = figures(
        touch={
            "within_5m": 0.4,
            "within_30m": 0.7,
            "within_1h": 0.85,
            "within_1_working_day": 0.95,
            "never": 0.05,
        }
    )
    before = figures(touch={"within_5m": 0.25, "never": 0.5})
    chart = charts.speed_chart(summary(now, before))
    this, previous = chart.config["data"]["datasets"]
    assert chart.config["data"]["labels"] == [
        "5 min",
        "30 min",
        "1 hour",
        "1 working day",
        "Not touched",
    ]
    assert [r.label for r in chart.rows][:2] == ["Within 5 min", "Within 30 min"]
    assert this["data"] == [40.0, 70.0, 85.0, 95.0, 5.0]
    assert previous["data"] == [25.0, None, None, None, 50.0]
    assert chart.rows[0].cells == ["40.0%", "25.0%"]
    assert chart.rows[4].cells == ["5.0%", "50.0%"]


def test_the_funnel_has_a_bar_per_source_and_each_row_links_to_that_sources_leads() -> None:
    web = figures(leads=10, funnel={"won": {"count": 2, "share": 0.2}})
    ads = figures(leads=4, funnel={"contacted": {"count": 3, "share": 0.75}})
    groups = [{"group": "web", "figures": web}, {"group": "ads", "figures": ads}]
    chart = charts.funnel_chart(summary(groups=groups, group_by="source"))
    datasets = {d["label"]: d["data"] for d in chart.config["data"]["datasets"]}
    assert chart.config["data"]["labels"] == ["web", "ads"]
    assert datasets["Won"] == [20.0, None]
    assert datasets["Contacted"] == [None, 75.0]
    assert [(r.label, r.cells[0], r.cells[4], r.leads) for r in chart.rows] == [
        ("web", "10", "2 (20.0%)", {"source": "web"}),
        ("ads", "4", "0 (—)", {"source": "ads"}),
    ]


def test_a_group_the_lead_list_cannot_filter_by_is_not_a_link() -> None:
    groups = [{"group": "hot", "figures": figures(leads=3)}]
    chart = charts.funnel_chart(summary(groups=groups, group_by="tier"))
    assert chart.rows[0].leads is None


def test_a_rep_group_links_to_the_lead_list_by_owner() -> None:
    groups = [{"group": "ann", "figures": figures(leads=3)}]
    chart = charts.funnel_chart(summary(groups=groups, group_by="rep"))
    assert chart.rows[0].leads == {"owner": "ann"}


def test_fairness_draws_leads_against_owed_per_rep_of_the_busiest_pools_only() -> None:
    pools = [
        {
            "pool": f"pool-{n}",
            "assigned": 9,
            "deviation": 0.25,
            "reps": [
                {"rep": "ann", "leads": 5, "expected": 4.0, "deviation": 0.25},
                {"rep": "ben", "leads": 4, "expected": 5.0, "deviation": -0.2},
            ],
        }
        for n in range(6)
    ]
    drawn = charts.fairness_charts(summary(fairness=pools))
    first = drawn[0]
    assert [c.drawn for c in drawn] == [True] * charts.MOST_POOLS + [False, False]
    assert [d["data"] for d in first.config["data"]["datasets"]] == [[5, 4], [4.0, 5.0]]
    assert [r.cells for r in first.rows] == [["5", "4.0", "+25%"], ["4", "5.0", "−20%"]]
    assert first.rows[1].leads == {"pool": "pool-0", "owner": "ben"}


def test_sla_over_time_is_the_met_share_of_each_week_linked_to_its_days_in_the_period() -> None:
    weeks = [
        {
            "bucket": "2026-W48",
            "leads": 8,
            "assigned": 7,
            "sla_met_share": 0.5,
            "time_to_first_touch_p50_seconds": 90,
        },
        {
            "bucket": "2026-W49",
            "leads": 0,
            "assigned": 0,
            "sla_met_share": None,
            "time_to_first_touch_p50_seconds": None,
        },
    ]
    chart = charts.sla_chart(summary(over_time=weeks))
    assert chart.config["data"]["datasets"][0]["data"] == [50.0, None]
    assert chart.rows[0].cells == ["8", "7", "50.0%", "90s"]
    # week 48 is Nov 23-29, clipped to the period's start (Nov 25); week 49 ends Dec 6
    assert chart.rows[0].leads == {"from": "2026-11-25", "to": "2026-11-29"}
    assert chart.rows[1].leads == {"from": "2026-11-30", "to": "2026-12-06"}


def test_the_heatmap_shades_each_hour_by_its_median_first_touch() -> None:
    hours = [
        {"group": "Mon 09", "figures": figures(leads=3, touch={"p50_seconds": 120})},
        {"group": "Tue 14", "figures": figures(leads=1, touch={"p50_seconds": 4000})},
        {"group": "Sun 23", "figures": figures(leads=2)},  # none touched yet
    ]
    heat = charts.heatmap(hours)
    cells = {
        (day, h): cell for day, line in heat.rows for h, cell in zip(heat.hours, line, strict=True)
    }
    assert len(heat.rows) == 7 and len(heat.hours) == 24
    assert cells["Mon", "09"] == ("2m", 1, 3)
    assert cells["Tue", "14"] == ("67m", 4, 1)
    assert cells["Sun", "23"] == ("—", 0, 2)
    assert cells["Wed", "03"] == ("", 0, 0)


def test_a_chart_without_a_single_value_is_not_drawn() -> None:
    empty_week = {
        "bucket": "2026-W48",
        "leads": 3,
        "assigned": 3,
        "sla_met_share": None,
        "time_to_first_touch_p50_seconds": None,
    }
    chart = charts.sla_chart(summary(over_time=[empty_week]))
    assert not chart.has_data
    assert "sla" not in {s["id"] for s in json.loads(str(html.chart_data([chart])))}


def test_the_chart_data_block_cannot_be_ended_by_a_group_named_like_a_closing_tag() -> None:
    won = figures(leads=1, funnel={"won": {"count": 1, "share": 1.0}})
    groups = [{"group": "</script><b>x", "figures": won}]
    block = str(html.chart_data(charts.charts(summary(groups=groups, group_by="source"))))
    assert "</script>" not in block and "<b>" not in block
    funnel = next(s for s in json.loads(block) if s["id"] == "funnel")
    assert funnel["config"]["data"]["labels"] == ["</script><b>x"]


def test_the_body_shows_a_group_as_text_and_links_its_numbers_where_given_a_link() -> None:
    groups = [{"group": "<i>web</i>", "figures": figures(leads=7)}]
    s = summary(figures(leads=7), groups=groups, group_by="source")
    linked = str(html.body(s, [], lambda leads, previous=False: f"/leads?n={len(leads or {})}"))
    plain = str(html.body(s, []))
    assert "&lt;i&gt;web&lt;/i&gt;" in linked and "<i>web</i>" not in linked
    assert 'href="/leads?n=1"' in linked  # the group's row: its source filter
    assert "/leads" not in plain


def test_the_pools_past_the_busiest_are_folded_away_as_tables() -> None:
    pools = [
        {
            "pool": f"pool-{n}",
            "assigned": 1,
            "deviation": 0.0,
            "reps": [{"rep": "ann", "leads": 1, "expected": 1.0, "deviation": 0.0}],
        }
        for n in range(charts.MOST_POOLS + 2)
    ]
    page = str(html.body(summary(fairness=pools), []))
    shown, folded = page.split("<details", 1)
    assert "2 more pools" in folded
    assert 'id="chart-fairness-4"' in folded and 'id="chart-fairness-5"' in folded
    assert 'id="chart-fairness-3"' in shown and 'data-chart="fairness-3"' in shown
    assert "data-chart" not in folded  # tables only, no canvas
