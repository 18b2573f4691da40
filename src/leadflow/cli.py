"""The `leadflow` command. Each command only translates arguments and calls one use case."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from leadflow.cli_audit import audit
from leadflow.cli_export import export_app
from leadflow.cli_import import CLI, import_app
from leadflow.cli_policy import policy_app
from leadflow.cli_report import report
from leadflow.cli_service import env_services, mount
from leadflow.cli_users import user_app
from leadflow.explain import explain as explain_record
from leadflow.explain import read_decisions, unrouted
from leadflow.policy import PolicyError
from leadflow.simulate.runner import run_simulation
from leadflow.simulate.simulator import SimulationError
from leadflow.simulate.timeline import TimelineError

app = typer.Typer(
    name="leadflow",
    help="Lead distribution engine: routing policy as code, explainable decisions, backtests.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(policy_app, name="policy")
app.add_typer(import_app, name="import")
app.add_typer(user_app, name="user")
app.add_typer(export_app, name="export")
app.command()(report)
app.command()(audit)
mount(app)  # serve, demo, db, apikey

console = Console()
errors = Console(stderr=True)


@app.command()
def simulate(
    policy: Annotated[Path, typer.Option(help="The policy YAML.", exists=True, dir_okay=False)],
    leads: Annotated[Path, typer.Option(help="Leads: CSV with a header, or JSONL.", exists=True)],
    events: Annotated[
        Path | None, typer.Option(help="Events JSONL: lead.status, rep.updated, lead.received.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write every decision here as JSONL.")] = None,
    summary_json: Annotated[
        Path | None, typer.Option("--summary-json", help="Also write the summary as JSON.")
    ] = None,
    progress: Annotated[bool, typer.Option(help="A progress bar on large inputs.")] = True,
    accounts: Annotated[
        Path | None,
        typer.Option(
            help="Accounts CSV (as `leadflow import accounts` reads): match leads to them."
        ),
    ] = None,
) -> None:
    """Replay a history of leads through a policy, exactly as live routing would decide.

    Leads go through the same steps as live: cleaned, screened for junk, deduplicated under
    the policy's `dedupe`, matched to --accounts, scored; then routed.
    """
    if accounts is not None and not accounts.is_file():
        errors.print(f"error: accounts file {accounts} does not exist", soft_wrap=True)
        raise typer.Exit(2)
    if events is not None and not events.is_file():
        errors.print(f"error: events file {events} does not exist", soft_wrap=True)
        raise typer.Exit(2)
    try:
        summary = run_simulation(
            policy, leads, events, out, progress=progress, accounts_path=accounts
        )
    except PolicyError as exc:  # each line already says error or warning, with its position
        errors.print(str(exc), markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except (TimelineError, SimulationError) as exc:
        errors.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    summary.render(console)
    if summary_json is not None:
        summary_json.write_text(json.dumps(summary.to_dict(), indent=2) + "\n")
    if out is not None:
        console.print(f"Decisions: {out}")


@app.command()
def explain(
    where: Annotated[
        str,
        typer.Argument(
            metavar="LEAD_ID_OR_DECISIONS",
            help="A lead id: the live lead in the database (LEADFLOW_DATABASE_URL, as `serve` "
            "reads it). Or a DECISIONS file from simulate --out, then the lead id.",
        ),
    ],
    lead_id: Annotated[
        str | None,
        typer.Argument(metavar="LEAD_ID", help="After DECISIONS: the lead to explain."),
    ] = None,
) -> None:
    """Explain every decision made for one lead: why this rep, and why not each other one.

    LEAD_ID alone: the live lead's decisions, from the database.
    DECISIONS LEAD_ID: a simulation's, from its --out file. Both print alike.
    """
    if lead_id is None:
        _explain_live(where)
        return
    decisions = Path(where)
    if not decisions.is_file():
        errors.print(f"error: decisions file {decisions} does not exist", soft_wrap=True)
        raise typer.Exit(2)
    found = False
    for record in read_decisions(decisions, lead_id):
        found = True
        _print_lines(explain_record(record))
    if not found:
        errors.print(f"error: no decision for lead {lead_id!r} in {decisions}", soft_wrap=True)
        raise typer.Exit(1)


def _explain_live(lead_id: str) -> None:
    """The live lead's decisions, oldest first; a lead never routed says why not."""
    from leadflow.service.errors import NotFound
    from leadflow.service.queries import lead_history

    svc = env_services()
    database = svc.store.engine.url.render_as_string(hide_password=True)
    try:
        history = lead_history(svc, lead_id, CLI)
    except NotFound:
        hint = ""
        if Path(lead_id).is_file():
            hint = f"; to read a simulation's decisions: leadflow explain {lead_id} LEAD_ID"
        errors.print(
            f"error: no lead {lead_id!r} in {database}{hint}", markup=False, soft_wrap=True
        )
        raise typer.Exit(1) from None
    finally:
        svc.store.close()
    for decision in history.decisions:
        _print_lines(explain_record(decision.record))
    if not history.decisions:
        lead = history.lead
        _print_lines([unrouted(lead.id, lead.status, lead.junk_reason)])


def _print_lines(lines: list[str]) -> None:
    """As they are: a long line is not folded at the terminal's width (grep finds it whole)."""
    console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def main() -> None:
    app(prog_name="leadflow")


if __name__ == "__main__":  # pragma: no cover
    main()
