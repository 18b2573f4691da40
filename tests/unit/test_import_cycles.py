"""No two modules of `src/leadflow` import each other, however indirectly: the rooms stack.

Every import counts, at module level, inside a function or under `TYPE_CHECKING`: an import
hidden in a function is still a dependency both ways. `from package import module` is an edge
to that module, not to the package's `__init__`.

One knot is known and waits for its own change (issue 14): the service layer's intake, SLA,
outbox, links and reports modules, which reach for each other's transaction and actor. The
test holds it to exactly these modules, so it can shrink, and nothing new can join it or form
another.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
SERVICE_KNOT = {
    "leadflow.service.context",
    "leadflow.service.links",
    "leadflow.service.outbox",
    "leadflow.service.quality",
    "leadflow.service.report_process",
    "leadflow.service.reports",
    "leadflow.service.routing",
    "leadflow.service.sla",
}


def modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = {f"{node.module}.{a.name}" for a in node.names} & known.keys()
            out |= subs
            if len(subs) < len(node.names) and node.module in known:
                out.add(node.module)
    return out


def knots(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(group)

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_finder_sees_a_cycle_through_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert knots(graph) == [{"a", "b", "c"}]


def test_no_modules_import_each_other_but_the_known_service_knot() -> None:
    known = modules()
    graph = {name: imports(path, known) - {name} for name, path in known.items()}
    assert [sorted(k) for k in knots(graph)] == [sorted(SERVICE_KNOT)]
