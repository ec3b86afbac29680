"""What ``import eventram`` costs and offers: no UI nor web library, no journal, same names.

The imports run in a fresh interpreter, since this one has long loaded everything.
"""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from types import ModuleType

import pytest

import billing
import eventram
import eventram.cli

NEVER_LOADED_BY_IMPORT_EVENTRAM = (
    "rich",
    "typer",
    "click",
    "litestar",
    "uvicorn",
    "redis",
    "eventram.cli",
    "eventram.store.journal",
    "eventram.store.durable",
)


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_import_eventram_loads_no_ui_or_web_library_nor_the_journal() -> None:
    loaded = loaded_after("import eventram")

    assert "eventram" in loaded
    assert not loaded.intersection(NEVER_LOADED_BY_IMPORT_EVENTRAM)


def test_the_journaled_store_is_loaded_on_first_use() -> None:
    loaded = loaded_after("from eventram import open_store, DurableStore, SnapshotFiles")

    assert "eventram.store.durable" in loaded
    assert "eventram.store.journal.writer" in loaded
    assert not loaded.intersection({"rich", "typer", "click"})


def test_the_cache_loads_redis_only_for_the_redis_cache() -> None:
    assert "redis" not in loaded_after("import eventram.cache")
    assert "redis" in loaded_after("from eventram.cache import RedisCache")


@pytest.mark.parametrize("name", eventram.__all__)
def test_every_public_name_of_eventram_resolves(name: str) -> None:
    assert getattr(eventram, name) is not None
    assert name in dir(eventram)


def test_an_unknown_name_of_eventram_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        getattr(eventram, "no_such_name")  # noqa: B009


def test_the_lazy_open_store_is_the_durable_modules_own() -> None:
    from eventram.store.durable import open_store

    assert eventram.open_store is open_store


@pytest.mark.parametrize("name", eventram.cli.__all__)
def test_every_public_name_of_eventram_cli_resolves(name: str) -> None:
    assert getattr(eventram.cli, name) is not None
    assert name in dir(eventram.cli)


def test_the_command_line_helpers_are_no_longer_in_eventram_itself() -> None:
    for name in ("run_cli", "EXIT_CODES", "exit_code_for"):
        assert name not in eventram.__all__
        assert not hasattr(eventram, name)


@pytest.mark.parametrize(
    ("package", "distribution"), [(eventram, "eventram"), (billing, "billing")]
)
def test_the_version_is_the_distributions(package: ModuleType, distribution: str) -> None:
    assert package.__version__ == importlib.metadata.version(distribution)
