"""The rebuild progress bar shows the projection, and how far the rebuild got."""

from __future__ import annotations

import io

from rich.console import Console

from eventram import Event, InMemoryEventStore, RecordedEvent
from eventram.cli import RebuildProgressBar
from eventram.projection import Projection, ProjectionEngine


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
