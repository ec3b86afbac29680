"""The command line's bars draw the progress the engine reports through plain callbacks."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from eventram import Event, InMemoryEventStore, RecordedEvent, open_store
from eventram.cli import RebuildProgressBar, journal_progress_bar
from eventram.projection import Projection, ProjectionEngine
from eventram.store.journal.ops import inspect


class PgsNoted(Event, frozen=True):
    text: str


def noted(state: list[str], event: PgsNoted, envelope: RecordedEvent) -> None:
    state.append(event.text)


def test_a_rebuild_drives_the_bar_to_completion() -> None:
    store = InMemoryEventStore()
    for i in range(25):
        store.append(f"s-{i}", [PgsNoted(text=str(i))])
    out = io.StringIO()
    with ProjectionEngine(store, chunk_size=10) as engine:
        engine.register(Projection("notes", {PgsNoted: noted}, list[str]))
        engine.start()

        with RebuildProgressBar("notes", Console(file=out, width=100)) as bar:
            engine.rebuild("notes", progress=bar)

    shown = out.getvalue()
    assert "rebuilding notes" in shown
    assert "25/25" in shown


def test_the_journal_bar_follows_the_bytes_a_reader_reports_on_a_terminal(tmp_path: Path) -> None:
    store = open_store(tmp_path, fsync="never")
    for i in range(25):
        store.append(f"s-{i}", [PgsNoted(text=str(i))])
    store.close()
    out = io.StringIO()
    terminal = Console(file=out, width=100, force_terminal=True)

    with journal_progress_bar("verifying the journal", terminal) as progress:
        summary = inspect(tmp_path, progress=progress)

    assert summary.events == 25
    assert "verifying the journal" in out.getvalue()


def test_the_journal_bar_stays_silent_in_a_pipe(tmp_path: Path) -> None:
    out = io.StringIO()

    with journal_progress_bar("replaying the journal", Console(file=out)) as progress:
        progress(10, 100)
        progress(100, 100)

    assert out.getvalue() == ""
