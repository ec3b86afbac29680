"""The part of an event store that projections need: read, follow, listen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from eventram.envelope import RecordedEvent
from eventram.store.ports import CommitListener, EventFilter

__all__ = ["EventSource", "Followed"]


class Followed(Protocol):
    """A live subscription that can be polled with a timeout and closed."""

    def next_batch(
        self, max_events: int = 1000, timeout: float | None = 0.0
    ) -> list[RecordedEvent]:
        """Up to ``max_events`` events; waits up to ``timeout`` s for the first one."""
        ...

    def close(self) -> None:
        """Stop following; a waiting call returns at once."""
        ...


class EventSource(Protocol):
    """What the projection runners use of an event store."""

    def read_all(
        self, after_position: int = 0, limit: int | None = None, filter: EventFilter | None = None
    ) -> Sequence[RecordedEvent]:
        """Events after a global position, in order, optionally filtered."""
        ...

    def last_position(self) -> int:
        """The highest visible global position."""
        ...

    def subscribe(self, after_position: int = 0, filter: EventFilter | None = None) -> Followed:
        """Catch up from a position, then follow new events."""
        ...

    def add_listener(self, listener: CommitListener) -> None:
        """Call ``listener`` with each committed batch, in the committing thread."""
        ...
