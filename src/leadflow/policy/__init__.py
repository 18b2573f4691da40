"""Routing policies: read a YAML policy, report every problem in it, compile it for the core.

`check_policy` is for people (every error and warning, each at its line and column);
`load_policy` is for code that needs a policy or an exception. Both read a file the same way,
so a policy that passes `leadflow policy check` is exactly one that loads.

The steps, one module each: `yamlpos` (YAML 1.2 scalars, positions), `schema` (the shape of
each entry), `compile` (names, times, conditions, warnings, the core's `Policy`), reporting
through `problems` (each problem at its line and column), which every step may import.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from leadflow.core.policy import Policy
from leadflow.policy import yamlpos
from leadflow.policy.compile import compile_sections
from leadflow.policy.problems import PolicyError, Problem, Report
from leadflow.policy.schema import read_document

__all__ = ["PolicyError", "Problem", "check_policy", "load_policy", "load_policy_file"]


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
