"""The ``eventram`` command line: operations on a data directory's journal.

    eventram journal inspect DATA_DIR     segments, frames, streams, positions, sizes
    eventram journal verify DATA_DIR      check every frame; exit non-zero on damage
    eventram journal repair DATA_DIR      cut at the last sound frame (a backup is kept)
    eventram journal tail DATA_DIR        the latest events
    eventram --version

Errors leave with one line and an exit code from ``EXIT_CODES``, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from eventram import __version__
from eventram.cli.progress import journal_progress_bar
from eventram.cli.runner import add_version_option, run_cli
from eventram.envelope import RecordedEvent
from eventram.errors import JournalCorruptError
from eventram.store.journal.ops import JournalSummary, inspect, repair, tail
from eventram.store.journal.reader import Damage

__all__ = ["app", "run"]

app = typer.Typer(
    name="eventram",
    help="eventram operations: inspect, verify, repair and tail the journal of a data directory.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
journal_app = typer.Typer(
    help="The journal of a data directory (the directory given to open_store).",
    no_args_is_help=True,
)
app.add_typer(journal_app, name="journal")
add_version_option(app, f"eventram {__version__}")
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


DataDir = Annotated[
    Path, typer.Argument(help="The data directory (it holds journal/ and eventram.lock).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def _describe(damage: Damage) -> str:
    kind = "torn last frame" if damage.torn else "damage"
    return f"{kind} in {damage.path} at byte offset {damage.offset}: {damage.detail}"


def _summary_json(summary: JournalSummary) -> dict[str, Any]:
    return {
        "directory": str(summary.directory),
        "segments": [
            {
                "index": s.index,
                "file": s.path.name,
                "bytes": s.size,
                "file_bytes": s.file_size,
                "frames": s.frames,
                "events": s.events,
                "first_position": s.first_position,
                "last_position": s.last_position,
            }
            for s in summary.segments
        ],
        "frames": summary.frames,
        "events": summary.events,
        "streams": summary.streams,
        "last_position": summary.last_position,
        "bytes": summary.bytes,
        "bytes_per_event": summary.bytes_per_event,
        "event_types": summary.event_types,
        "damage": None
        if summary.damage is None
        else {
            "file": str(summary.damage.path),
            "offset": summary.damage.offset,
            "detail": summary.damage.detail,
            "torn": summary.damage.torn,
            "bytes": summary.damage.dropped,
        },
    }


@journal_app.command("inspect")
def inspect_command(data_dir: DataDir, as_json: AsJson = False) -> None:
    """Show the journal's segments, frames, events, streams, positions and sizes."""
    with journal_progress_bar("reading the journal", err_console) as progress:
        summary = inspect(data_dir, progress=progress)
    if as_json:
        console.print_json(json.dumps(_summary_json(summary)))
        return
    table = Table(title=f"journal {summary.directory}")
    for column in ("segment", "bytes", "on disk", "frames", "events", "positions"):
        table.add_column(column, justify="left" if column == "segment" else "right")
    for s in summary.segments:
        positions = f"{s.first_position}..{s.last_position}" if s.first_position else "-"
        table.add_row(
            s.path.name,
            f"{s.size:,}",
            f"{s.file_size:,}",
            f"{s.frames:,}",
            f"{s.events:,}",
            positions,
        )
    console.print(table)
    console.print(
        f"{summary.frames:,} frames, {summary.events:,} events in {summary.streams:,} streams, "
        f"last position {summary.last_position:,}; {summary.bytes:,} bytes "
        f"({summary.bytes_per_event:.1f} per event)"
    )
    if summary.event_types:
        counts = ", ".join(f"{name} {n:,}" for name, n in summary.event_types.items())
        console.print(f"event types: {counts}")
    if summary.damage is not None:
        colour = "yellow" if summary.damage.torn else "red"
        console.print(f"[{colour}]{_describe(summary.damage)}[/]")


