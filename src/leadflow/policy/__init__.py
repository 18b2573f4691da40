"""Routing policies: read a YAML policy, report every problem in it, compile it for the core.

`check_policy` is for people (every error and warning, each at its line and column);
`load_policy` is for code that needs a policy or an exception. Both read a file the same way,
so a policy that passes `leadflow policy check` is exactly one that loads.

The steps, one module each: `yamlpos` (YAML 1.2 scalars, positions), `schema` (the shape of
each entry), `compile` (names, times, conditions, warnings, the core's `Policy`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from leadflow.core.policy import Policy
from leadflow.policy import yamlpos
from leadflow.policy.compile import compile_sections
from leadflow.policy.schema import read_document

__all__ = ["PolicyError", "Problem", "check_policy", "load_policy", "load_policy_file"]


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


def check_policy(text: str, filename: str = "policy.yaml") -> tuple[Policy | None, list[Problem]]:
    """The compiled policy (None if there is any error) and every problem, in file order.

    `filename` is not part of the problems (`Problem.format` takes it); it is accepted so that
    every entry point reads the same.
    """
    try:
        document = yamlpos.parse(text)
    except yamlpos.YamlError as exc:
        return None, [Problem("error", exc.message, exc.line, exc.column, "")]
    report = Report(document.positions)
    for issue in document.issues:
        report.add("error", issue.path, issue.message, issue.position)
    sections, issues = read_document(document.data)
    for shape in issues:
        report.error(shape.path, shape.message, key=shape.at_key)
    policy = None
    if isinstance(document.data, dict):  # otherwise there is nothing more to say than that
        digest = "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
        policy = compile_sections(sections, report, digest)
    problems = sorted(report.problems, key=lambda p: (p.line or 0, p.column or 0))
    return policy, problems


def load_policy(text: str, filename: str = "policy.yaml") -> Policy:
    """The compiled policy; `PolicyError` with every problem if there is any error."""
    policy, problems = check_policy(text, filename)
    if policy is None:
        raise PolicyError(problems, filename)
    return policy


def load_policy_file(path: Path) -> Policy:
    """`load_policy` on a UTF-8 file; problems name the file as the path was given."""
    return load_policy(path.read_text(encoding="utf-8"), str(path))


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
