"""Rebuild: fill a shadow state from position 0 while the live one serves, then swap."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from eventram.projection._catchup import chunks, filter_for
from eventram.projection._handle import ProjectionHandle, apply_events
from eventram.projection._source import EventSource
from eventram.projection._status import RebuildProgress, RebuildReport

__all__ = ["ProgressCallback", "rebuild"]

ProgressCallback = Callable[[int, int], None]
"""``progress(done, total)`` in global positions; called after every chunk and at the end."""


class _Shadow:
    """The state being rebuilt, how far it got, and who is told of its progress."""

    def __init__(
        self,
        handle: ProjectionHandle[Any],
        store: EventSource,
        chunk_size: int,
        progress: ProgressCallback | None,
    ) -> None:
        self.handle = handle
        self.store = store
        self.chunk_size = chunk_size
        self.progress = progress
        self.filter = filter_for(handle.projection)
        self.state = handle.projection.new_state()
        self.position = 0
        self.applied = 0

    def report(self, done: int, total: int) -> None:
        """Show the progress on the handle (for status queries) and to the callback."""
        self.handle.rebuild_progress = RebuildProgress(done, total)
        if self.progress is not None:
            self.progress(done, total)

    def fill(self, target: int) -> None:
        """Apply the events after the shadow's position up to ``target``, chunk by chunk."""
        projection = self.handle.projection
        for batch in chunks(self.store, self.filter, self.position, target, self.chunk_size):
            self.position, error = apply_events(projection, self.state, batch, self.position)
            if error is not None:
                raise error
            self.applied += len(batch)
            self.report(self.position, max(target, self.store.last_position()))
        self.position = max(self.position, target)

    def catch_up_without_lock(self) -> None:
        """Fill until the shadow is within one chunk of the store's last position."""
        while True:
            self.fill(self.store.last_position())
            if self.store.last_position() - self.position <= self.chunk_size:
                return


def rebuild(
    handle: ProjectionHandle[Any],
    store: EventSource,
    *,
    chunk_size: int = 10_000,
    progress: ProgressCallback | None = None,
    on_swap: Callable[[], None] | None = None,
) -> RebuildReport:
    """Replay every event the projection handles into a fresh state, then swap it in atomically.

    Queries keep reading the live state meanwhile. The shadow catches up without any lock
    until it is within one chunk of the store, then the last stretch is applied holding the
    handle's lock (so the live runner pauses for that stretch only), the state is swapped and
    the generation bumped, and ``on_swap`` runs still under the lock. A failing handler raises
    its ``ProjectionError`` and leaves the live state untouched.
    """
    started = time.perf_counter()
    shadow = _Shadow(handle, store, chunk_size, progress)
    handle.rebuild_error = None
    shadow.report(0, store.last_position())
    try:
        shadow.catch_up_without_lock()
        with handle.lock:
            shadow.fill(store.last_position())
            generation = handle.swap(shadow.state, shadow.position)
            if on_swap is not None:
                on_swap()
    except Exception as exc:
        handle.rebuild_error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        handle.rebuild_progress = None
    if progress is not None:
        progress(shadow.position, shadow.position)
    return RebuildReport(
        name=handle.name,
        events=shadow.applied,
        position=shadow.position,
        generation=generation,
        seconds=time.perf_counter() - started,
    )
