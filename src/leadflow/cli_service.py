"""The live service's commands: `serve`, `worker`, `db upgrade`, `apikey`, `demo`.

Each builds the settings from the environment (`LEADFLOW_*`) at the edge, calls one use case,
and prints what a person needs next. `mount(app)` adds them all to the `leadflow` command.

The web stack and the database layer are imported inside the commands that use them: they
take longer to import than `leadflow policy check` takes to run, and every command would pay.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from leadflow.settings import Settings
from leadflow.simulate.runner import run_simulation

if TYPE_CHECKING:
    from fastapi import FastAPI

    from leadflow.service.context import Services

ROLES = ("intake", "rep", "manager", "admin")  # as `leadflow.service.keys` checks them

console = Console()
errors = Console(stderr=True)

db_app = typer.Typer(name="db", help="The database: schema migrations.", no_args_is_help=True)
apikey_app = typer.Typer(name="apikey", help="API keys for the HTTP API.", no_args_is_help=True)


@db_app.callback()
def db() -> None:
    """The database: schema migrations."""


@apikey_app.callback()
def apikey() -> None:
    """API keys for the HTTP API."""


def app_from_env() -> FastAPI:
    """The app on the environment's settings: what each uvicorn worker process builds."""
    import os

    from leadflow.api.app import create_app
    from leadflow.service.context import Services

    settings = Settings()
    return create_app(settings, Services.build(settings, env=dict(os.environ)))