@journal_app.command("verify")
def verify_command(data_dir: DataDir) -> None:
    """Check every frame (CRC, length, decoding, positions); exit 7 on any damage."""
    with journal_progress_bar("verifying the journal", err_console) as progress:
        summary = inspect(data_dir, progress=progress)
    damage = summary.damage
    if damage is not None:
        after = (
            "a torn last frame (a crash during a write); the next start cuts it"
            if damage.torn
            else "the store will not start until it is repaired"
        )
        console.print(
            f"{summary.frames:,} sound frames ({summary.events:,} events) before the damage"
        )
        raise JournalCorruptError(str(damage.path), damage.offset, f"{damage.detail}; {after}")
    console.print(
        f"[green]journal sound:[/] {len(summary.segments)} segment(s), {summary.frames:,} "
        f"frames, {summary.events:,} events, positions 1..{summary.last_position:,}"
    )


@journal_app.command("repair")
def repair_command(
    data_dir: DataDir,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Cut the journal at its last sound frame; the changed files are kept in backups/."""
    with journal_progress_bar("reading the journal", err_console) as progress:
        summary = inspect(data_dir, progress=progress)
    if summary.damage is None:
        console.print("[green]journal sound:[/] nothing to repair")
        return
    console.print(_describe(summary.damage))
    console.print(
        f"the journal will be cut there: {summary.frames:,} frames "
        f"({summary.events:,} events, positions 1..{summary.last_position:,}) are kept"
    )
    if not yes:
        typer.confirm("Cut the journal (a backup of the changed files is kept)?", abort=True)
    with journal_progress_bar("repairing the journal", err_console) as progress:
        report = repair(data_dir, progress=progress)
    if report.damage is None:
        console.print("[green]journal sound:[/] nothing to repair")
        return
    lost = (
        f"{report.lost_frames:,} sound frame(s) after the damage ({report.lost_events:,} events, "
        f"positions {report.lost_positions[0]:,}..{report.lost_positions[1]:,})"
        if report.lost_positions is not None
        else "no sound frame after the damage"
    )
    removed = len(report.removed_segments)
    console.print(
        f"[green]repaired:[/] cut {report.removed_bytes:,} byte(s) at "
        f"{report.damage.path.name}:{report.damage.offset}"
        + (f", removed {removed} segment(s)" if removed else "")
    )
    console.print(f"removed: {lost}")
    console.print(
        f"kept: {report.kept_frames:,} frames, positions 1..{report.kept_last_position:,}"
    )
    console.print(f"backup of the original files: {report.backup}")


def _data_of(event: RecordedEvent) -> Any:
    """The event's fields as plain data, without needing its class (this is not the app)."""
    try:
        return msgspec.msgpack.decode(event.payload)
    except msgspec.DecodeError:
        return event.payload.hex()


@journal_app.command("tail")
def tail_command(
    data_dir: DataDir,
    count: Annotated[int, typer.Option("--count", "-n", min=1, help="How many events.")] = 20,
    as_json: AsJson = False,
) -> None:
    """Print the latest events of the journal, oldest first."""
    events = tail(data_dir, count)
    if as_json:
        for event in events:
            record = {
                "position": event.position,
                "stream_id": event.stream_id,
                "stream_type": event.stream_type,
                "version": event.version,
                "event_type": event.event_type,
                "event_id": str(event.event_id),
                "recorded_at": event.recorded_at.isoformat().replace("+00:00", "Z"),
                "correlation_id": event.correlation_id,
                "causation_id": event.causation_id,
                "metadata": dict(event.metadata),
                "data": _data_of(event),
            }
            sys.stdout.write(msgspec.json.encode(record).decode() + "\n")
        return
    table = Table(title=f"last {len(events)} event(s)")
    for column in ("position", "stream", "version", "type", "recorded at", "data"):
        table.add_column(column, overflow="fold")
    for event in events:
        table.add_row(
            str(event.position),
            event.stream_id,
            str(event.version),
            event.event_type,
            event.recorded_at.isoformat(timespec="seconds"),
            msgspec.json.encode(_data_of(event)).decode(),
        )
    console.print(table)


def run(argv: list[str] | None = None) -> int:
    """Run the ``eventram`` command line on ``argv`` and return its exit code."""
    for output in (console, err_console):
        if not output.is_terminal:  # a pipe or a file: do not wrap tables at 80 columns
            output.width = 200
    return run_cli(app, argv, err_console)
