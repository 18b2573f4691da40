"""A policy's problems, each placed at the line and column of the path it concerns.

The bottom of the policy package: every step reports through a `Report` and imports nothing
of the others.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from leadflow.policy import yamlpos


@dataclass(frozen=True)
class Problem:
    """One error or warning, located in the policy file; `path` is like `pools.x.members[1]`."""

    severity: Literal["error", "warning"]
    message: str
    line: int | None
    column: int | None
    path: str

    def format(self, filename: str) -> str:
        """`policy.yaml:12:7: error: ...`, the form editors and CI logs link to the line."""
        where = filename if self.line is None else f"{filename}:{self.line}:{self.column}"
        return f"{where}: {self.severity}: {self.message}"


class PolicyError(ValueError):
    """A policy with at least one error; `problems` holds all of them, and the warnings."""

    def __init__(self, problems: list[Problem], filename: str = "policy.yaml") -> None:
        super().__init__("\n".join(p.format(filename) for p in problems))
        self.problems = problems
        self.filename = filename


class Report:
    """Collects problems, placing each at the line and column of the path it concerns."""

    def __init__(self, positions: yamlpos.Positions) -> None:
        self.positions = positions
        self.problems: list[Problem] = []

    def error(self, path: yamlpos.Path, message: str, *, key: bool = False) -> None:
        """An error about the value at `path`, or about its key when `key`."""
        self.add("error", path, message, self.positions.find(path, key=key))

    def warning(self, path: yamlpos.Path, message: str, *, key: bool = False) -> None:
        self.add("warning", path, message, self.positions.find(path, key=key))

    def add(
        self,
        severity: Literal["error", "warning"],
        path: yamlpos.Path,
        message: str,
        position: yamlpos.Position | None,
    ) -> None:
        line, column = position if position else (None, None)
        self.problems.append(Problem(severity, message, line, column, render_path(path)))

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)


def render_path(path: yamlpos.Path) -> str:
    """('pools', 'x', 'members', 1) as `pools.x.members[1]`; odd keys quoted: `a["b.c"]`."""
    out = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            out += f"[{part}]"
        elif re.fullmatch(r"[^.\[\]\s\"]+", str(part)):
            out += f".{part}" if out else str(part)
        else:
            out += f'["{part}"]'
    return out
