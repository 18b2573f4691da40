"""What the reports page and the HTML report draw: key figures and chart specs from a summary.

One module for both faces (the console's `/reports` and `leadflow report --html`), so the
page and the file show the same charts with the same numbers. It reads a summary as
`reports.engine.summary` returns it (and the hour × weekday groups of `figures_by_group`) and
computes nothing new: every number here is a figure of the engine, only chosen, ordered and
put into words. A figure that narrows to a group carries `leads`, the lead list's filters of
that group (`{"source": "web"}`), so the page can link it to the leads behind it; the file
ignores them.

A chart spec is `{"id", "title", "unit", "config"}`: `config` is a Chart.js configuration as
JSON (no functions: `static/js/reports.js` adds the `unit` to ticks and tooltips), and every
chart has a table of the same numbers beside it (`rows`), for whoever does not see the chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from leadflow.reports.periods import WEEKDAYS
from leadflow.simulate.sla_report import human_duration

# Colour-blind safe (Okabe–Ito), each at least 3:1 against white.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8a6d00", "#56b4e9", "#6b6b6b")
SPEED = (
    ("within_5m", "Within 5 min"),
    ("within_30m", "Within 30 min"),
    ("within_1h", "Within 1 hour"),
    ("within_1_working_day", "Within 1 working day"),
    ("never", "Not touched"),
)
STAGES: tuple[tuple[str, str], ...] = (
    ("contacted", "Contacted"),
    ("meeting", "Meeting"),
    ("qualified", "Qualified"),
    ("won", "Won"),
)
MOST_GROUPS = 8  # bars per funnel chart; the table lists every group
MOST_POOLS = 4  # pools drawn; the others are a table each
# Heatmap shading: the upper bound of each level's median time to first touch, in seconds.
HEAT = ((300, 1), (1800, 2), (3600, 3), (8 * 3600, 4))
GROUP_FILTER = {"source": "source", "rep": "owner", "pool": "pool", "rule": "rule"}


@dataclass(frozen=True)
class Compared:
    """What a report's two columns are: by default this period and the one before it; an
    audit's are the same leads after a policy and before it (`leadflow audit --html`)."""

    current: str = "This period"
    previous: str = "Previous period"
    short: str = "previous"  # beside each key figure: "previous 12m"
    note: str | None = None  # under the key figures; None: the previous period's dates
    heading: str = "Reports"
    tool: str = "leadflow report"


PERIODS = Compared()


@dataclass(frozen=True)
class Figure:
    """A key figure of the period beside the period before it.

    `change` says the difference in words (`+12%`, `−3.1 pts`, `2m faster`); `better` is
    whether the change is good news (None: no change, or nothing to compare).
    """

    key: str
    label: str
    shown: str
    previous: str
    change: str
    better: bool | None
    leads: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """One line of a chart's table: its label, its cells as shown, the leads behind it."""

    label: str
    cells: list[str]
    leads: dict[str, str] | None = None


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    caption: str
    unit: str  # "%", "s" (seconds) or "" (counts)
    config: dict[str, Any]
    columns: list[str]
    rows: list[Row]
    drawn: bool = True  # False: a table only (the pools past the first few)
    previous_column: int | None = None  # the cell that is the previous period's (its link)

    @property
    def has_data(self) -> bool:
        """Whether any value is there to draw (an SLA chart of a period without a verdict is
        an empty frame: the page says so instead)."""
        return any(v is not None for d in self.config["data"]["datasets"] for v in d["data"])

    def spec(self) -> dict[str, Any]:
        """What the browser reads: the Chart.js configuration and the unit of its values."""
        return {"id": self.id, "title": self.title, "unit": self.unit, "config": self.config}


@dataclass(frozen=True)
class Heatmap:
    """Median time to first touch by weekday (rows) and hour (columns), shaded by level 0–5."""

    hours: list[str]
    rows: list[tuple[str, list[tuple[str, int, int]]]]  # weekday, [(shown, level, leads)]


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}" if share in (0, 1) else f"{share:.1%}"


def duration(seconds: float | None) -> str:
    return "—" if seconds is None else human_duration(seconds)


def key_figures(summary: Mapping[str, Any]) -> list[Figure]:
    """Leads, assigned, medians to assignment and first touch, SLA met, meetings, won and
    reassigned, each with the previous period's value and the change."""
    now, before = summary["overall"], summary["previous"]["overall"]
    assign, touch = "time_to_assign", "time_to_first_touch"
    return [
        _count("leads", "Leads", now["leads"], before["leads"]),
        _count("assigned", "Assigned", now["assigned"], before["assigned"]),
        _wait("time_to_assign", "Median time to owner", now[assign], before[assign], "p50_seconds"),
        _wait("time_to_first_touch", "Median first touch", now[touch], before[touch]),
        _share("sla_met_share", "SLA met", now, before, higher_is_better=True),
        _share("meeting_share", "Meetings booked", now, before, higher_is_better=True),
        _share("won_share", "Won", now, before, higher_is_better=True),
        _share("reassigned_share", "Reassigned", now, before, higher_is_better=False),
    ]


