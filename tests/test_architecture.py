"""The import rules import-linter cannot express (the others are contracts in pyproject.toml,
checked by `lint-imports`): no module uses another module's private name, and no survey
module takes part in an import cycle. Read from the source with ast, so a lazy import inside
a function counts too."""

from __future__ import annotations

import ast
import gc
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("survey", "stats")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")}


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def absolute_module(importer: str, path: Path, node: ast.ImportFrom) -> str:
    """The module a `from ... import` reads, with relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = importer.split(".") if path.name == "__init__.py" else importer.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


@cache
def syntax_tree(path: Path) -> ast.Module:
    """Parsed once. The collector waits meanwhile: each batch of new nodes would otherwise start
    a pass over the whole test session's heap (seconds, late in a full run)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return ast.parse(path.read_text(encoding="utf-8"))
    finally:
        if collecting:
            gc.enable()


def imports_of(importer: str, path: Path, modules: dict[str, Path]) -> Iterator[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) for every import in the file, lazy ones too."""
    for node in ast.walk(syntax_tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            source = absolute_module(importer, path, node)
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                if submodule in modules:
                    yield node.lineno, submodule, None
                else:
                    yield node.lineno, source, alias.name


def test_no_module_imports_another_modules_private_name():
    modules = project_modules()
    offences = [
        f"{path.relative_to(ROOT)}:{line}: from {source} import {name}"
        for importer, path in modules.items()
        for line, source, name in imports_of(importer, path, modules)
        if name and is_private(name) and source != importer
    ]
    assert not offences, "private names used outside their module (make them public or move them):\n" + "\n".join(
        offences
    )


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """survey module -> the survey modules it imports (a package's __init__ is a module too)."""
    graph: dict[str, set[str]] = {name: set() for name in modules if name.startswith("survey")}
    for importer in graph:
        for _line, imported, _name in imports_of(importer, modules[importer], modules):
            if imported in graph and imported != importer:
                graph[importer].add(imported)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
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


def test_survey_modules_import_no_cycles():
    found = cycles(import_graph(project_modules()))
    assert not found, "survey modules that import each other (directly or around a circle):\n" + "\n".join(
        " <-> ".join(component) for component in found
    )


def test_the_checks_see_what_they_look_for():
    """The two checks above would pass on an empty tree: prove they find a private import and a cycle."""
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert "survey.cli.admin" in import_graph(project_modules())["survey.cli"]
    tree = ast.parse("from .compare import _t_interval, mean_interval")
    node = tree.body[0]
    assert isinstance(node, ast.ImportFrom)
    assert absolute_module("stats.drivers", ROOT / "stats" / "drivers.py", node) == "stats.compare"
