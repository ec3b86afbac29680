"""What readers of a store may see: the watermark, the batches waiting for it, the listeners.

A batch is inserted in the store's log first, then shown: at once when nobody needs to wait
(no journal sync to wait for, no listener to tell, nothing shown before it still waiting), else
queued here until its commit makes it, and every batch before it, visible in log order.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Sequence

from eventram.envelope import RecordedEvent
from eventram.store.ports import CommitListener

__all__ = ["Visibility"]

_logger = logging.getLogger("eventram.store")


class Visibility:
    """The visible position of a store, its pending batches, listeners and waiting threads.

    Every read of the store is bounded by :attr:`position`, so a reader never sees half a
    batch. The store calls :meth:`defers`, :meth:`show` and :meth:`queue` under its append
    lock, :meth:`publish` after releasing it.
    """

    def __init__(self) -> None:
        self.position = 0
        """The highest visible global position."""
        self._pending: deque[Sequence[RecordedEvent]] = deque()  # inserted, not yet visible
        self._listeners: list[CommitListener] = []
        self._commit_lock = threading.Lock()
        self._changed = threading.Condition(threading.Lock())
        self._waiters = 0  # threads in wait_past: a move notifies only if there are some
        self._closed = False

    def defers(self, journal_waits: bool) -> bool:
        """Whether a batch just inserted must be queued rather than shown at once."""
        return bool(journal_waits or self._listeners or self._pending)

    def show(self, position: int) -> None:
        """Make the log visible up to ``position`` and wake the threads waiting for a change."""
        self.position = position
        if self._waiters:
            self.wake()

    def queue(self, batches: Sequence[Sequence[RecordedEvent]]) -> None:
        """Keep inserted batches until :meth:`publish` shows them."""
        self._pending.extend(batches)

    def publish(self, position: int) -> None:
        """Make every queued batch up to ``position`` visible, in order, and tell listeners."""
        if self.position >= position and not self._listeners:
            return  # another commit showed it, and there is nobody to tell: no lock needed
        with self._commit_lock:
            pending = self._pending
            published: list[Sequence[RecordedEvent]] = []
            while pending and pending[0][-1].position <= position:
                published.append(pending.popleft())
            if not published:
                return
            # popped before they are visible: no append shows its batch directly meanwhile,
            # as the commit lock is held until they are
            self.show(published[-1][-1].position)
            for batch in published:
                self._notify(batch)

    def in_use(self) -> bool:
        """Whether someone listens or batches wait (a bulk restore must then queue too)."""
        return bool(self._listeners or self._pending)

    def add_listener(self, listener: CommitListener) -> None:
        """Tell ``listener`` of every batch shown from now on (the store holds its lock)."""
        with self._commit_lock:
            self._listeners.append(listener)

    def _notify(self, batch: Sequence[RecordedEvent]) -> None:
        # the batch is committed: a failing listener must neither fail the append nor starve
        # the listeners after it
        for listener in self._listeners:
            try:
                listener(batch)
            except Exception:
                _logger.exception(
                    "store listener %s failed on positions %d-%d; the batch stays committed",
                    getattr(listener, "__qualname__", repr(listener)),
                    batch[0].position,
                    batch[-1].position,
                )

    def wait_past(self, position: int, timeout: float | None) -> bool:
        """Block until the visible position passes ``position`` (or :meth:`close`)."""
        with self._changed:
            # counted before the check: a move after the check sees a waiter and notifies
            self._waiters += 1
            try:
                if self.position > position or self._closed:
                    return True
                self._changed.wait(timeout)
                return self.position > position
            finally:
                self._waiters -= 1

    def wake(self) -> None:
        """Wake every waiting thread (they check again what they wait for)."""
        with self._changed:
            self._changed.notify_all()

    def close(self) -> None:
        """Release every waiter for good: the store closed."""
        self._closed = True
        self.wake()
