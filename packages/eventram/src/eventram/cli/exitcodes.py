"""The one table of command-line exit codes.

It needs neither typer nor rich, so ``eventram.cli`` offers it even when the ``[cli]`` extra is
not installed; :func:`eventram.cli.run_cli` applies it.
"""

from __future__ import annotations

from typing import Final

from eventram.errors import (
    ConcurrencyError,
    DomainError,
    EventramError,
    JournalCorruptError,
    JournalError,
    JournalLockedError,
    NotFoundError,
    ValidationError,
)

__all__ = ["EXIT_CODES", "USAGE_ERROR", "exit_code_for"]

USAGE_ERROR: Final = 2
"""The exit code of a command-line argument error (as for a ``ValidationError``)."""

EXIT_CODES: Final[dict[type[BaseException], int]] = {
    EventramError: 1,
    ValidationError: USAGE_ERROR,
    NotFoundError: 3,
    DomainError: 4,
    ConcurrencyError: 5,
    JournalError: 6,
    JournalCorruptError: 7,
    JournalLockedError: 8,
}
"""Exit code per error class; 0 is success, 2 also a usage error, 130 an interrupted command."""


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an error (1 for anything not in the table)."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1
