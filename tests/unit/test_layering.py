"""The package's layout rules, read from the source with ``ast``: no import cycle between modules, each module imports
only from its own subpackage or the floors below it, and no module over 500 lines (but for a shrinking allowlist).

Each check is a plain function over an import graph, so the synthetic graphs at the end show that it can fail.
"""

from __future__ import annotations

import ast
from collections.abc import Collection, Mapping
from pathlib import Path

import pytest

# Builds no app: the plain-App() pass of make test leaves it out (tests/support/cdk_flags.py).
pytestmark = pytest.mark.flag_independent

PACKAGE = "sagemaker_constructs"
ROOT = Path(__file__).resolve().parents[2] / "constructs" / PACKAGE

FLOORS = ("_internal", "common", "hosting", "batch", "monitoring", "retraining", "delivery", "observability")
"""Subpackages from the ground up: a module imports only from its own subpackage and the ones before it."""
ALIASES = {"_handlers": "_internal", "_monitor_script": "_internal"}
"""``sagemaker_constructs._handlers`` (the top-level ``lambdas/``) is ground floor, with ``_internal``; so is
``_monitor_script``, the open monitoring backend's container script, which imports nothing from the library."""
FREE = {PACKAGE, f"{PACKAGE}.nag"}
"""The top-level modules, which re-export the public API: they may import anything."""

TYPING_CYCLES: list[list[str]] = []
"""Cycles closed by an import under ``if TYPE_CHECKING:`` only: none (the variant handle and the scaling take
protocols of what they need, not the endpoint)."""

MAX_LINES = 500
OVERSIZED: dict[str, int] = {
    "monitoring/monitoring_options.py": 514,
}
"""Modules over ``MAX_LINES`` today, with their line counts: none may grow, and each leaves the list (delete its
line) once it is split below the limit."""

Graph = Mapping[str, set[str]]


