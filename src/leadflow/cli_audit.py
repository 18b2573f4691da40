"""`leadflow audit EXPORT.csv`: a CRM export's speed to lead and fairness, before and after.

Reads the export (`reports.crm_export`), counts it with the report engine (`reports.audit`),
and with `--policy` the same leads simulated under that policy beside it. Bad rows are listed
by line and left out; the rest are reported.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadflow.cli_report import day as day_of
from leadflow.cli_report import fail, write_page

console = Console()
errors = Console(stderr=True)
GROUPS = {"source": "source", "owner": "rep", "rep": "rep", "hour": "hour", "pool": "pool"}
SHOWN_BAD = 20  # bad rows listed on the terminal; JSON lists them all

# The figures an audit shows on the terminal: (label, path in a group's figures, kind).
FIGURES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("leads", ("leads",), "count"),
    ("owned", ("assigned",), "count"),
    ("time to owner, median", ("time_to_assign", "p50_seconds"), "duration"),
    ("time to owner, p90", ("time_to_assign", "p90_seconds"), "duration"),
    ("time to first touch, median", ("time_to_first_touch", "p50_seconds"), "duration"),
    ("time to first touch, p90", ("time_to_first_touch", "p90_seconds"), "duration"),
    ("touched within 5 min", ("time_to_first_touch", "within_5m"), "share"),
    ("touched within 1 h", ("time_to_first_touch", "within_1h"), "share"),
    ("never touched", ("time_to_first_touch", "never"), "share"),
    ("duplicates (same email)", ("duplicate_share",), "share"),
    ("held for a pool", ("held",), "count"),
    ("unassigned", ("unassigned",), "count"),
)


def audit(
    export: Annotated[Path, typer.Argument(help="The CRM export of leads (CSV).")],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="COLUMN=FIELD (repeat it), or a file of such lines. Fields: created, owner, "
            "assigned, touched, status, source, email, first_name, last_name, company, id; "
            "ignore: a column not to read.",
        ),
    ] = None,
    tz: Annotated[
        str, typer.Option(help="The zone of times without an offset, and of days and hours.")
    ] = "UTC",
    from_: Annotated[
        str | None,
        typer.Option("--from", help="First day, YYYY-MM-DD (default: the export's first)."),
    ] = None,
    to: Annotated[
        str | None, typer.Option(help="Last day, inclusive (default: the export's last).")
    ] = None,
    group_by: Annotated[
        str | None, typer.Option(help="source, owner or hour (hour of the week).")
    ] = None,
    format: Annotated[str, typer.Option(help="table, json or csv.")] = "table",
    table: Annotated[
        str, typer.Option(help="With --format csv: speed, routing, quality or fairness.")
    ] = "speed",
    policy: Annotated[
        Path | None,
        typer.Option(help="A policy YAML: the same leads simulated under it, beside them."),
    ] = None,
    day_first: Annotated[
        bool, typer.Option("--day-first", help="Dates such as 23/11/2026 are day first.")
    ] = False,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html", help="Also write the report with its charts to this HTML file (offline)."
        ),
    ] = None,
) -> None:
    """Audit a CRM export: time to owner, time to first touch, leads never touched, leads per
    owner against an even share, duplicates; by source or hour of the week.

    HubSpot, Salesforce and Pipedrive column names are recognised; --map names others. With
    --policy, the same leads routed by that policy (the simulator of `leadflow simulate`, the
    CRM's first touches kept) are shown beside them: before and after.
    """
    from leadflow.reports import audit as audit_of
    from leadflow.reports.crm_export import BadRow, ExportError, ExportRow, parse_maps, read_export
    from leadflow.reports.engine import Query, ReportError, figures_by_group
    from leadflow.reports.engine import summary as summary_of
    from leadflow.reports.periods import Period, PeriodError
    from leadflow.reports.tables import NAMES

    if format not in ("table", "json", "csv"):
        fail(f"--format must be table, json or csv, not {format!r}")
    if table not in NAMES:
        fail(f"--table must be one of {', '.join(NAMES)}, not {table!r}")
    if group_by is not None and group_by not in GROUPS:
        fail(f"--group-by must be one of {', '.join(GROUPS)}, not {group_by!r}")
    if not export.is_file():
        fail(f"{export} does not exist")
    if policy is not None and not policy.is_file():
        fail(f"--policy: {policy} does not exist")
    try:
        Period.of(date(2026, 1, 1), date(2026, 1, 1), tz)
        columns, read = read_export(export, tz, parse_maps(map_ or []), day_first=day_first)
    except PeriodError:
        fail(f"--tz: no time zone {tz!r}")
    except ExportError as exc:
        fail(f"{export.name}: {exc}")
    rows = [r for r in read if isinstance(r, ExportRow)]
    bad = [r for r in read if isinstance(r, BadRow)]
    if not rows:
        _report_rows(len(read), rows, bad, format == "table")
        fail(f"{export.name}: no row could be used")
    first, last = audit_of.span(rows, tz)
    try:
        start = day_of(from_, "--from") if from_ else first
        end = day_of(to, "--to") if to else last
        query = Query(Period.of(start, end, tz), GROUPS[group_by] if group_by else None)
    except (PeriodError, ReportError) as exc:
        fail(str(exc))
    databases = {"before": audit_of.before_database(rows)}
    if policy is not None:
        databases["after"] = _simulated(rows, policy, query)
    summaries, hours = {}, {}
    for run, database in databases.items():
        with database.connect() as connection:
            summaries[run] = summary_of(connection, query)
            if html is not None:
                hours[run] = figures_by_group(connection, Query(query.period, "hour"))
    before, after = summaries["before"], summaries.get("after")
    notes = columns.notes() + _notes(audit_of.counts(rows), bool(columns.of.get("assigned")))
    if after is not None:
        notes.append(
            "after keeps the CRM's first touches (as an SLA backtest does) and counts time to "
            "first touch from the owner's assignment: a lead that waited for an owner before "
            "is touched at the same minute after, its wait now part of its time to first touch"
        )
    head = {
        "export": export.name,
        "columns": dict(columns.of),
        "rows": {"read": len(read), "used": len(rows), "skipped": len(bad)},
        "bad_rows": [{"line": b.line, "reason": b.reason} for b in bad],
        "notes": notes,
    }
    if html is not None:
        _write_html(html, export.name, policy, before, after, hours["before"])
    if format == "json":
        out: dict[str, Any] = {"audit": head, "before": before}
        if after is not None:
            out["after"] = after
        typer.echo(json.dumps(out, indent=2))
        _report_rows(len(read), rows, bad, False)
        return
    if format == "csv":
        _csv(table, before, after)
        _report_rows(len(read), rows, bad, False)
        return
    _terminal(export.name, head, before, after, group_by)
    _report_rows(len(read), rows, bad, True)


def _simulated(rows: list[Any], policy: Path, query: Any) -> Any:
    from leadflow.policy import PolicyError
    from leadflow.reports import audit as audit_of
    from leadflow.reports.replay import ReplayError
    from leadflow.simulate.simulator import SimulationError
    from leadflow.simulate.timeline import TimelineError

    try:
        return audit_of.after_database(rows, policy, query.period.zone)
    except PolicyError as exc:
        errors.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except (TimelineError, SimulationError, ReplayError) as exc:
        fail(f"--policy: {exc}")


def _write_html(
    target: Path,
    name: str,
    policy: Path | None,
    before: dict[str, Any],
    after: dict[str, Any] | None,
    hours: list[dict[str, Any]],
) -> None:
    """The report of `leadflow report --html` (`reports.html.document`), its two columns
    before and after the policy; the heatmap is the export's, as it was."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from leadflow.reports.audit import side_by_side
    from leadflow.reports.charts import Compared
    from leadflow.reports.html import document

    if after is not None and policy is not None:
        compared = Compared(
            current="After",
            previous="Before",
            short="before",
            note=f"After: the same leads routed by {policy.name} in the simulator, their "
            f"first touches kept (so a lead's wait for an owner before is part of its time to "
            f"first touch after). Before: {name} as the CRM has it.",
            heading="Audit",
            tool="leadflow audit",
        )
    else:
        compared = Compared(heading="Audit", tool="leadflow audit")
    made_at = datetime.now(ZoneInfo(before["period"]["tz"]))
    page = document(side_by_side(before, after), hours, made_at, f"The export {name}", compared)
    write_page(target, page)


def _notes(counts: Any, has_assigned: bool) -> list[str]:
    out = []
    if has_assigned and counts.owned_from_creation:
        out.append(
            f"{counts.owned_from_creation} owned leads have no owner assigned time: "
            "taken as owned from their creation"
        )
    if counts.touched_before_assigned:
        out.append(
            f"{counts.touched_before_assigned} leads were touched before their owner assigned "
            "time (a later reassignment): taken as owned by the touch"
        )
    if counts.date_only_touches:
        out.append(
            f"{counts.date_only_touches} first touches have a date only: counted from the "
            "start of that day, or the lead's creation if later (their times are lower bounds)"
        )
    return out


def _terminal(
    name: str,
    head: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any] | None,
    group_by: str | None,
) -> None:
    period = before["period"]
    console.print(
        f"[bold]leadflow audit[/bold] {name}: {period['from']} to {period['to']} "
        f"({period['tz']})" + (f", by {group_by}" if group_by else ""),
        highlight=False,
    )
    console.print(
        "Columns: " + ", ".join(f"{f} {c!r}" for f, c in head["columns"].items()),
        highlight=False,
        soft_wrap=True,
    )
    for note in head["notes"]:
        console.print(f"Note: {note}", highlight=False, soft_wrap=True)
    runs = [("before", before)] + ([("after", after)] if after is not None else [])
    if group_by == "hour":
        for run, summary in runs:
            _hour_grid(run if after is not None else "", summary)
    else:
        _speed(runs, group_by)
    for run, summary in runs:
        _fairness(run if after is not None else "", summary["fairness"])


