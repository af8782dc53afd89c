"""The layers of the package, pinned: each imports only from the layers below it, in the order written once here.

Every import counts, also those inside functions and under TYPE_CHECKING: a hidden import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

PACKAGE = "compliance"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE

# Bottom to top. Units on one line are siblings: neither imports the other.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("",),                      # the package itself: its version
    ("errors",),                # typed exceptions
    ("times", "wording"),       # UTC helpers | number agreement of counted words
    ("resources",),             # the shipped data folders
    ("documents",),             # readers for documents and segproof's own files
    ("model",),                 # frozen values: objects, policies, snapshot, history records
    ("netpol", "sources"),      # the engine | I/O only
    ("scope",),                 # zones, approved flows, exceptions, the change-approval rule
    ("analysis",),              # pure: the assessed system, approvals, drift, history effects, comparisons
    ("checks",),                # check functions by id
    ("controls",),              # catalogs and their evaluation
    ("simulate",),              # what-if of a policy change
    ("report",),                # presentation of values
    ("evidence",),              # storage and integrity; never renders
    ("workflows",),             # the library API
    ("cli",),                   # parse, call one workflow, render
)
# Imports the order alone would allow, but that the design forbids.
FORBIDDEN = (("analysis", "sources"), ("evidence", "report"))


def unit_of(module: str) -> str:
    """The layer unit of a module: `compliance.netpol.diff` is in `netpol`, `compliance` in ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}


def module_name(path: Path, root: Path) -> str:
    """The dotted name of a module file under the package root."""
    relative = path.relative_to(root.parent).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imported(tree: ast.AST, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The package's modules a module imports (a name imported from a package counts as its submodule when
    there is one)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target)
    return found - {module}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Every module of the package and the package's modules it imports."""
    files = {module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    known = set(files)
    return {module: imported(ast.parse(path.read_text(encoding="utf-8")), module, path.name == "__init__.py", known)
            for module, path in files.items()}


def layer_violations(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Every import against the layer order or the forbidden pairs, and every unit outside the order."""
    problems = []
    for module, targets in sorted(graph.items()):
        unit = unit_of(module)
        if unit not in RANK:
            problems.append(f"{module}: {unit} is not a layer of LAYERS")
            continue
        for target in sorted(targets):
            other = unit_of(target)
            if other == unit or other not in RANK:
                continue
            if RANK[other] > RANK[unit]:
                problems.append(f"{module} imports {target}: {other} is above {unit}")
            elif RANK[other] == RANK[unit]:
                problems.append(f"{module} imports {target}: {unit} and {other} are siblings")
            elif (unit, other) in FORBIDDEN:
                problems.append(f"{module} imports {target}: {unit} must never import {other}")
    return problems


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The import cycles among modules (strongly connected components of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in graph:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_import_follows_the_layers() -> None:
    assert layer_violations(import_graph()) == []


def test_no_module_imports_itself_back() -> None:
    assert cycles(import_graph()) == []


def test_every_package_of_the_code_is_a_layer() -> None:
    units = {unit_of(module) for module in import_graph()}
    assert units == set(RANK), sorted(units ^ set(RANK))


@pytest.mark.parametrize(("module", "source", "expected"), [
    ("compliance.sources.leak", "from compliance.netpol.diff import diff_connections\n",
     "compliance.sources.leak imports compliance.netpol.diff: sources and netpol are siblings"),
    ("compliance.report.leak", "def f():\n    from compliance.evidence import manifest\n",
     "compliance.report.leak imports compliance.evidence.manifest: evidence is above report"),
    ("compliance.evidence.leak", "import compliance.report.tables\n",
     "compliance.evidence.leak imports compliance.report.tables: evidence must never import report"),
    ("compliance.analysis.leak", "from ..sources.git import history\n",
     "compliance.analysis.leak imports compliance.sources.git.history: analysis must never import sources"),
    ("compliance.model.leak", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
     "    from compliance.workflows.assess import Evaluation\n",
     "compliance.model.leak imports compliance.workflows.assess: workflows is above model"),
])
def test_an_upward_import_is_caught(module: str, source: str, expected: str) -> None:
    graph = import_graph()
    known = set(graph)
    tree = ast.parse(source)
    graph[module] = imported(tree, module, False, known)
    assert layer_violations(graph) == [expected]


def test_a_cycle_is_caught() -> None:
    graph = {"compliance.netpol.a": {"compliance.netpol.b"}, "compliance.netpol.b": {"compliance.netpol.c"},
             "compliance.netpol.c": {"compliance.netpol.a"}, "compliance.netpol.d": {"compliance.netpol.a"}}
    assert cycles(graph) == [["compliance.netpol.a", "compliance.netpol.b", "compliance.netpol.c"]]