# ------------------------------------------------------------------------------------------------ reading the code


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def read_package() -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, int]]:
    """The import graph of the package (module -> the package's modules it imports, wherever the import statement
    stands, in functions too), the same graph without the imports under ``if TYPE_CHECKING:`` (what runs), and each
    module's line count, by path under ROOT."""
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p): p for p in paths}
    handlers = ROOT.parents[1] / "lambdas"  # installed as sagemaker_constructs._handlers
    known = set(modules) | {
        ".".join([PACKAGE, "_handlers", *p.relative_to(handlers).with_suffix("").parts])
        for p in handlers.rglob("*.py")
    }
    graph: dict[str, set[str]] = {}
    runtime: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        typing_only = {
            id(node)
            for block in ast.walk(tree)
            if isinstance(block, ast.If) and _is_type_checking(block.test)
            for statement in block.body
            for node in ast.walk(statement)
        }
        edges = [
            (target, id(node) in typing_only)
            for node in ast.walk(tree)
            for target in _imported(node, name, path.name == "__init__.py", known)
        ]
        graph[name] = {target for target, _ in edges}
        runtime[name] = {target for target, for_typing in edges if not for_typing}
    lines = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in paths}
    return graph, runtime, lines


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(node: ast.AST, module: str, is_package: bool, known: Collection[str]) -> list[str]:
    """The package's modules that ``node`` imports (``from .x import name`` of a submodule ``name`` imports it)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if _inside(alias.name)]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".")
        if not is_package:
            base.pop()
        base = base[: len(base) - (node.level - 1)]
        source = ".".join([*base, *([node.module] if node.module else [])])
    else:
        source = node.module or ""
    if not _inside(source):
        return []
    submodules = [f"{source}.{alias.name}" for alias in node.names if f"{source}.{alias.name}" in known]
    return submodules or [source]


def _inside(name: str) -> bool:
    return name == PACKAGE or name.startswith(f"{PACKAGE}.")


# ------------------------------------------------------------------------------------------------------ the checks


def cycles(graph: Graph) -> list[list[str]]:
    """The import cycles of ``graph``: its strongly connected components with more than one module (or a module
    that imports itself), each sorted (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
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
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def floor(module: str) -> str | None:
    """The subpackage a module belongs to (``_handlers`` counts as ``_internal``); None for a top-level module."""
    parts = module.split(".")
    if len(parts) == 1 or (len(parts) == 2 and parts[1] not in (*FLOORS, *ALIASES)):
        return None
    return ALIASES.get(parts[1], parts[1])


def upward_imports(graph: Graph) -> list[str]:
    """Imports from a module to anything but its own subpackage or a floor below it."""
    problems = []
    for module, targets in sorted(graph.items()):
        if module in FREE:
            continue
        own = floor(module)
        if own not in FLOORS:
            problems.append(f"{module} stands on no known floor {FLOORS}")
            continue
        for target in sorted(targets):
            theirs = floor(target)
            if theirs == own:
                continue
            if theirs is None or theirs not in FLOORS or FLOORS.index(theirs) > FLOORS.index(own):
                problems.append(f"{module} ({own}) imports {target} ({theirs or 'top level'})")
    return problems


def oversized(lines: Mapping[str, int], allowed: Mapping[str, int]) -> list[str]:
    """Modules over ``MAX_LINES`` that are not allowlisted, allowlisted modules that grew, and stale entries."""
    problems = []
    for path, count in sorted(lines.items()):
        if count > MAX_LINES and path not in allowed:
            problems.append(f"{path} has {count} lines, more than {MAX_LINES}: split it")
        elif path in allowed and count > allowed[path]:
            problems.append(f"{path} grew to {count} lines (allowlisted at {allowed[path]}): split it")
    for path in sorted(allowed):
        if path not in lines:
            problems.append(f"{path} is allowlisted but no longer exists: remove it from OVERSIZED")
        elif lines[path] <= MAX_LINES:
            problems.append(
                f"{path} has {lines[path]} lines, no more than {MAX_LINES}: remove it from OVERSIZED"
            )
    return problems


# ------------------------------------------------------------------------------------------------- the package


def test_the_package_is_read() -> None:
    graph, runtime, lines = read_package()
    # A reader that found nothing would pass every check: pin a few edges known to be there.
    assert f"{PACKAGE}.hosting.endpoint" in graph[f"{PACKAGE}.hosting.dashboard"]
    assert (
        f"{PACKAGE}.hosting._model_output" in graph[f"{PACKAGE}.hosting._endpoint_config"]
    )  # from . import _model_output
    assert f"{PACKAGE}._internal.handlers" in graph[f"{PACKAGE}.retraining.dashboard"]
    assert f"{PACKAGE}._internal.validation" in graph[f"{PACKAGE}.common.dashboard_section"]
    assert len(lines) == len(graph) > 40
    # An import under ``if TYPE_CHECKING:`` is in the whole graph only.
    typed = f"{PACKAGE}.batch.batch_transform"
    assert typed in graph[f"{PACKAGE}.monitoring.monitoring_options"]
    assert typed not in runtime[f"{PACKAGE}.monitoring.monitoring_options"]


def test_no_import_cycles() -> None:
    graph, runtime, _ = read_package()
    assert cycles(runtime) == []
    # Cycles closed only by an annotation's import (``if TYPE_CHECKING:``) do not run, but they are still a
    # tangle: none but the known ones, and this list only shrinks.
    assert cycles(graph) == TYPING_CYCLES


def test_modules_import_only_their_own_subpackage_or_floors_below() -> None:
    graph, _, _ = read_package()
    assert upward_imports(graph) == []


def test_no_module_over_500_lines_but_the_allowlisted_ones() -> None:
    _, _, lines = read_package()
    assert oversized(lines, OVERSIZED) == []


# ------------------------------------------------------------------------------- the checks fail when they should


def test_a_cycle_is_found() -> None:
    graph = {"p.hosting.a": {"p.hosting.b"}, "p.hosting.b": {"p.hosting.c"}, "p.hosting.c": {"p.hosting.a"},
             "p.common.d": set(), "p.common.e": {"p.common.e"}}  # fmt: skip
    assert cycles(graph) == [["p.common.e"], ["p.hosting.a", "p.hosting.b", "p.hosting.c"]]
    assert cycles({"p.hosting.a": {"p.hosting.b"}, "p.hosting.b": set()}) == []


def test_an_upward_import_is_found() -> None:
    graph = {
        f"{PACKAGE}.common.section": {f"{PACKAGE}.hosting.endpoint", f"{PACKAGE}._internal.validation"},
        f"{PACKAGE}.hosting.endpoint": {f"{PACKAGE}.hosting.variants", f"{PACKAGE}._handlers.contract"},
        f"{PACKAGE}.batch.transform": {PACKAGE},  # the top level re-exports everything: never import it
        f"{PACKAGE}.observability.dashboard": {f"{PACKAGE}.monitoring.dashboard", f"{PACKAGE}.nag"},
        f"{PACKAGE}.nag": {f"{PACKAGE}.observability.dashboard"},
        f"{PACKAGE}.loose": set(),
    }
    assert upward_imports(graph) == [
        f"{PACKAGE}.batch.transform (batch) imports {PACKAGE} (top level)",
        f"{PACKAGE}.common.section (common) imports {PACKAGE}.hosting.endpoint (hosting)",
        f"{PACKAGE}.loose stands on no known floor {FLOORS}",
        f"{PACKAGE}.observability.dashboard (observability) imports {PACKAGE}.nag (top level)",
    ]


def test_oversized_growing_and_stale_entries_are_found() -> None:
    lines = {"a.py": 501, "b.py": 700, "c.py": 650, "d.py": 500}
    allowed = {"b.py": 700, "c.py": 600, "d.py": 800, "gone.py": 900}
    assert oversized(lines, allowed) == [
        "a.py has 501 lines, more than 500: split it",
        "c.py grew to 650 lines (allowlisted at 600): split it",
        "d.py has 500 lines, no more than 500: remove it from OVERSIZED",
        "gone.py is allowlisted but no longer exists: remove it from OVERSIZED",
    ]
