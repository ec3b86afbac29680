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
    "eventram.durable",
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


ANALYTICS_MODULES = [
    *sorted((SRC / "eventram" / "readmodel" / "counters").glob("*.py")),
    SRC / "eventram" / "readmodel" / "timebuckets.py",
    SRC / "eventram" / "projection" / "_counting.py",
]
APPLICATION_WORDS = ("organization", "user", "payment", "currency", "tenant")


@pytest.mark.parametrize("path", ANALYTICS_MODULES, ids=str)
def test_the_counter_table_names_no_application_dimension(path: Path) -> None:
    text = path.read_text().lower()
    named = [word for word in APPLICATION_WORDS if word in text]
    assert not named, f"{path} names {named}: dimensions are the application's configuration"
