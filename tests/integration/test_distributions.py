"""Both distributions build, and the eventram wheel alone is a working library.

The wheels are built with ``pip wheel`` as a release would; the eventram one is installed into a
fresh virtualenv (its runtime dependencies come from the package registry) where a script uses
the in-memory and the journaled store, and finds no web, CLI or Redis library.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import eventram

PACKAGES = Path(__file__).resolve().parents[2] / "packages"
UV = Path(sys.executable).with_name("uv")

WITHOUT_EXTRAS = ("typer", "rich", "click", "litestar", "uvicorn", "redis", "prometheus_client")

LIBRARY_USE = textwrap.dedent(
    """
    import importlib.util
    import sys
    import tempfile

    import eventram
    from eventram import Event, InMemoryEventStore, open_store

    class Opened(Event, frozen=True):
        event_type = "packaging.Opened"
        name: str

    memory = InMemoryEventStore()
    memory.append("s-1", [Opened(name="a"), Opened(name="b")])
    assert [e.data.name for e in memory.read_stream("s-1")] == ["a", "b"]

    with tempfile.TemporaryDirectory() as data_dir:
        store = open_store(data_dir, fsync="always")
        store.append("s-1", [Opened(name="journaled")])
        store.close()
        reopened = open_store(data_dir)
        assert [e.data.name for e in reopened.read_stream("s-1")] == ["journaled"]
        reopened.close()

    from eventram.cache import LRUCache

    cache = LRUCache(max_entries=10)
    cache.set("key", b"value")
    assert cache.get("key") == b"value"

    present = [name for name in sys.argv[1:] if importlib.util.find_spec(name) is not None]
    assert not present, f"installed without being asked for: {present}"
    print("eventram", eventram.__version__, "works")
    """
)


def run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The two wheels, built by ``pip wheel --no-deps`` (name -> path).

    They are built from copies of the sources: setuptools writes ``build/`` and ``*.egg-info``
    next to what it builds, and a stale ``build/lib`` would put deleted modules in the wheel.
    """
    root = tmp_path_factory.mktemp("wheels")
    leave_out = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    sources = [
        shutil.copytree(PACKAGES / name, root / "src" / name, ignore=leave_out)
        for name in ("eventram", "billing")
    ]
    out = root / "dist"
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", out, *sources)
    assert built.returncode == 0, built.stderr
    return {wheel.name.split("-")[0]: wheel for wheel in out.glob("*.whl")}


@pytest.mark.slow
def test_both_distributions_build_as_wheels(wheels: dict[str, Path]) -> None:
    assert sorted(wheels) == ["billing", "eventram"]


@pytest.mark.slow
def test_the_eventram_wheel_alone_is_a_working_library_without_web_or_cli(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    assert run(sys.executable, "-m", "venv", "--without-pip", venv).returncode == 0
    installed = run(UV, "pip", "install", "--quiet", "--python", python, wheels["eventram"])
    assert installed.returncode == 0, installed.stderr

    # run outside the repository, so nothing of the checkout can be imported by accident
    used = run(python, "-c", LIBRARY_USE, *WITHOUT_EXTRAS, cwd=tmp_path)
    script = run(venv / "bin" / "eventram", "--version")

    assert used.returncode == 0, used.stderr
    assert used.stdout == f"eventram {eventram.__version__} works\n"
    assert script.returncode == 2
    assert script.stderr.strip().splitlines() == [
        "eventram: the command line needs typer, which is not installed: "
        "pip install 'eventram[cli]'"
    ]
