"""The package's import order, read from the source: each module imports only from its own
layer or below, the reference server imports nothing of the suite, and no import cycle exists.

Only imports that run when a module loads count (those under `if TYPE_CHECKING:` do not);
imports inside functions count too, since they run on first use.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
PACKAGE = "llmconform"

# Bottom to top. A subpackage (or top-level module) sits in exactly one layer.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("", "errors", "registry", "resources", "model", "settings"),  # data and value types
    ("catalog", "schema", "protocol", "metrics"),  # reading the standard, parsing the wire
    ("checks", "scenarios"),  # judging one exchange, deciding the next request
    ("engine", "evidence", "report"),  # a run's pure logic, its evidence and its renderings
    ("reference", "transport"),  # I/O: the reference server, HTTP and targets
    ("pytest",),  # the pytest plugin and its items
    ("run",),  # one `llmconform run`
    ("cli", "__main__", "pytest_plugin"),  # entry points
)
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _unit(module: str) -> str:
    """The layer unit of a module: its first component under the package ("" for the root)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    return skip


def imports_of(path: Path, modules: set[str]) -> Iterator[str]:
    """The package modules that `path` imports at run time (resolved to modules, not names)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module.split(".")[0] != PACKAGE:
                continue
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                yield full if full in modules else node.module


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (SRC / PACKAGE).rglob("*.py")}
    names = set(files)
    return {m: set(imports_of(p, names)) - {m} for m, p in files.items()}


GRAPH = _graph()


def test_every_unit_has_a_layer() -> None:
    units = {_unit(m) for m in GRAPH}
    assert units - set(RANK) == set(), "add the new subpackage to LAYERS"


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_only_its_layer_or_below(module: str) -> None:
    rank = RANK[_unit(module)]
    upward = sorted(d for d in GRAPH[module] if RANK[_unit(d)] > rank)
    assert upward == [], f"{module} (layer {rank}) imports from a higher layer: {upward}"


def test_reference_server_imports_nothing_of_the_suite() -> None:
    for module, deps in GRAPH.items():
        if _unit(module) == "reference":
            outside = {d for d in deps if _unit(d) not in ("reference", "", "errors")}
            assert outside == set(), f"{module} imports the suite: {sorted(outside)}"


def _cycle_from(start: str) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for dep in GRAPH.get(node, ()):
            if dep == start:
                return [*path, start]
            if dep not in seen:
                seen.add(dep)
                stack.append((dep, [*path, dep]))
    return None


def test_no_import_cycles() -> None:
    # A package's __init__ re-exporting its own modules is not a cycle of the code's design;
    # every other loop is.
    cycles = []
    for module in sorted(GRAPH):
        cycle = _cycle_from(module)
        if cycle is not None:
            cycles.append(" -> ".join(cycle))
    assert cycles == []


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    bad = tmp_path / "m.py"
    bad.write_text("from llmconform.cli.main import main\nfrom llmconform.model import Case\n")
    found = set(imports_of(bad, set(GRAPH)))
    assert "llmconform.cli.main" in found
    assert RANK[_unit("llmconform.cli.main")] > RANK[_unit("llmconform.checks.http")]