def _count(key: str, label: str, now: int, before: int) -> Figure:
    if now == before:
        change = "no change"
    elif before == 0:
        change = "none before"
    else:
        change = f"{(now - before) / before:+.0%}".replace("-", "−")
    return Figure(key, label, f"{now:,}", f"{before:,}", change, None)


def _wait(
    key: str,
    label: str,
    now: Mapping[str, Any],
    before: Mapping[str, Any],
    which: str = "p50_seconds",
) -> Figure:
    a, b = now[which], before[which]
    if a is None or b is None or a == b:
        change, better = ("no change" if a == b and a is not None else ""), None
    else:
        change = f"{duration(abs(a - b))} {'faster' if a < b else 'slower'}"
        better = a < b
    return Figure(key, label, duration(a), duration(b), change, better)


def _share(
    key: str,
    label: str,
    now: Mapping[str, Any],
    before: Mapping[str, Any],
    *,
    higher_is_better: bool,
) -> Figure:
    a, b = now[key], before[key]
    leads = {"sla_status": "met"} if key == "sla_met_share" else {}
    if a is None or b is None:
        return Figure(key, label, percent(a), percent(b), "", None, leads)
    points = (a - b) * 100
    if abs(points) < 0.05:
        return Figure(key, label, percent(a), percent(b), "no change", None, leads)
    change = f"{points:+.1f} pts".replace("-", "−")
    return Figure(
        key, label, percent(a), percent(b), change, (points > 0) == higher_is_better, leads
    )


def speed_chart(summary: Mapping[str, Any], compared: Compared = PERIODS) -> Chart:
    """How soon assigned leads were first touched, this period against the one before."""
    now = summary["overall"]["time_to_first_touch"]
    before = summary["previous"]["overall"]["time_to_first_touch"]
    labels = [label.removeprefix("Within ") for _, label in SPEED]
    config = _bar(
        labels,
        [
            _dataset(compared.current, [_pct(now[k]) for k, _ in SPEED], 0),
            _dataset(compared.previous, [_pct(before[k]) for k, _ in SPEED], 6),
        ],
        y_max=100,
    )
    config["options"]["scales"]["x"] = {"title": {"display": True, "text": "First touched within"}}
    rows = [Row(label, [percent(now[k]), percent(before[k])], {}) for k, label in SPEED]
    return Chart(
        "speed",
        "Speed to lead",
        "Share of assigned leads first touched within each time (each includes the shorter "
        "ones; 1 working day is counted in the toucher's working time).",
        "%",
        config,
        ["", compared.current, compared.previous],
        rows,
        previous_column=1,
    )


def sla_chart(summary: Mapping[str, Any]) -> Chart:
    """SLA met share per day, week or month, with the leads received in each."""
    buckets = summary["over_time"]
    labels = [b["bucket"] for b in buckets]
    met = _dataset("SLA met", [_pct(b["sla_met_share"]) for b in buckets], 2)
    config: dict[str, Any] = {
        "type": "line",
        "data": {"labels": labels, "datasets": [{**met, "spanGaps": True, "tension": 0.2}]},
        "options": _options(y_max=100),
    }
    rows = [
        Row(
            b["bucket"],
            [
                f"{b['leads']:,}",
                f"{b['assigned']:,}",
                percent(b["sla_met_share"]),
                duration(b["time_to_first_touch_p50_seconds"]),
            ],
            _bucket_days(b["bucket"], summary["period"]),
        )
        for b in buckets
    ]
    return Chart(
        "sla",
        "SLA compliance over time",
        "Share of first-touch deadlines met, of those met or missed (running ones wait).",
        "%",
        config,
        ["", "Leads", "Assigned", "SLA met", "Median first touch"],
        rows,
    )


def funnel_chart(summary: Mapping[str, Any]) -> Chart:
    """Lead → contacted → meeting → qualified → won, per group (or overall)."""
    by = summary["group_by"]
    groups = summary["groups"] or [{"group": "All leads", "figures": summary["overall"]}]
    shown = groups[:MOST_GROUPS]
    labels = [_group_label(g["group"]) for g in shown]
    datasets = [
        _dataset(text, [_pct(g["figures"]["funnel"][stage]["share"]) for g in shown], i)
        for i, (stage, text) in enumerate(STAGES)
    ]
    rows = []
    for g in groups:
        f = g["figures"]
        cells = [f"{f['leads']:,}"] + [
            f"{f['funnel'][stage]['count']:,} ({percent(f['funnel'][stage]['share'])})"
            for stage, _ in STAGES
        ]
        rows.append(Row(_group_label(g["group"]), cells, _group_filters(by, g["group"])))
    return Chart(
        "funnel",
        f"Conversion by {_by_words(by)}" if by else "Conversion",
        "Share of the period's leads that reached each stage (of all leads received).",
        "%",
        _bar(labels, datasets),
        ["", "Leads", *(text for _, text in STAGES)],
        rows,
    )


