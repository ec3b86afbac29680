"""The ``billing`` command line: ``serve``, ``tokens`` and the data commands (``operations``)."""

from __future__ import annotations

# Importing ``operations`` registers its commands (demo, stats, history, ...) on ``app``.
from billing.entrypoints.cli import operations  # noqa: F401
from billing.entrypoints.cli.app import app, err_console
from eventram.cli import run_cli

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``billing`` console script."""
    return run_cli(app, argv, err_console)