def serve(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes (PostgreSQL for >1).")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
    worker: Annotated[
        bool, typer.Option(help="Run a worker in the server (deadlines, reminders, messages).")
    ] = True,
    report_processes: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Processes that answer reports apart from intake (0: in the server; default 1,"
            " or LEADFLOW_REPORT_PROCESSES).",
        ),
    ] = None,
) -> None:
    """Run the HTTP API (migrating the database first); the API docs are at /docs."""
    import os

    import uvicorn

    from leadflow.store.engine import Store
    from leadflow.store.migrate import upgrade

    settings = Settings()
    store = Store(settings)
    try:
        upgrade(store.engine)
    finally:
        store.close()
    os.environ["LEADFLOW_IN_PROCESS_WORKER"] = "true" if worker else "false"  # for the app
    if report_processes is not None:
        os.environ["LEADFLOW_REPORT_PROCESSES"] = str(report_processes)
    os.environ.setdefault("LEADFLOW_REPORT_PROCESSES", "1")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    console.print(f"leadflow console: http://{shown}:{port}/", highlight=False)
    console.print(f"leadflow API docs: http://{shown}:{port}/docs", highlight=False)
    uvicorn.run(
        "leadflow.cli_service:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level,
        access_log=access_log,
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the latest schema; safe to run again."""
    from leadflow.store.engine import Store
    from leadflow.store.migrate import upgrade

    store = Store(Settings())
    try:
        upgrade(store.engine)
    finally:
        store.close()
    console.print(f"database is up to date ({store.engine.dialect.name})", highlight=False)


@apikey_app.command("create")
def apikey_create(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    rep: Annotated[str | None, typer.Option(help="The rep a `rep` key belongs to.")] = None,
    name: Annotated[
        str | None, typer.Option(help="Who holds it (default: the rep or role).")
    ] = None,
) -> None:
    """Create an API key and print it: it is shown this once (only its hash is kept)."""
    from leadflow.service.errors import Invalid
    from leadflow.service.keys import create_key

    svc = env_services()
    try:
        key = create_key(svc, role, name or rep or role, rep_id=rep, by="cli")
    except Invalid as exc:
        errors.print(f"error: {exc.message}", highlight=False)
        raise typer.Exit(2) from None
    finally:
        svc.store.close()
    errors.print(f"{key.role} key {key.id} {key.name!r} (shown once, keep it):", highlight=False)
    typer.echo(key.token)  # alone on stdout: KEY=$(leadflow apikey create --role admin)


@apikey_app.command("list")
def apikey_list() -> None:
    """Every API key, revoked ones too: never a secret, only the prefix it starts with."""
    from leadflow.service.keys import list_keys

    svc = env_services()
    try:
        found = list_keys(svc)
    finally:
        svc.store.close()
    rows: list[tuple[str, ...]] = [("id", "name", "prefix", "role", "rep", "created", "revoked")]
    for key in found:
        revoked = "-" if key.revoked_at is None else f"{key.revoked_at:%Y-%m-%dT%H:%M:%SZ}"
        created = f"{key.created_at:%Y-%m-%dT%H:%M:%SZ}"
        rows.append(
            (str(key.id), key.name, key.prefix, key.role, key.rep_id or "-", created, revoked)
        )
    typer.echo(_aligned(rows))


@apikey_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[
        int,
        typer.Argument(metavar="ID", min=1, max=2**31 - 1, help="Its id, as `apikey list` shows."),
    ],
) -> None:
    """Revoke an API key: running servers refuse it within 30 seconds; revoking twice is safe."""
    from leadflow.service.errors import NotFound
    from leadflow.service.keys import revoke_key

    svc = env_services()
    try:
        key = revoke_key(svc, key_id, by="cli")
    except NotFound as exc:
        errors.print(f"error: {exc.message}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        svc.store.close()
    assert key.revoked_at is not None
    console.print(
        f"revoked {key.role} key {key.id} {key.name!r} (lf_{key.prefix}_) "
        f"at {key.revoked_at:%Y-%m-%dT%H:%M:%SZ}; running servers refuse it within 30 s",
        highlight=False,
        soft_wrap=True,
    )


def demo(
    simulate: Annotated[
        bool, typer.Option(help="Replay the demo week in memory instead (no database).")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="With --simulate: decisions as JSONL.")] = None,
) -> None:
    """Load the demo policy and a week of leads into an empty database, and make an admin key.

    The key is named demo-admin; running the demo again revokes the one it made before.
    """
    if simulate:
        _simulate_demo(out)
        return
    if out is not None:
        errors.print("error: --out goes with --simulate", highlight=False)
        raise typer.Exit(2)
    from leadflow.demo.load import demo_logins, load_demo
    from leadflow.service.keys import replace_key

    svc = env_services()
    try:
        loaded = load_demo(svc)
        key, replaced = replace_key(svc, "admin", "demo-admin", by="demo")
        logins = demo_logins(svc)
    finally:
        svc.store.close()
    if loaded.skipped:
        console.print("The database has leads already: the demo loaded nothing.", highlight=False)
    else:
        if loaded.policy_version is not None:
            console.print(f"Published the demo policy as version {loaded.policy_version}.")
        by_status = ", ".join(f"{n} {s}" for s, n in loaded.statuses.most_common())
        console.print(f"Routed {loaded.leads} demo leads: {by_status}.", highlight=False)
    console.print(f"Admin API key (shown once): {key.token}", highlight=False, soft_wrap=True)
    if replaced:
        old = ", ".join(f"lf_{k.prefix}_" for k in replaced)
        console.print(
            f"It replaces the demo-admin key printed before ({old}), now revoked.",
            highlight=False,
            soft_wrap=True,
        )
    console.print(f"Console sign-in at {Settings().public_url}/login:", highlight=False)
    for email, role, password in logins:
        console.print(f"  {role:<8} {email:<20} password {password}", highlight=False)


def worker(
    once: Annotated[bool, typer.Option(help="One round of each loop, then exit.")] = False,
    name: Annotated[str | None, typer.Option(help="How this worker signs its claims.")] = None,
    senders: Annotated[int, typer.Option(min=1, help="Deliveries sent at once.")] = 8,
    only: Annotated[
        str | None,
        typer.Option(help="Run one loop only: sla (reminders, deadlines) or messages."),
    ] = None,
) -> None:
    """Run due SLA steps and send notifications until stopped (Ctrl-C, SIGTERM).

    Any number may run against one PostgreSQL database; `leadflow serve` runs one of its own
    unless told --no-worker.
    """
    import logging
    import os
    import signal

    from leadflow.notify import Notifier
    from leadflow.service.context import Services
    from leadflow.service.links import ensure_key
    from leadflow.store.migrate import upgrade
    from leadflow.worker import Worker

    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    svc = Services.build(settings, env=dict(os.environ))
    upgrade(svc.store.engine)
    ensure_key(svc)
    if only not in (None, "sla", "messages"):
        errors.print(f"error: --only must be sla or messages, not {only!r}", highlight=False)
        raise typer.Exit(2)
    loops = (only,) if only else ("sla", "messages")
    notifier = Notifier(settings, svc.env)
    running = Worker(svc, notifier, name=name, senders=senders, loops=loops)
    if once:
        claimed = running.run_once()
        running.stop()
        svc.store.close()
        console.print(f"claimed {claimed} due rows", highlight=False)
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: running.request_stop())
    errors.print(f"leadflow worker {running.name} running", highlight=False)
    running.run()
    running.stop()
    svc.store.close()


def mount(app: typer.Typer) -> None:
    """Add these commands to the `leadflow` command."""
    app.command()(serve)
    app.command()(worker)
    app.command()(demo)
    app.add_typer(db_app, name="db")
    app.add_typer(apikey_app, name="apikey")


def env_services() -> Services:
    """The services on the environment's database, migrated to the latest schema."""
    from leadflow.service.context import Services
    from leadflow.store.migrate import upgrade

    svc = Services.build(Settings())
    upgrade(svc.store.engine)
    return svc


def _aligned(rows: list[tuple[str, ...]]) -> str:
    """Plain columns, one row a line: a table at any width, that `awk` reads as well."""
    widths = [max(len(cell) for cell in column) for column in zip(*rows, strict=True)]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)


def _simulate_demo(out: Path | None) -> None:
    """The demo policy over the demo week, in memory: the summary, and what to try next."""
    files = resources.files("leadflow") / "demo"
    with (
        resources.as_file(files / "policy.yaml") as policy,
        resources.as_file(files / "leads.csv") as leads,
        resources.as_file(files / "events.jsonl") as events,
    ):
        console.print(f"[bold]leadflow demo[/bold]: {policy.name}, {leads.name}, {events.name}")
        summary = run_simulation(policy, leads, events, out, progress=False)
    summary.render(console)
    console.print("Next, try:", highlight=False)
    console.print(f"  leadflow policy check {policy}", highlight=False, soft_wrap=True)
    console.print(
        f"  leadflow simulate --policy {policy} --leads {leads} --events {events} "
        "--out decisions.jsonl",
        highlight=False,
        soft_wrap=True,
    )
    console.print("  leadflow explain decisions.jsonl L-0042", highlight=False)
