"""The routing core does no I/O, reads no clock and draws no random numbers.

The source of every module under `src/leadflow/core` is parsed (not imported) and its imports
and calls are checked, so that a forbidden import fails here even if nothing executes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "src" / "leadflow" / "core"
FORBIDDEN_MODULES = {
    "sqlalchemy",
    "fastapi",
    "starlette",
    "httpx",
    "requests",
    "psycopg",
    "psycopg2",
    "os",
    "subprocess",
    "socket",
    "random",
    "time",
}
FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}
MODULES = sorted(CORE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(CORE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.Module, module: str, is_package: bool) -> list[str]:
    """Every module a source imports, relative imports resolved to absolute names."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names.append(target)
            names.extend(f"{target}.{alias.name}" for alias in node.names)
    return names


def forbidden_calls(tree: ast.Module) -> list[str]:
    """Calls such as `datetime.now()` or `datetime.datetime.utcnow()`, as dotted text."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            owner_name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else None
            )
            if (owner_name, node.func.attr) in FORBIDDEN_CALLS:
                found.append(f"{owner_name}.{node.func.attr}() at line {node.lineno}")
    return found


def problems(source: str, module: str, is_package: bool = False) -> list[str]:
    tree = ast.parse(source)
    found = []
    for name in imported(tree, module, is_package):
        top = name.split(".")[0]
        if top in FORBIDDEN_MODULES:
            found.append(f"imports {name}")
        if top == "leadflow" and name != "leadflow.core" and not name.startswith("leadflow.core."):
            found.append(f"imports {name} from outside leadflow.core")
    return found + forbidden_calls(tree)


def test_the_core_package_has_modules_to_check() -> None:
    assert {"decide", "eligibility", "strategies", "state", "conditions", "policy"} <= {
        p.stem for p in MODULES
    }


def test_core_modules_import_no_io_clock_or_randomness_and_nothing_outside_core() -> None:
    found = {}
    for path in MODULES:
        source = path.read_text(encoding="utf-8")
        issues = problems(source, module_name(path), path.name == "__init__.py")
        if issues:
            found[path.name] = issues
    assert found == {}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os", "imports os"),
        ("import os.path", "imports os.path"),
        ("from time import monotonic", "imports time"),
        ("import random", "imports random"),
        ("from sqlalchemy.orm import Session", "imports sqlalchemy.orm"),
        ("import httpx", "imports httpx"),
        ("from leadflow.policy import load_policy", "imports leadflow.policy from outside"),
        ("from ..policy import load_policy", "imports leadflow.policy from outside"),
        ("from datetime import datetime\nx = datetime.now()", "datetime.now() at line 2"),
        ("import datetime\nx = datetime.datetime.utcnow()", "datetime.utcnow() at line 2"),
        ("import time\nx = time.time()", "time.time() at line 2"),
    ],
)
def test_the_purity_check_catches_a_forbidden_import_or_call(source: str, expected: str) -> None:
    found = problems(source, "leadflow.core.example")
    assert any(expected in problem for problem in found), found


def test_the_purity_check_allows_imports_within_core() -> None:
    source = "from leadflow.core.policy import Policy\nfrom .state import RoutingState\n"
    assert problems(source, "leadflow.core.example") == []
