"""`leadflow report`: the live database's figures on the terminal, as JSON or as CSV.

The same engine and tables as `GET /api/v1/reports/...`, on the database of
`LEADFLOW_DATABASE_URL`. Without dates, the last 7 days up to today in `--tz`.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.table import Table

from leadflow.cli_service import env_services

console = Console()
errors = Console(stderr=True)
SHOWN = ("speed", "sla", "funnel", "routing", "quality", "fairness")


def report(
    from_: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD (default: 6 days ago).")
    ] = None,
    to: Annotated[str | None, typer.Option(help="Last day, inclusive (default: today).")] = None,
    tz: Annotated[str, typer.Option(help="The zone of the days and hours.")] = "UTC",
    group_by: Annotated[
        str | None, typer.Option(help="source, rep, pool, rule, tier or hour.")
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(help="One table: speed, sla, funnel, routing, quality, over_time, fairness."),
    ] = None,
    format: Annotated[str, typer.Option(help="table, json or csv.")] = "table",
    bucket: Annotated[str, typer.Option(help="over_time by day, week or month.")] = "day",
    simulation: Annotated[
        Path | None,
        typer.Option(help="A DECISIONS file of `leadflow simulate`: report on that replay."),
    ] = None,
    leads: Annotated[
        Path | None, typer.Option(help="With --simulation: the LEADS file it replayed.")
    ] = None,
    events: Annotated[
        Path | None, typer.Option(help="With --simulation: the EVENTS file it replayed.")
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html", help="Write the report with its charts to this HTML file (works offline)."
        ),
    ] = None,
) -> None:
    """Speed to lead, SLA, conversion, routing and lead quality for a period.

    From the live database, or (--simulation, --leads, --events: the files `leadflow
    simulate` took and wrote) from a replay, counted by the same engine. Times without a zone
    in the replay's files are read in --tz. --html FILE writes one self-contained page with
    the charts and tables instead.
    """
    from leadflow.reports.tables import NAMES
    from leadflow.reports.tables import table as table_of
    from leadflow.service.errors import Invalid
    from leadflow.service.reports import make_query, report_summary
    from leadflow.service.routing import SYSTEM
    from leadflow.spreadsheet import csv_lines

    if format not in ("table", "json", "csv"):
        fail(f"--format must be table, json or csv, not {format!r}")
    if table is not None and table not in NAMES:
        fail(f"--table must be one of {', '.join(NAMES)}, not {table!r}")
    if format == "csv" and table is None:
        fail("--format csv needs --table (one table a file)")
    try:
        today = datetime.now(ZoneInfo(tz)).date()
    except (ZoneInfoNotFoundError, ValueError):
        fail(f"--tz: no time zone {tz!r}")
    end = day(to, "--to") if to else today
    start = day(from_, "--from") if from_ else end - timedelta(days=6)
    if (simulation is None) != (leads is None):
        fail("--simulation and --leads go together (and --events, if the replay had one)")
    for path in (simulation, leads, events):
        if path is not None and not path.is_file():
            fail(f"{path} does not exist")
    try:
        query = make_query(start, end, tz, group_by, {})
    except Invalid as exc:
        fail(exc.message)
    if html is not None:
        _write_html(html, query, bucket, simulation, leads, events)
        return
    if simulation is not None:
        assert leads is not None
        summary = _replayed(simulation, leads, events, query, bucket)
    else:
        svc = env_services()
        try:
            summary = report_summary(svc, SYSTEM, query, bucket)
        finally:
            svc.store.close()
    if format == "json":
        typer.echo(json.dumps(table_of(summary, table) if table else summary, indent=2))
        return
    if format == "csv":
        assert table is not None
        rows = table_of(summary, table)
        columns = list(dict.fromkeys(k for row in rows for k in row))
        sys.stdout.writelines(csv_lines(columns, ([r.get(c) for c in columns] for r in rows)))
        return
    period = summary["period"]
    console.print(
        f"[bold]leadflow report[/bold] {period['from']} to {period['to']} ({period['tz']})"
        + (f", by {group_by}" if group_by else ""),
        highlight=False,
    )
    for name in (table,) if table else SHOWN:
        _render(name, table_of(summary, name))


def _replayed(
    decisions: Path, leads: Path, events: Path | None, query: Any, bucket: str
) -> dict[str, Any]:
    from leadflow.reports.engine import summary
    from leadflow.reports.replay import ReplayError, replay_database
    from leadflow.simulate.items import TimelineError

    try:
        engine = replay_database(decisions, leads, events, query.period.zone)
    except (ReplayError, TimelineError) as exc:
        fail(str(exc))
    with engine.connect() as connection:
        return summary(connection, query, bucket)


def _write_html(
    target: Path,
    query: Any,
    bucket: str,
    simulation: Path | None,
    leads: Path | None,
    events: Path | None,
) -> None:
    """The summary and its hour × weekday cells, from the live database or a replay, as one
    HTML file (`reports.html.document`)."""
    from leadflow.reports.engine import Query, figures_by_group
    from leadflow.reports.engine import summary as summary_of
    from leadflow.reports.html import document
    from leadflow.reports.replay import ReplayError, replay_database
    from leadflow.service.reports import report_dashboard
    from leadflow.service.routing import SYSTEM
    from leadflow.simulate.items import TimelineError

    hourly = Query(query.period, "hour", query.filters)
    if simulation is not None:
        assert leads is not None
        try:
            engine = replay_database(simulation, leads, events, query.period.zone)
        except (ReplayError, TimelineError) as exc:
            fail(str(exc))
        with engine.connect() as connection:
            summary = summary_of(connection, query, bucket)
            hours = figures_by_group(connection, hourly)
        source = f"A replay of {simulation.name}"
    else:
        svc = env_services()
        try:
            summary, hours = report_dashboard(svc, SYSTEM, query, bucket)
        finally:
            svc.store.close()
        source = "The live database"
    write_page(target, document(summary, hours, datetime.now(query.period.tz), source))


def write_page(target: Path, page: str) -> None:
    """Write an HTML report (`report --html`, `audit --html`), or fail naming the option."""
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        fail(f"--html: cannot write {target}: {exc.strerror}")
    errors.print(f"wrote {target}", highlight=False)


def _render(name: str, rows: list[dict[str, Any]], most: int = 6) -> None:
    """A table with a row per figure and a column per group: readable at 80 columns."""
    if not rows:
        return
    key, *figures = list(dict.fromkeys(k for row in rows for k in row))
    if name == "over_time":
        key, figures = "bucket", [k for k in rows[0] if k != "bucket"]
    if name == "fairness":
        _render_fairness(rows)
        return
    shown = Table(title=name, title_justify="left", show_edge=False)
    shown.add_column("")
    for row in rows[:most]:
        shown.add_column(str(row.get(key)), justify="right", overflow="fold")
    for figure in figures:
        shown.add_row(
            figure.replace("_", " "), *(_cell(figure, r.get(figure)) for r in rows[:most])
        )
    console.print(shown)
    if len(rows) > most:
        console.print(f"  ({len(rows) - most} more: --table {name} --format csv)", highlight=False)


def _render_fairness(rows: list[dict[str, Any]]) -> None:
    shown = Table(title="fairness", title_justify="left", show_edge=False)
    for column in ("pool", "rep", "leads", "owed", "deviation"):
        shown.add_column(column, justify="left" if column in ("pool", "rep") else "right")
    for row in rows:
        deviation = "—" if row["deviation"] is None else f"{row['deviation']:+.0%}"
        shown.add_row(
            row["pool"], row["rep"], str(row["leads"]), f"{row['expected']:.1f}", deviation
        )
    console.print(shown)


def _cell(figure: str, value: Any) -> str:
    from leadflow.simulate.sla_report import human_duration

    if value is None or value == "":
        return "—"
    if figure.endswith("seconds") and isinstance(value, int | float):
        return human_duration(value)
    if isinstance(value, float) and not figure.endswith("value"):
        return f"{value:.1%}"
    return str(value)


def day(text: str, option: str) -> date:
    """The date an option names, or fail naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option}: expected a date YYYY-MM-DD, got {text!r}")


def fail(message: str) -> NoReturn:
    """Say what is wrong on stderr (as text: a file's `[...]` is not Rich markup), exit 2."""
    errors.print(f"error: {message}", highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(2)
