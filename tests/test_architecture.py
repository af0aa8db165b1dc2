"""The README's architecture table is the code's: every module, what it imports, no cycle.

The table in the README's "Architecture" section lists each module of the package with the
modules of the package it imports at the top (and, after "later:", inside a function). This
test reads the imports from the source with ``ast`` and compares, so the map a newcomer
reads cannot drift from the code, and checks that the top-level imports form no cycle
(a module imports only modules below it, as the table says).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import autograd_mini
from autograd_mini.graph import topological_order

PACKAGE = Path(autograd_mini.__file__).parent
README = PACKAGE.parent / "README.md"
MODULES = sorted(path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__")


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """The package modules ``path`` imports at its top, and inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top: set[str] = set()
    inner: set[str] = set()

    def names(node: ast.AST) -> set[str]:
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "autograd_mini":
                return {alias.name for alias in node.names if alias.name in MODULES}
            if node.module.startswith("autograd_mini."):
                return {node.module.split(".")[1]}
        if isinstance(node, ast.Import):
            return {a.name.split(".")[1] for a in node.names if a.name.startswith("autograd_mini.")}
        return set()

    for statement in tree.body:
        top |= names(statement)
    for node in ast.walk(tree):
        inner |= names(node)
    return top, inner - top


def _table() -> dict[str, tuple[set[str], set[str]]]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("\n## Architecture\n"):]
    section = section[:section.index("\n## ", 1)]
    rows: dict[str, tuple[set[str], set[str]]] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        modules = re.findall(r"`(\w+)\.py`", cells[0])
        imports = cells[2].split(";")
        if len(imports) == 1:
            imports *= len(modules)
        assert len(imports) == len(modules), f"README row {cells[0]}: one import list per module"
        for module, listed in zip(modules, imports):
            now, _, later = listed.partition("(later:")
            rows[module] = (
                set() if now.strip() == "none" else {m.strip() for m in now.split(",") if m.strip()},
                {m.strip() for m in later.rstrip(") ").split(",") if m.strip()},
            )
    return rows


def test_the_readme_lists_every_module_with_its_imports() -> None:
    table = _table()
    assert sorted(table) == MODULES, "the README's architecture table lists every module once"
    for module in MODULES:
        top, later = _imports(PACKAGE / f"{module}.py")
        assert table[module] == (top, later), (
            f"README says {module}.py imports {table[module]}, the code {(top, later)}")


def test_top_level_imports_have_no_cycle() -> None:
    graph = {module: sorted(_imports(PACKAGE / f"{module}.py")[0]) for module in MODULES}
    order = topological_order("root", lambda m: tuple(MODULES) if m == "root" else tuple(graph[m]))
    position = {module: i for i, module in enumerate(order)}
    for module, imported in graph.items():
        for other in imported:
            assert position[other] < position[module], f"{module} and {other} import each other"