def fairness_charts(summary: Mapping[str, Any]) -> list[Chart]:
    """Per pool (the busiest first): each rep's leads against the share they were owed."""
    charts = []
    for n, pool in enumerate(summary["fairness"]):
        reps = pool["reps"]
        labels = [r["rep"] for r in reps]
        datasets = [
            _dataset("Leads", [r["leads"] for r in reps], 0),
            _dataset("Owed", [round(r["expected"], 1) for r in reps], 6),
        ]
        charts.append(
            Chart(
                f"fairness-{n}",
                f"{pool['pool']} pool",
                f"Leads per rep from {pool['pool']} against the share each was owed while "
                f"eligible; largest deviation {_deviation(pool['deviation'])}.",
                "",
                _bar(labels, datasets),
                ["Rep", "Leads", "Owed", "Deviation"],
                fairness_rows(pool),
                drawn=n < MOST_POOLS,
            )
        )
    return charts


def fairness_rows(pool: Mapping[str, Any]) -> list[Row]:
    return [
        Row(
            r["rep"],
            [f"{r['leads']:,}", f"{r['expected']:.1f}", _deviation(r["deviation"])],
            {"pool": pool["pool"], "owner": r["rep"]},
        )
        for r in pool["reps"]
    ]


def heatmap(hour_groups: Sequence[Mapping[str, Any]]) -> Heatmap:
    """The hour × weekday cells of `figures_by_group(..., group_by="hour")`: the median
    time to first touch in each, shaded from 1 (within 5 min) to 5 (over 8 hours); 0 is a
    cell without a touched lead."""
    cells = {g["group"]: g["figures"] for g in hour_groups}
    hours = [f"{h:02d}" for h in range(24)]
    rows = []
    for day in WEEKDAYS:
        line = []
        for hour in hours:
            f = cells.get(f"{day} {hour}")
            median = f["time_to_first_touch"]["p50_seconds"] if f else None
            line.append((duration(median) if f else "", _level(median), f["leads"] if f else 0))
        rows.append((day, line))
    return Heatmap(hours, rows)


def charts(summary: Mapping[str, Any], compared: Compared = PERIODS) -> list[Chart]:
    """Every chart of a summary, in the order the page shows them."""
    return [
        speed_chart(summary, compared),
        sla_chart(summary),
        funnel_chart(summary),
        *fairness_charts(summary),
    ]


def _bucket_days(label: str, period: Mapping[str, str]) -> dict[str, str]:
    """The days of a day (2026-12-07), week (2026-W50) or month (2026-12) bucket, within the
    period: the lead list's `from` and `to`."""
    if "-W" in label:
        year, week = label.split("-W")
        first = date.fromisocalendar(int(year), int(week), 1)
        last = first + timedelta(days=6)
    elif label.count("-") == 1:
        first = date.fromisoformat(f"{label}-01")
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        first = last = date.fromisoformat(label)
    start, end = date.fromisoformat(period["from"]), date.fromisoformat(period["to"])
    return {"from": max(first, start).isoformat(), "to": min(last, end).isoformat()}


def _level(median: float | None) -> int:
    if median is None:
        return 0
    return next((level for bound, level in HEAT if median <= bound), 5)


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _deviation(value: float | None) -> str:
    return "—" if value is None else f"{value:+.0%}".replace("-", "−")


def _group_label(value: Any) -> str:
    return "(none)" if value is None else str(value)


def _group_filters(by: str | None, value: Any) -> dict[str, str] | None:
    """The lead list's filter for one group; None where the list cannot narrow to it (a
    tier, an hour), so its number is not offered as a link that would show other leads."""
    if by is None:
        return {}
    if by not in GROUP_FILTER or value is None:
        return None
    return {GROUP_FILTER[by]: str(value)}


def _by_words(by: str) -> str:
    return {"rep": "rep", "tier": "score tier", "hour": "hour of the week"}.get(by, by)


def _dataset(label: str, values: list[Any], colour: int) -> dict[str, Any]:
    c = PALETTE[colour % len(PALETTE)]
    return {"label": label, "data": values, "backgroundColor": c, "borderColor": c}


def _bar(
    labels: list[str], datasets: list[dict[str, Any]], y_max: int | None = None
) -> dict[str, Any]:
    return {
        "type": "bar",
        "data": {"labels": labels, "datasets": datasets},
        "options": _options(y_max),
    }


def _options(y_max: int | None = None) -> dict[str, Any]:
    y: dict[str, Any] = {"beginAtZero": True}
    if y_max is not None:
        y["max"] = y_max
    return {
        "animation": False,
        "maintainAspectRatio": False,
        "responsive": True,
        "scales": {"y": y},
        "plugins": {"legend": {"position": "bottom"}},
    }
