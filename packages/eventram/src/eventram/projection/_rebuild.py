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
    projection = handle.projection
    flt = filter_for(projection)
    shadow = projection.new_state()
    started = time.perf_counter()
    position = 0
    applied = 0

    def report(done: int, total: int) -> None:
        handle.rebuild_progress = RebuildProgress(done, total)
        if progress is not None:
            progress(done, total)

    def fill(target: int) -> None:
        nonlocal position, applied
        for batch in chunks(store, flt, position, target, chunk_size):
            position, error = apply_events(projection, shadow, batch, position)
            if error is not None:
                raise error
            applied += len(batch)
            report(position, max(target, store.last_position()))
        position = max(position, target)

    handle.rebuild_error = None
    report(0, store.last_position())
    try:
        while True:
            target = store.last_position()
            fill(target)
            if store.last_position() - position <= chunk_size:
                break
        with handle.lock:
            fill(store.last_position())
            generation = handle.swap(shadow, position)
            if on_swap is not None:
                on_swap()
    except Exception as exc:
        handle.rebuild_error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        handle.rebuild_progress = None
    if progress is not None:
        progress(position, position)
    return RebuildReport(
        name=handle.name,
        events=applied,
        position=position,
        generation=generation,
        seconds=time.perf_counter() - started,
    )
