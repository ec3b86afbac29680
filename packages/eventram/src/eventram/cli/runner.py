"""Run a typer app so that every outcome is an exit code and at most one line on stderr.

Both console scripts (``eventram``, ``billing``) run through :func:`run_cli`. Typer raises its
own exception classes (it bundles a copy of click: ``typer.TyperException`` is the base of its
usage errors, not ``click.ClickException``), so they are caught here by typer's public base
class; a usage error prints as one line naming the option or argument and exits 2, an
``EventramError`` as one sentence with the exit code of :data:`EXIT_CODES`. Never a traceback.
"""

# No ``from __future__ import annotations``: typer reads the annotations of the ``--version``
# callback below at run time, and a string could not name the local ``show_version``.
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

from eventram.cli.exitcodes import exit_code_for
from eventram.errors import EventramError

__all__ = ["INTERRUPTED", "add_version_option", "run_cli"]

INTERRUPTED = 130
"""The exit code of a command stopped by the user (a refused confirmation, Ctrl-C)."""


def run_cli(app: typer.Typer, argv: list[str] | None, err_console: Console) -> int:
    """Run ``app`` on ``argv`` (``sys.argv[1:]`` when None) and return its exit code."""
    try:
        # Without standalone mode typer raises instead of printing a box and exiting, and
        # returns the code of a ``typer.Exit`` (``--version``, ``--help``) instead of None.
        outcome = app(args=argv, prog_name=app.info.name, standalone_mode=False)
    except EventramError as exc:
        _print_error(err_console, str(exc))
        return exit_code_for(exc)
    except typer.Abort:
        err_console.print("aborted")
        return INTERRUPTED
    except typer.TyperException as exc:
        return _report_usage_error(exc, err_console)
    return outcome if isinstance(outcome, int) else 0


def _report_usage_error(exc: typer.TyperException, err_console: Console) -> int:
    message = exc.format_message()
    if not message.strip() or "\n" in message:
        # ``no_args_is_help``: the "error" is the command's help, which typer has already
        # printed when rich is present and otherwise carries as the message.
        err_console.out(message, end="", highlight=False)
        return exc.exit_code
    context = getattr(exc, "ctx", None)
    command = getattr(context, "command_path", None)
    hint = f" (see `{command} --help`)" if command else ""
    _print_error(err_console, f"{message}{hint}")
    return exc.exit_code


def _print_error(err_console: Console, message: str) -> None:
    """``error: message`` on one line: never wrapped, never read as rich markup."""
    line = Text("error: ", style="red").append(message)
    err_console.print(line, soft_wrap=True, highlight=False)


def add_version_option(app: typer.Typer, version_line: str) -> None:
    """Give ``app`` a ``--version`` option that prints ``version_line`` and exits 0.

    It becomes the app's callback (the options before the command), so ``app`` must have none.
    """

    def show_version(wanted: bool) -> None:
        if wanted:
            typer.echo(version_line)
            raise typer.Exit()

    @app.callback()
    def options(
        version: Annotated[
            bool,
            typer.Option(
                "--version",
                callback=show_version,
                is_eager=True,
                help="Print the version and exit.",
            ),
        ] = False,
    ) -> None:
        """The options before the command."""
