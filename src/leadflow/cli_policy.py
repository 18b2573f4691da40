"""`leadflow policy ...`: check a routing policy file from a shell, an editor or CI.

The output is one problem a line, `FILE:LINE:COL: error|warning: message`, the form that editors
and CI annotations link to the line, and a summary. The exit status is what CI acts on:
0 when there is no error (warnings never fail), 1 when there is one, 2 when the file cannot
be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from leadflow.policy import check_policy

policy_app = typer.Typer(name="policy", help="Check routing policies.", no_args_is_help=True)

EXIT_OK, EXIT_ERRORS, EXIT_UNREADABLE = 0, 1, 2


@policy_app.callback()
def policy() -> None:
    """Check routing policies."""


@policy_app.command()
def check(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The policy YAML.")],
) -> None:
    """Report every error and warning in a policy, each with its line and column."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        typer.echo(f"{file}: error: cannot read the file: it is not UTF-8 text", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    except OSError as exc:
        typer.echo(f"{file}: error: cannot read the file: {exc.strerror or exc}", err=True)
        raise typer.Exit(EXIT_UNREADABLE) from None
    policy, problems = check_policy(text, str(file))
    for problem in problems:
        typer.echo(problem.format(str(file)))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if policy is None:
        counts = [_count(errors, "error")] + ([_count(warnings, "warning")] if warnings else [])
        typer.echo(f"{file}: {', '.join(counts)}")
        raise typer.Exit(EXIT_ERRORS)
    sizes = f"{_count(len(policy.reps), 'rep')}, {_count(len(policy.pools), 'pool')}, "
    sizes += _count(len(policy.rules), "rule")
    tail = f", {_count(warnings, 'warning')}" if warnings else ""
    typer.echo(f"{file}: OK ({sizes}){tail}")
    raise typer.Exit(EXIT_OK)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
