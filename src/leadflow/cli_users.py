"""`leadflow user`: the people who sign in to the console.

Passwords are read from standard input (one line), or asked for twice at a terminal; they
never appear in the command line, where `ps` and shell history would keep them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from leadflow.cli_service import _aligned, env_services

console = Console()
errors = Console(stderr=True)

user_app = typer.Typer(
    name="user", help="Console users: sign-in, role and rep.", no_args_is_help=True
)


@user_app.callback()
def user() -> None:
    """Console users: sign-in, role and rep."""


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="Their email: what they sign in with.")],
    role: Annotated[str, typer.Option(help="admin, manager or rep.")],
    rep: Annotated[
        str | None, typer.Option(help="The rep a `rep` user is (its policy id).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Their name (default: from the email).")] = None,
    timezone: Annotated[
        str | None, typer.Option(help="Show times in this zone (default: the rep's or policy's).")
    ] = None,
) -> None:
    """Add a user; the password comes from standard input (or a prompt)."""
    from leadflow.service import users
    from leadflow.service.errors import ServiceError

    password = _password()
    svc = env_services()
    try:
        made = users.add_user(svc, email, password, role, rep, name, timezone, by="cli")
    except ServiceError as exc:
        errors.print(f"error: {exc.message}", highlight=False)
        raise typer.Exit(2) from None
    finally:
        svc.store.close()
    console.print(f"added {made.role} {made.email} ({made.name})", highlight=False)


@user_app.command("list")
def user_list() -> None:
    """Every user, disabled ones too."""
    from leadflow.service import users

    svc = env_services()
    try:
        found = users.list_users(svc)
    finally:
        svc.store.close()
    rows: list[tuple[str, ...]] = [("email", "name", "role", "rep", "state", "created")]
    for u in found:
        state = "disabled" if u.disabled else "active"
        created = f"{u.created_at:%Y-%m-%dT%H:%M:%SZ}"
        rows.append((u.email, u.name, u.role, u.rep_id or "-", state, created))
    typer.echo(_aligned(rows))


@user_app.command("disable")
def user_disable(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Disable a user: they cannot sign in, and their open sessions end now."""
    _change(email, "disable")


@user_app.command("enable")
def user_enable(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Let a disabled user sign in again."""
    _change(email, "enable")


@user_app.command("password")
def user_password(email: Annotated[str, typer.Argument(help="The user's email.")]) -> None:
    """Set a new password (from standard input, or a prompt); their sessions end."""
    from leadflow.service import users
    from leadflow.service.errors import ServiceError

    password = _password()
    svc = env_services()
    try:
        users.set_password(svc, email, password, by="cli")
    except ServiceError as exc:
        errors.print(f"error: {exc.message}", highlight=False)
        raise typer.Exit(2) from None
    finally:
        svc.store.close()
    console.print(f"new password set for {email.strip().lower()}", highlight=False)


def _change(email: str, what: str) -> None:
    from leadflow.service import users
    from leadflow.service.errors import NotFound

    svc = env_services()
    try:
        change = users.disable_user if what == "disable" else users.enable_user
        done = change(svc, email, by="cli")
    except NotFound as exc:
        errors.print(f"error: {exc.message}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        svc.store.close()
    console.print(f"{done.email} is {'disabled' if done.disabled else 'enabled'}", highlight=False)


def _password() -> str:
    """One line of standard input, or asked for twice at a terminal."""
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        errors.print("error: no password on standard input", highlight=False)
        raise typer.Exit(2)
    return line