def _speed(runs: list[tuple[str, dict[str, Any]]], group_by: str | None, most: int = 6) -> None:
    columns: list[tuple[str, dict[str, Any]]] = []
    if group_by is None:
        columns = [(run, s["overall"]) for run, s in runs]
        if len(runs) == 1:
            columns = [("all", runs[0][1]["overall"])]
    else:
        names = [g["group"] for g in runs[0][1]["groups"]][:most]
        for group in names:
            for run, s in runs:
                found = next((g for g in s["groups"] if g["group"] == group), None)
                label = f"{group or '(none)'}" + (f" {run}" if len(runs) > 1 else "")
                columns.append((label, found["figures"] if found else {}))
    shown = Table(title="speed to lead", title_justify="left", show_edge=False)
    shown.add_column("", no_wrap=True)
    for label, _ in columns:
        shown.add_column(label, justify="right", overflow="fold")
    for label, path, kind in FIGURES:
        values = [_at(figures, path) for _, figures in columns]
        if kind == "count" and label in ("held for a pool", "unassigned") and not any(values):
            continue
        shown.add_row(label, *(_cell(kind, v) for v in values))
    console.print(shown)
    hidden = len(runs[0][1]["groups"]) - most if group_by is not None else 0
    if hidden > 0:
        console.print(f"  ({hidden} more: --format json or csv has every group)", highlight=False)


