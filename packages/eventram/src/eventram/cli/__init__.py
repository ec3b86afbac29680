"""eventram's command line: the only part of the engine that imports typer and rich.

``main`` is the ``eventram`` console script (``eventram journal ...``, ``eventram --version``).
Applications build their own command lines on the same mechanism: :func:`run_cli` runs a typer
app so that every error is one line on stderr and an exit code from :data:`EXIT_CODES`,
:func:`add_version_option` gives it ``--version``, and :func:`journal_progress_bar` and
:class:`RebuildProgressBar` draw the progress the engine reports through plain callbacks.

``EXIT_CODES``, ``exit_code_for`` and ``main`` need no extra; the other names need the ``[cli]``
extra (typer and rich) and are imported on first use, so that ``main`` can say what to install
when it is missing.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, Final

from eventram.cli.exitcodes import EXIT_CODES, USAGE_ERROR, exit_code_for

if TYPE_CHECKING:
    from eventram.cli.progress import RebuildProgressBar, journal_progress_bar
    from eventram.cli.runner import INTERRUPTED, add_version_option, run_cli

__all__ = [
    "EXIT_CODES",
    "INTERRUPTED",
    "USAGE_ERROR",
    "RebuildProgressBar",
    "add_version_option",
    "exit_code_for",
    "journal_progress_bar",
    "main",
    "run_cli",
]

CLI_DEPENDENCIES: Final = frozenset({"typer", "rich"})
"""What the ``[cli]`` extra installs."""

_LAZY: Final = {
    "INTERRUPTED": "eventram.cli.runner",
    "RebuildProgressBar": "eventram.cli.progress",
    "add_version_option": "eventram.cli.runner",
    "journal_progress_bar": "eventram.cli.progress",
    "run_cli": "eventram.cli.runner",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def main(argv: list[str] | None = None) -> int:
    """The ``eventram`` console script; exits 2 when the ``[cli]`` extra is not installed."""
    try:
        from eventram.cli.journal import run
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").partition(".")[0]
        if missing not in CLI_DEPENDENCIES:
            raise
        sys.stderr.write(
            f"eventram: the command line needs {missing}, which is not installed: "
            "pip install 'eventram[cli]'\n"
        )
        return USAGE_ERROR
    return run(argv)
