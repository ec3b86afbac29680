"""Dependencies point one way: billing -> eventram's public API; the store knows no bus."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"

BILLING_MAY_IMPORT = {
    "eventram",
    "eventram.testing",
    "eventram.readmodel",
    "eventram.projection",
    "eventram.cache",
    "eventram.store.durable",
}
# inside eventram: package -> packages it must never import
ENGINE_FORBIDDEN = {
    "eventram.store": (
        "eventram.bus",
        "eventram.projection",
        "eventram.readmodel",
        "eventram.cache",
    ),
    "eventram.readmodel": ("eventram.bus", "eventram.projection", "eventram.store"),
    "eventram.messages": ("eventram.store", "eventram.bus"),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


@pytest.mark.parametrize("path", sorted((SRC / "billing").rglob("*.py")), ids=str)
def test_billing_imports_only_the_public_api_of_eventram(path: Path) -> None:
    wrong = [
        name
        for name in _imports(path)
        if name.split(".")[0] == "eventram" and name not in BILLING_MAY_IMPORT
    ]
    assert not wrong, f"{path} imports eventram internals {wrong}; use `from eventram import ...`"


@pytest.mark.parametrize("path", sorted((SRC / "eventram").rglob("*.py")), ids=str)
def test_engine_never_imports_billing_nor_points_backwards(path: Path) -> None:
    module = _module_name(path)
    imported = _imports(path)
    assert not [n for n in imported if n.split(".")[0] == "billing"], f"{module} imports billing"
    for package, forbidden in ENGINE_FORBIDDEN.items():
        if module == package or module.startswith(package + "."):
            wrong = [n for n in imported if n.startswith(forbidden)]
            assert not wrong, f"{module} must not import {wrong}"


# the journal and the memory store meet only through the ports (eventram.store.ports)
STORE_ADAPTERS_APART = {
    "eventram.store.memory": "eventram.store.journal",
    "eventram.store.journal": "eventram.store.memory",
}


@pytest.mark.parametrize("path", sorted((SRC / "eventram" / "store").rglob("*.py")), ids=str)
def test_the_journal_and_the_memory_store_never_import_each_other(path: Path) -> None:
    module = _module_name(path)
    for package, forbidden in STORE_ADAPTERS_APART.items():
        if module == package or module.startswith(package + "."):
            wrong = [n for n in _imports(path) if n == forbidden or n.startswith(forbidden + ".")]
            assert not wrong, f"{module} must not import {wrong}; depend on eventram.store.ports"


def _private_modules_of_other_packages(path: Path, imported: list[str]) -> list[str]:
    """The ``imported`` eventram modules private (``_x``) to a package other than ``path``'s."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    wrong = []
    for name in imported:
        parts = name.split(".")
        private = [i for i, part in enumerate(parts) if part.startswith("_")]
        if parts[0] == "eventram" and private and ".".join(parts[: private[0]]) != package:
            wrong.append(name)
    return wrong


@pytest.mark.parametrize("path", sorted((SRC / "eventram").rglob("*.py")), ids=str)
def test_no_engine_module_imports_another_packages_private_module(path: Path) -> None:
    wrong = _private_modules_of_other_packages(path, _imports(path))
    assert not wrong, f"{_module_name(path)} imports private modules {wrong} of another package"


def test_the_private_module_check_tells_a_package_of_its_own_from_another() -> None:
    cache_module = SRC / "eventram" / "cache" / "_middleware.py"
    imported = ["eventram.bus._pipeline", "eventram.cache._port", "eventram.bus"]

    assert _private_modules_of_other_packages(cache_module, imported) == ["eventram.bus._pipeline"]
    assert _private_modules_of_other_packages(SRC / "eventram" / "__init__.py", imported) == [
        "eventram.bus._pipeline",
        "eventram.cache._port",
    ]
