"""The shape of the code: small modules, short functions, no import cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parents[2] / "packages"
SOURCES = sorted(PACKAGES.glob("*/src/*/**/*.py"))
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    distribution = path.relative_to(PACKAGES).parts[0]
    parts = path.relative_to(PACKAGES / distribution / "src").with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


MODULES = {_module_name(path): path for path in SOURCES}


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


@pytest.mark.parametrize("path", SOURCES, ids=_module_name)
def test_module_is_at_most_400_lines(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, f"{path} has {lines} lines; split it by concept"


@pytest.mark.parametrize("path", SOURCES, ids=_module_name)
def test_function_is_at_most_60_lines(path: Path) -> None:
    tree = ast.parse(path.read_text(), filename=str(path))
    long = [
        f"{node.name} (line {node.lineno}, {length} lines)"
        for node in _functions(tree)
        if (length := (node.end_lineno or node.lineno) - node.lineno + 1) > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def _imported_modules(module: str, path: Path) -> set[str]:
    """Project modules ``module`` imports anywhere in its file (TYPE_CHECKING and functions too)."""
    imported: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                imported.add(submodule if submodule in MODULES else base)
    return {name for name in imported if name in MODULES and name != module}


def _cycle_through(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """The shortest import path from ``start`` back to itself, if there is one."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for name in frontier:
            for target in sorted(graph[name]):
                if target == start:
                    return [*paths[name], start]
                if target not in paths:
                    paths[target] = [*paths[name], target]
                    following.append(target)
        frontier = following
    return None


def test_no_import_cycle_even_under_type_checking() -> None:
    graph = {module: _imported_modules(module, path) for module, path in MODULES.items()}
    cycles = {
        " -> ".join(cycle)
        for module in sorted(graph)
        if (cycle := _cycle_through(module, graph)) is not None
    }
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles))
