"""The one table of CLI exit codes, and the runner that applies it to a typer app.

Every console script (``eventram``, ``billing``) runs through :func:`run_cli`, so an error
prints as one sentence on stderr and exits with the code of the most specific class in its
MRO; never a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

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

if TYPE_CHECKING:
    import typer
    from rich.console import Console

__all__ = ["EXIT_CODES", "exit_code_for", "run_cli"]

EXIT_CODES: Final[dict[type[BaseException], int]] = {
    EventramError: 1,
    ValidationError: 2,  # also command-line usage errors
    NotFoundError: 3,
    DomainError: 4,
    ConcurrencyError: 5,
    JournalError: 6,
    JournalCorruptError: 7,
    JournalLockedError: 8,
}
"""Exit code per error class; 0 is success, 130 an interrupted command."""


def exit_code_for(exc: BaseException) -> int:
    """The exit code for an error (1 for anything not in the table)."""
    for cls in type(exc).__mro__:
        if cls in EXIT_CODES:
            return EXIT_CODES[cls]
    return 1


def run_cli(app: typer.Typer, argv: list[str] | None, err_console: Console) -> int:
    """Run a typer app and turn its outcome into an exit code from :data:`EXIT_CODES`."""
    import typer
    from click import ClickException

    try:
        app(args=argv, standalone_mode=False)
    except EventramError as exc:
        err_console.print(f"[red]error:[/] {exc}", highlight=False)
        return exit_code_for(exc)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except ClickException as exc:  # usage errors
        exc.show()
        return exc.exit_code
    return 0
