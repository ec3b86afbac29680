"""Both installed console scripts: an argument error is one line naming the option, exit 2.

Each case runs the real script (``billing``, ``eventram`` next to ``sys.executable``) in a child
process, as a user's shell would, so typer's own parsing and exception classes are exercised.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import billing
import eventram

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Ran:
    """What a console script printed and its exit code."""

    returncode: int
    stdout: str
    stderr: str


def run(script: str, *args: str, env: dict[str, str] | None = None) -> Ran:
    done = subprocess.run(
        [str(BIN / script), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "COLUMNS": "80", **(env or {})},
    )
    return Ran(done.returncode, done.stdout, done.stderr)


BILLING_ERRORS = {
    "unknown option": (["demo", "--bogus"], "--bogus"),
    "unknown command": (["nosuchcmd"], "'nosuchcmd'"),
    "missing argument": (["history"], "payment_id"),
    "missing option value": (["demo", "--payments"], "'--payments'"),
    "bad integer": (["demo", "--payments", "abc"], "'--payments'"),
    "integer below its minimum": (["demo", "--payments", "0"], "'--payments'"),
    "bad date": (["stats", "--from", "2026-13-01"], "'--from'"),
    "bad choice of fsync": (["serve", "--fsync", "sometimes"], "'always', 'interval', 'never'"),
    "bad choice of interval": (["stats", "--interval", "year"], "'hour', 'day', 'week', 'month'"),
    "bad choice of projections": (["serve", "--projections", "lazy"], "'inline', 'async'"),
    "bad choice of log level": (["serve", "--log-level", "loud"], "'--log-level'"),
    "bad choice of read model": (["rebuild", "ledger"], "'payments', 'event_counters'"),
}
EVENTRAM_ERRORS = {
    "unknown option": (["journal", "tail", "DIR", "--bogus"], "--bogus"),
    "unknown command": (["journal", "nosuchcmd"], "'nosuchcmd'"),
    "missing argument": (["journal", "verify"], "data_dir"),
    "bad integer": (["journal", "tail", "DIR", "-n", "x"], "'--count' / '-n'"),
    "integer below its minimum": (["journal", "tail", "DIR", "-n", "0"], "'--count' / '-n'"),
}


def assert_one_line_usage_error(done: Ran, names: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert names in lines[0]
    assert done.stdout == ""


@pytest.mark.parametrize(("args", "names"), BILLING_ERRORS.values(), ids=BILLING_ERRORS.keys())
def test_a_billing_argument_error_is_one_line_naming_it_and_exits_2(
    args: list[str], names: str
) -> None:
    assert_one_line_usage_error(run("billing", *args), names)


@pytest.mark.parametrize(("args", "names"), EVENTRAM_ERRORS.values(), ids=EVENTRAM_ERRORS.keys())
def test_an_eventram_argument_error_is_one_line_naming_it_and_exits_2(
    args: list[str], names: str
) -> None:
    assert_one_line_usage_error(run("eventram", *args), names)


def test_a_wrong_choice_names_every_choice_and_the_help_lists_them() -> None:
    done = run("billing", "serve", "--fsync", "sometimes")
    help_text = run("billing", "serve", "--help", env={"COLUMNS": "200"})

    assert "Invalid value for '--fsync'" in done.stderr
    assert help_text.returncode == 0
    assert "always|interval|never" in help_text.stdout
    assert "inline|async" in help_text.stdout
    assert "debug|info|warning|error" in help_text.stdout


@pytest.mark.parametrize(
    ("script", "version"), [("billing", billing.__version__), ("eventram", eventram.__version__)]
)
def test_version_prints_the_name_and_version_and_exits_0(script: str, version: str) -> None:
    done = run(script, "--version")

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{script} {version}\n"
    assert done.stderr == ""


def test_without_the_cli_extra_eventram_says_what_to_install_and_exits_2(tmp_path: Path) -> None:
    # typer and rich made unimportable in the child, as when eventram is installed without [cli]
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.modules['typer'] = None\nsys.modules['rich'] = None\n"
    )

    done = run("eventram", "journal", "verify", str(tmp_path), env={"PYTHONPATH": str(tmp_path)})

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "pip install 'eventram[cli]'" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("args", "commands"),
    [(["billing"], ("serve", "demo", "stats")), (["eventram", "journal"], ("verify", "repair"))],
    ids=["billing", "eventram journal"],
)
def test_a_command_without_its_subcommand_shows_the_help_and_exits_2(
    args: list[str], commands: tuple[str, ...]
) -> None:
    done = run(*args)

    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    assert all(command in done.stdout for command in commands)


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("eventram.cli", f"eventram {eventram.__version__}"),
        ("billing.entrypoints.cli", f"billing {billing.__version__}"),
    ],
)
def test_the_command_lines_also_run_as_python_m(module: str, line: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{line}\n"