def _hour_grid(run: str, summary: dict[str, Any]) -> None:
    """Hour of the day × weekday, in the zone: leads and the median time to owner in each
    cell, then the median time to first touch (from the owner)."""
    cells = {g["group"]: g["figures"] for g in summary["groups"]}
    suffix = f" ({run})" if run else ""
    _grid(
        f"leads · median time to owner, by hour of the week{suffix}",
        cells,
        lambda f: f"{f['leads']} · {_cell('duration', f['time_to_assign']['p50_seconds'])}",
    )
    _grid(
        f"median time to first touch, by hour of the week{suffix}",
        cells,
        lambda f: _cell("duration", f["time_to_first_touch"]["p50_seconds"]),
    )


def _grid(title: str, cells: dict[str, Any], show: Any) -> None:
    from leadflow.reports.periods import WEEKDAYS

    shown = Table(title=title, title_justify="left", show_edge=False)
    shown.add_column("hour")
    for day in WEEKDAYS:
        shown.add_column(day, justify="right")
    for hour in range(24):
        row = [show(f) if (f := cells.get(f"{day} {hour:02d}")) else "" for day in WEEKDAYS]
        if any(row):
            shown.add_row(f"{hour:02d}", *row)
    console.print(shown)


def _fairness(run: str, pools: list[dict[str, Any]]) -> None:
    title = "leads per owner against an even share" if not run else f"leads per owner ({run})"
    shown = Table(title=title, title_justify="left", show_edge=False)
    for column in ("pool", "owner", "leads", "even share" if not run else "owed", "deviation"):
        shown.add_column(column, justify="left" if column in ("pool", "owner") else "right")
    for pool in pools:
        for rep in pool["reps"]:
            deviation = "—" if rep["deviation"] is None else f"{rep['deviation']:+.0%}"
            shown.add_row(
                pool["pool"], rep["rep"], str(rep["leads"]), f"{rep['expected']:.1f}", deviation
            )
    if pools:
        console.print(shown)


def _csv(name: str, before: dict[str, Any], after: dict[str, Any] | None) -> None:
    from leadflow.reports.tables import table as table_of
    from leadflow.spreadsheet import csv_lines

    rows = [{"run": "before", **r} for r in table_of(before, name)]
    if after is not None:
        rows += [{"run": "after", **r} for r in table_of(after, name)]
    columns = list(dict.fromkeys(k for row in rows for k in row))
    sys.stdout.writelines(csv_lines(columns, ([r.get(c) for c in columns] for r in rows)))


def _report_rows(read: int, rows: list[Any], bad: list[Any], terminal: bool) -> None:
    """How many rows were read, used and skipped, and the bad ones by line."""
    out = console if terminal else errors
    out.print(
        f"Read {read} rows: {len(rows)} used, {len(bad)} skipped"
        + (" (bad rows below)." if bad else "."),
        highlight=False,
    )
    shown = bad if not terminal else bad[:SHOWN_BAD]
    for b in shown:
        out.print(f"  line {b.line}: {b.reason}", highlight=False, markup=False, soft_wrap=True)
    if len(bad) > len(shown):
        out.print(f"  ({len(bad) - len(shown)} more: --format json lists them all)")


def _at(figures: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = figures
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _cell(kind: str, value: Any) -> str:
    from leadflow.simulate.sla_report import human_duration

    if value is None:
        return "—"
    if kind == "duration":
        return human_duration(value)
    if kind == "share":
        return f"{value:.1%}"
    return f"{value:,}"
