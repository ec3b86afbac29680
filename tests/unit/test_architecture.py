"""Dependencies point one way: billing -> eventram's public API; the store knows no bus.

Only ``eventram.cli`` imports a command-line library, and only billing's entry points use it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGES = Path(__file__).resolve().parents[2] / "packages"
ENGINE = PACKAGES / "eventram" / "src" / "eventram"
BILLING = PACKAGES / "billing" / "src" / "billing"

BILLING_MAY_IMPORT = {
    "eventram",
    "eventram.testing",
    "eventram.readmodel",
    "eventram.projection",
    "eventram.cache",
    "eventram.cli",
}
# billing packages that may import eventram.cli (the command line, and the server it starts)
CLI_USERS = ("billing.entrypoints.cli", "billing.entrypoints.http")
UI_LIBRARIES = ("typer", "rich", "click", "litestar", "uvicorn")
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


def _imported_names(path: Path) -> list[str]:
    """Every module imported, and every ``module.name`` a ``from module import name`` takes."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _module_name(path: Path) -> str:
    distribution = path.relative_to(PACKAGES).parts[0]
    parts = path.relative_to(PACKAGES / distribution / "src").with_suffix("").parts
    return ".".join(p for p in parts if p != "__init__")


@pytest.mark.parametrize("path", sorted(BILLING.rglob("*.py")), ids=str)
def test_billing_imports_only_the_public_api_of_eventram(path: Path) -> None:
    wrong = [
        name
        for name in _imports(path)
        if name.split(".")[0] == "eventram" and name not in BILLING_MAY_IMPORT
    ]
    assert not wrong, f"{path} imports eventram internals {wrong}; use `from eventram import ...`"


@pytest.mark.parametrize("path", sorted(ENGINE.rglob("*.py")), ids=str)
def test_engine_never_imports_billing_nor_points_backwards(path: Path) -> None:
    module = _module_name(path)
    imported = _imports(path)
    assert not [n for n in imported if n.split(".")[0] == "billing"], f"{module} imports billing"
    for package, forbidden in ENGINE_FORBIDDEN.items():
        if module == package or module.startswith(package + "."):
            wrong = [n for n in imported if n.startswith(forbidden)]
            assert not wrong, f"{module} must not import {wrong}"


@pytest.mark.parametrize("path", sorted(BILLING.rglob("*.py")), ids=str)
def test_only_billing_entry_points_use_the_engine_command_line(path: Path) -> None:
    module = _module_name(path)
    if module.startswith(CLI_USERS):
        return
    wrong = [n for n in _imports(path) if n == "eventram.cli" or n.startswith("eventram.cli.")]
    assert not wrong, f"{module} imports {wrong}; only {CLI_USERS} may"


@pytest.mark.parametrize("path", sorted(ENGINE.rglob("*.py")), ids=str)
def test_only_the_engine_command_line_imports_typer_or_rich_and_nothing_imports_the_web(
    path: Path,
) -> None:
    module = _module_name(path)
    allowed = ("typer", "rich") if module.startswith("eventram.cli") else ()
    wrong = [
        name
        for name in _imports(path)
        if name.split(".")[0] in UI_LIBRARIES and name.split(".")[0] not in allowed
    ]
    assert not wrong, f"{module} imports {wrong}; only eventram.cli may import typer and rich"


def _private_owner(imported: str) -> str | None:
    """The package owning the private module ``imported`` names (None: it names no private one)."""
    parts = imported.split(".")
    if parts[0] not in ("eventram", "billing"):
        return None
    for i, part in enumerate(parts):
        if part.startswith("_"):
            return ".".join(parts[:i])
    return None


@pytest.mark.parametrize("path", sorted([*ENGINE.rglob("*.py"), *BILLING.rglob("*.py")]), ids=str)
def test_no_module_imports_another_packages_private_module_or_name(path: Path) -> None:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    wrong = []
    for name in _imported_names(path):
        owner = _private_owner(name)
        if owner is not None and not (package == owner or package.startswith(owner + ".")):
            wrong.append(name)
    assert not wrong, f"{module} imports private modules of another package: {wrong}"


def test_the_position_waiter_is_defined_once_in_projection() -> None:
    definitions = [
        path
        for path in ENGINE.rglob("*.py")
        if "class PositionWaiter" in path.read_text() or "def wait_for_position" in path.read_text()
    ]
    assert [p.relative_to(ENGINE).as_posix() for p in definitions] == ["projection/_wait.py"]


# the journal and the memory store meet only through the ports (eventram.store.ports)
STORE_ADAPTERS_APART = {
    "eventram.store.memory": "eventram.store.journal",
    "eventram.store.journal": "eventram.store.memory",
}


@pytest.mark.parametrize("path", sorted((ENGINE / "store").rglob("*.py")), ids=str)
def test_the_journal_and_the_memory_store_never_import_each_other(path: Path) -> None:
    module = _module_name(path)
    for package, forbidden in STORE_ADAPTERS_APART.items():
        if module == package or module.startswith(package + "."):
            wrong = [n for n in _imports(path) if n == forbidden or n.startswith(forbidden + ".")]
            assert not wrong, f"{module} must not import {wrong}; depend on eventram.store.ports"


ANALYTICS_MODULES = [
    *sorted((ENGINE / "readmodel" / "counters").glob("*.py")),
    ENGINE / "readmodel" / "timebuckets.py",
    ENGINE / "projection" / "_counting.py",
]
APPLICATION_WORDS = ("organization", "user", "payment", "currency", "tenant")


@pytest.mark.parametrize("path", ANALYTICS_MODULES, ids=str)
def test_the_counter_table_names_no_application_dimension(path: Path) -> None:
    text = path.read_text().lower()
    named = [word for word in APPLICATION_WORDS if word in text]
    assert not named, f"{path} names {named}: dimensions are the application's configuration"


def test_the_private_check_names_the_package_that_owns_a_private_module_or_name() -> None:
    assert _private_owner("eventram.bus._pipeline") == "eventram.bus"
    assert _private_owner("eventram.bus._pipeline.Next") == "eventram.bus"
    assert _private_owner("eventram.envelope._ID_POOL") == "eventram.envelope"
    assert _private_owner("billing.entrypoints.http._x") == "billing.entrypoints.http"
    assert _private_owner("eventram.bus.Next") is None
    assert _private_owner("msgspec._core") is None
