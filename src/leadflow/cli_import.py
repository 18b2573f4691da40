"""`leadflow import leads FILE` and `leadflow import accounts FILE`: CSV into the database.

Each translates its arguments, shows a progress bar over the bytes read, and calls one use
case of `leadflow.service.imports`. Rows that fail go to an error report next to the file
(`FILE.errors.csv`: line, reason); the exit code is 0 when every row was taken, 1 when some
were refused (the good ones are kept either way), 2 when the file cannot be read at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from leadflow.cli_service import env_services
from leadflow.imports.csvfile import BadHeader, CsvFile, ErrorReport, RowError
from leadflow.service.routing import Actor

if TYPE_CHECKING:
    from leadflow.service.context import Services

import_app = typer.Typer(help="Import leads or accounts from a CSV file.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
CLI = Actor("cli", "admin")
Tick = Callable[[], None]
ErrorSink = Callable[[int, str], None]
Done = TypeVar("Done")
EVERY = 500  # rows between progress bar updates


FileArg = Annotated[
    Path, typer.Argument(help="A CSV file (any common delimiter; UTF-8 or Latin-1).", exists=True)
]
ErrorsOpt = Annotated[
    Path | None, typer.Option("--errors", help="Where refused rows go [default: FILE.errors.csv].")
]


@import_app.command("leads")
def import_leads(
    file: FileArg,
    source: Annotated[
        str, typer.Option(help="The source the leads came from; picks the policy's mapping.")
    ] = "import",
    route: Annotated[
        bool, typer.Option("--route/--no-route", help="Route them, or only store them.")
    ] = True,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Run the import and roll it back: what it would do."),
    ] = False,
    errors_to: ErrorsOpt = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Import leads: each good row is cleaned, identified, scored and (with --route) routed."""
    from leadflow.service import imports

    def run(svc: Services, csv: CsvFile, refuse: ErrorSink, tick: Tick) -> imports.ImportReport:
        return imports.import_leads(
            svc,
            csv,
            CLI,
            source=source,
            route=route,
            dry_run=dry_run,
            on_error=refuse,
            on_progress=tick,
        )

    done, report_path = _imported(file, errors_to, progress, run)
    outcomes = ", ".join(f"{n} {s}" for s, n in done.outcomes.most_common()) or "none"
    if dry_run:
        taken = f"would take {sum(done.outcomes.values())} ({outcomes}); nothing stored"
        taken += f"; {done.already} imported before" if done.already else ""
    else:
        taken = f"added {done.added} ({outcomes}); {done.already} imported before"
    for warning in done.warnings:
        console.print(f"warning: {warning}", highlight=False, markup=False)
    console.print(f"{done.rows} rows: {taken}; {done.failed} refused", highlight=False)
    _closing(done.failed, done.notes, report_path)


@import_app.command("accounts")
def import_accounts(file: FileArg, errors_to: ErrorsOpt = None, progress: bool = True) -> None:
    """Import accounts (id, name, domains, owner, tier, industry, employees, country, parent):
    a row with a known id, or without one the same name, updates that account."""
    from leadflow.service import imports

    def run(svc: Services, csv: CsvFile, refuse: ErrorSink, tick: Tick) -> imports.AccountImport:
        return imports.import_accounts(svc, csv, CLI, on_error=refuse, on_progress=tick)

    done, report_path = _imported(file, errors_to, progress, run)
    created, updated = f"{done.created} accounts created", f"{done.updated} updated"
    console.print(f"{done.rows} rows: {created}, {updated}; {done.failed} refused", highlight=False)
    _closing(done.failed, 0, report_path)


def _imported(
    file: Path,
    errors_to: Path | None,
    progress: bool,
    run: Callable[[Services, CsvFile, ErrorSink, Tick], Done],
) -> tuple[Done, Path]:
    """`run` over the file, with the error report and the progress bar; the report's path."""
    svc = env_services()
    report_path = errors_to or file.with_name(file.name + ".errors.csv")
    try:
        with (
            _opened(file) as csv,
            ErrorReport(report_path) as problems,
            _bar(csv, progress) as tick,
        ):
            done = run(svc, csv, _into(problems), tick)
    finally:
        svc.store.close()
    return done, report_path


@contextmanager
def _opened(path: Path) -> Iterator[CsvFile]:
    try:
        csv = CsvFile(path)
    except BadHeader as exc:
        errors.print(f"error: {path}: {exc}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    with csv:
        yield csv


@contextmanager
def _bar(csv: CsvFile, show: bool) -> Iterator[Callable[[], None]]:
    if not show:
        yield lambda: None
        return
    columns = (
        *Progress.get_default_columns()[:2],
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=errors, transient=True) as bar:
        task = bar.add_task("importing", total=csv.size)
        count = 0

        def tick() -> None:
            nonlocal count
            count += 1
            if count % EVERY == 0:
                bar.update(task, completed=csv.bytes_read)

        yield tick
        bar.update(task, completed=csv.size)


def _into(report: ErrorReport) -> Callable[[int, str], None]:
    return lambda line, reason: report.write(RowError(line, reason))


def _closing(failed: int, notes: int, report: Path) -> None:
    if failed or notes:
        console.print(f"Refused rows and dropped values: {report}", highlight=False)
    if failed:
        raise typer.Exit(1)
