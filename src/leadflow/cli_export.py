"""`leadflow export history`: live history in the files `leadflow simulate` reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from leadflow.cli_service import env_services
from leadflow.service.routing import Actor

CLI = Actor("cli", "admin")

console = Console()
errors = Console(stderr=True)

export_app = typer.Typer(
    name="export", help="Export live data for other tools.", no_args_is_help=True
)


@export_app.callback()
def export() -> None:
    """Export live data for other tools."""


@export_app.command("history")
def history(
    since: Annotated[
        str,
        typer.Option(help="The first day (2026-11-01) or time; in the policy's zone."),
    ],
    out: Annotated[Path, typer.Option(help="The directory to write (made if missing).")],
    until: Annotated[
        str | None,
        typer.Option(help="The last day, taken in whole, or a time (excluded); default: now."),
    ] = None,
) -> None:
    """Write the leads received since --since, their outcomes and the reps' runtime changes,
    as `leadflow simulate` reads them: leads.jsonl, events.jsonl and the active policy.yaml.
    """
    from leadflow.service.errors import ServiceError
    from leadflow.service.history import export_history, window

    svc = env_services()
    try:
        start, end = window(svc, since, until)
        done = export_history(svc, start, end, out, CLI)
    except ServiceError as exc:
        errors.print(f"error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        svc.store.close()
    console.print(
        f"Wrote {done.leads} leads received {start.isoformat()} to {end.isoformat()}, "
        f"{done.statuses} outcomes and {done.rep_updates} rep changes into {out}.",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
    policy = out / "policy.yaml"
    if done.policy_version is None:
        console.print("No policy is active: write one to simulate with.", highlight=False)
        policy = Path("POLICY.yaml")
    console.print("Try a rule change on them:", highlight=False)
    console.print(
        f"  leadflow simulate --policy {policy} --leads {out / 'leads.jsonl'} "
        f"--events {out / 'events.jsonl'}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
