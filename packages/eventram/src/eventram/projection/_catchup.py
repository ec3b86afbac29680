"""Reading the events a projection handles in chunks, up to a target position."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import Any

from eventram.envelope import RecordedEvent
from eventram.projection._declaration import Projection
from eventram.projection._handle import ProjectionHandle
from eventram.projection._source import EventSource
from eventram.store.ports import EventFilter

__all__ = ["catch_up", "chunks", "filter_for"]


def filter_for(projection: Projection[Any]) -> EventFilter | None:
    """The store filter for the events a projection handles: its one type, or none at all.

    With several types the in-memory store merges their whole posting lists on every filtered
    read, which makes a catch-up quadratic; reading everything and skipping the other events
    (a dict lookup each, when applying) stays linear.
    """
    types = projection.event_types
    return EventFilter(event_types=types) if len(types) == 1 else None


def chunks(
    store: EventSource, flt: EventFilter | None, after: int, target: int, size: int
) -> Iterator[Sequence[RecordedEvent]]:
    """Chunks of at most ``size`` matching events in positions ``(after, target]``, in order."""
    while after < target:
        batch = store.read_all(after, size, flt)
        if not batch:
            return
        if batch[-1].position > target:
            batch = batch[: bisect_right([e.position for e in batch], target)]
            if not batch:
                return
        yield batch
        after = batch[-1].position


def catch_up(
    projection: Projection[Any],
    handle: ProjectionHandle[Any],
    store: EventSource,
    chunk_size: int,
    *,
    locked: bool,
) -> None:
    """Apply what the projection has not processed yet, up to the store's last position.

    Unlocked, it repeats until the remaining gap is at most one chunk, so that the final
    ``locked`` pass (run holding the handle's lock) is short.
    """
    flt = filter_for(projection)
    while True:
        target = store.last_position()
        for batch in chunks(store, flt, handle.position, target, chunk_size):
            handle.apply(batch)
        handle.advance_to(target)
        if locked or store.last_position() - handle.position <= chunk_size:
            return
