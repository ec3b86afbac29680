"""A pull-based subscription to an event store: catch-up, then live, in global order."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Protocol

from eventram.envelope import RecordedEvent
from eventram.store.ports import EventFilter

__all__ = ["Followable", "Subscription"]


class Followable(Protocol):
    """What a subscription needs of a store: its log, its watermark, and a way to wait."""

    @property
    def closed(self) -> bool:
        """Whether the store was closed (a subscription then ends)."""
        ...

    def last_position(self) -> int:
        """The highest visible global position."""
        ...

    def read_all(
        self, after_position: int = 0, limit: int | None = None, filter: EventFilter | None = None
    ) -> Sequence[RecordedEvent]:
        """Visible events after a global position, in order, optionally filtered."""
        ...

    def wait_for_change(self, position: int, timeout: float | None) -> bool:
        """Block until the visible position passes ``position`` (or the store closes)."""
        ...

    def wake(self) -> None:
        """Wake every thread waiting in :meth:`wait_for_change`."""
        ...


class Subscription(Iterator[RecordedEvent]):
    """Yields every matching event after a position, then waits for new ones.

    The consumer pulls at its own pace, so it never blocks appends; ``position`` is the last
    global position handed out, the place to resume from after a failure or a restart.
    """

    def __init__(
        self,
        store: Followable,
        after_position: int = 0,
        filter: EventFilter | None = None,
        batch_size: int = 1000,
    ) -> None:
        self._store = store
        self._filter = filter
        self._batch_size = batch_size
        self._buffer: deque[RecordedEvent] = deque()
        self._scanned = after_position
        self.position = after_position
        self._closed = False

    def __next__(self) -> RecordedEvent:
        event = self.next(timeout=None)
        if event is None:
            raise StopIteration
        return event

    def next(self, timeout: float | None = None) -> RecordedEvent | None:
        """The next event, waiting up to ``timeout`` seconds (forever if None) for one.

        Returns None when the wait times out or the subscription (or store) is closed.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._buffer:
            if self._closed or self._store.closed:
                return None
            if self._fill():
                break
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return None
            self._store.wait_for_change(self._scanned, remaining)
        event = self._buffer.popleft()
        self.position = event.position
        return event

    def next_batch(
        self, max_events: int = 1000, timeout: float | None = 0.0
    ) -> list[RecordedEvent]:
        """Up to ``max_events`` events; waits up to ``timeout`` for the first one only."""
        first = self.next(timeout)
        if first is None:
            return []
        batch = [first]
        while len(batch) < max_events:
            if not self._buffer and not self._fill():
                break
            event = self._buffer.popleft()
            self.position = event.position
            batch.append(event)
        return batch

    def _fill(self) -> bool:
        last = self._store.last_position()
        while self._scanned < last:
            events = self._store.read_all(self._scanned, self._batch_size, self._filter)
            if events:
                self._buffer.extend(events)
                self._scanned = events[-1].position
                return True
            # nothing matched up to the last position read: skip past it
            self._scanned = (
                min(last, self._scanned + self._batch_size) if self._filter is None else last
            )
        return False

    def lag(self) -> int:
        """How many positions the subscription is behind the store."""
        return self._store.last_position() - self.position

    def close(self) -> None:
        """Stop the subscription; a waiting ``next`` returns None."""
        self._closed = True
        self._store.wake()
