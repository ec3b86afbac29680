"""The ``billing`` command line: ``serve`` and ``tokens``; other modules add their commands.

A module ``billing/cli_<name>.py`` adds commands by decorating functions with ``@app.command()``
(importing ``app`` from here); ``main`` imports every such module before running, so adding a
command never means editing this file. Errors leave with a message and an exit code from
``EXIT_CODES``, never a traceback.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

import billing
from eventram import (
    EXIT_CODES,
    EventramError,
    ValidationError,
    exit_code_for,
    run_cli,
)

if TYPE_CHECKING:
    from billing.bootstrap import BillingApp

__all__ = ["EXIT_CODES", "app", "console", "exit_code_for", "main", "tokens_app"]

app = typer.Typer(
    name="billing",
    help="The Gyroscops billing service: serve the HTTP API, manage tokens, and more.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
tokens_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")
console = Console()
err_console = Console(stderr=True)

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="Directory of the journal and the tokens.")
]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
    data_dir: DataDir = Path("./var"),
    fsync: Annotated[
        str, typer.Option(help="When the journal reaches the disk: always, interval or never.")
    ] = "interval",
    projections: Annotated[
        str,
        typer.Option(help="inline (read-your-writes) or async (background, checkpointed)."),
    ] = "inline",
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve the HTTP API with the embedded engine, journaled to --data-dir."""
    import gc
    import logging

    import uvicorn

    from billing.bootstrap import Settings, build
    from billing.http.app import create_app
    from billing.http.logging import configure_logging
    from billing.http.tokens import TokenStore

    configure_logging(getattr(logging, log_level.upper(), logging.INFO))
    settings = Settings(
        data_dir=str(data_dir),
        fsync=fsync,  # type: ignore[arg-type]
        projections=projections,  # type: ignore[arg-type]
    )
    tokens = TokenStore(data_dir)
    with replay_bar() as progress:
        service = build(settings, replay_progress=progress)
    # The replayed events and read models live as long as the process: keep the collector from
    # walking them again and again on every full collection while requests allocate.
    gc.collect()
    gc.freeze()
    try:
        if tokens.is_empty():
            _print_first_tokens(tokens)
        http_app = create_app(service, tokens=tokens)
        console.print(
            f"billing listens on [bold]http://{host}:{port}[/] "
            f"(API docs at http://{host}:{port}/schema/swagger), data in {data_dir.resolve()}",
            highlight=False,
        )
        uvicorn.run(
            http_app,
            host=host,
            port=port,
            log_level=log_level.lower(),
            access_log=False,
            log_config=None,
        )
    finally:
        _snapshot_read_models(service)
        service.close()


@contextmanager
def replay_bar() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr for the journal's replay at start (on a terminal only)."""
    from eventram.store.durable import journal_progress_bar

    with journal_progress_bar("replaying the journal", err_console) as progress:
        yield progress


def _snapshot_read_models(service: BillingApp) -> None:
    """On a graceful stop, snapshot the read models so the next start replays only the tail."""
    try:
        written = service.save_snapshots()
    except (EventramError, OSError) as exc:
        err_console.print(
            f"[yellow]warning:[/] read-model snapshots not written ({exc}); "
            "the next start rebuilds them from the journal",
            highlight=False,
        )
        return
    if written:
        console.print(
            f"read-model snapshots written: {', '.join(sorted(written))}", highlight=False
        )


def _print_first_tokens(tokens: object) -> None:
    from billing.http.tokens import TokenStore

    assert isinstance(tokens, TokenStore)
    _, operator = tokens.create(None, label="created on first start")
    _, demo = tokens.create("demo", label="created on first start")
    console.print(
        Panel.fit(
            f"operator token:            [bold]{operator}[/]\n"
            f"organization 'demo' token: [bold]{demo}[/]\n\n"
            "They are shown once and stored only hashed. Create more with "
            "`billing tokens create --org ORG`.",
            title="First start: API tokens",
        ),
        highlight=False,
    )


@tokens_app.command("create")
def tokens_create(
    org: Annotated[
        str | None, typer.Option("--org", help="Organization the token acts for.")
    ] = None,
    operator: Annotated[bool, typer.Option("--operator", help="An operator token.")] = False,
    label: Annotated[str, typer.Option(help="A note to recognise the token by.")] = "",
    data_dir: DataDir = Path("./var"),
) -> None:
    """Create a token for one organization (--org ORG) or an operator token (--operator)."""
    from billing.http.tokens import TokenStore

    if (org is None) == (not operator):
        raise ValidationError("Give exactly one of --org ORG or --operator.", field="org")
    record, secret = TokenStore(data_dir).create(None if operator else org, label=label)
    who = "operator" if record.operator else f"organization {record.organization_id!r}"
    console.print(f"Created {record.token_id} for {who}. Token (shown once):", highlight=False)
    typer.echo(secret)


@tokens_app.command("list")
def tokens_list(data_dir: DataDir = Path("./var")) -> None:
    """List tokens (ids and owners; the secrets are not stored)."""
    from billing.http.tokens import TokenStore

    table = Table("id", "kind", "organization", "created", "label")
    for record in TokenStore(data_dir).records():
        table.add_row(
            record.token_id,
            "operator" if record.operator else "organization",
            record.organization_id or "-",
            record.created_at.isoformat().replace("+00:00", "Z"),
            record.label,
        )
    console.print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id, as `tokens list` shows.")],
    data_dir: DataDir = Path("./var"),
) -> None:
    """Revoke a token by its id; a running server refuses it within a second."""
    from billing.http.tokens import TokenStore

    record = TokenStore(data_dir).revoke(token_id)
    console.print(f"Revoked {record.token_id}.", highlight=False)


def _load_command_modules() -> None:
    """Import every ``billing.cli_*`` module, so that their commands register on ``app``."""
    for module in pkgutil.iter_modules(billing.__path__):
        if module.name.startswith("cli_"):
            importlib.import_module(f"billing.{module.name}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``billing`` console script."""
    _load_command_modules()
    return run_cli(app, argv, err_console)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
