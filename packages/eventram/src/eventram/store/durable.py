"""A durable event store: an in-memory store whose every batch goes through a journal on disk.

``open_store`` locks the data directory (one writer), replays the journal into a new in-memory
store (cutting a torn tail, refusing damage), then attaches the journal writer, so every later
append reaches the journal before anyone sees it. ``store.close()`` syncs, closes and unlocks.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path

from eventram.codec import EventRegistry, registry
from eventram.envelope import RecordedEvent
from eventram.store.journal.lock import DirectoryLock
from eventram.store.journal.reader import Progress
from eventram.store.journal.recovery import RecoveryReport, recover
from eventram.store.journal.writer import (
    DEFAULT_SEGMENT_SIZE,
    FsyncPolicy,
    JournalWriter,
    check_policy,
)
from eventram.store.memory import InMemoryEventStore, Subscription, utc_now
from eventram.store.ports import (
    ANY,
    AppendRequest,
    AppendResult,
    BulkResult,
    CommitListener,
    EventFilter,
    EventLike,
    EventQuery,
)

__all__ = ["JOURNAL_DIR", "DurableStore", "open_store"]

JOURNAL_DIR = "journal"
"""The journal's sub-directory of a data directory."""


class DurableStore:
    """An in-memory store journaled in ``data_dir``; build it with :func:`open_store`.

    It holds the in-memory store (which writes each batch to the journal before showing it)
    and the journal writer, and implements the store's ports by delegation. ``recovery``
    reports what the start replayed; ``journal`` is the writer (``sync()`` forces an fsync
    whatever the policy). ``close()`` syncs, closes the journal and unlocks.
    """

    def __init__(
        self,
        data_dir: Path,
        journal: JournalWriter,
        events: InMemoryEventStore,
        recovery: RecoveryReport,
    ) -> None:
        self.data_dir = data_dir
        self.journal = journal
        self.recovery = recovery
        self._events = events

    def append(
        self,
        stream_id: str,
        events: Sequence[EventLike],
        expected_version: int = ANY,
        *,
        stream_type: str = "",
        metadata: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> AppendResult:
        """Append a batch atomically if the stream is at ``expected_version``; durable on return.

        Durable as the fsync policy promises: on disk with ``always``, in the OS otherwise.
        """
        return self._events.append(
            stream_id,
            events,
            expected_version,
            stream_type=stream_type,
            metadata=metadata,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )

    def append_many(self, requests: Sequence[AppendRequest]) -> BulkResult:
        """Append batches to many streams in one call: one journal frame, atomic per stream."""
        return self._events.append_many(requests)

    def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        limit: int | None = None,
        *,
        backwards: bool = False,
    ) -> list[RecordedEvent]:
        """Events of one stream from a version (or down from it when ``backwards``)."""
        return self._events.read_stream(stream_id, from_version, limit, backwards=backwards)

    def read_all(
        self, after_position: int = 0, limit: int | None = None, filter: EventFilter | None = None
    ) -> list[RecordedEvent]:
        """Events of every stream after a global position, in global order."""
        return self._events.read_all(after_position, limit, filter)

    def stream_version(self, stream_id: str) -> int:
        """The current version of a stream (0 when it does not exist)."""
        return self._events.stream_version(stream_id)

    def last_position(self) -> int:
        """The highest visible global position (0 when empty)."""
        return self._events.last_position()

    def subscribe(self, after_position: int = 0, filter: EventFilter | None = None) -> Subscription:
        """Catch up from a position, then follow new events live, in order."""
        return self._events.subscribe(after_position, filter)

    def find(self, query: EventQuery) -> list[RecordedEvent]:
        """Events matching every criterion of ``query``, in global order, up to its limit."""
        return self._events.find(query)

    def count(self, query: EventQuery) -> int:
        """How many events :meth:`find` would return without a limit."""
        return self._events.count(query)

    def add_listener(self, listener: CommitListener) -> None:
        """Call ``listener`` with each batch, in order, once it is visible (and durable)."""
        self._events.add_listener(listener)

    def get_event(self, event_id: uuid.UUID) -> RecordedEvent | None:
        """The visible event with this id, if any."""
        return self._events.get_event(event_id)

    def stream_ids(self) -> list[str]:
        """Every stream id with at least one visible event."""
        return self._events.stream_ids()

    def wait_for_change(self, position: int, timeout: float | None) -> bool:
        """Block until the visible position passes ``position`` (or the store closes)."""
        return self._events.wait_for_change(position, timeout)

    def wake(self) -> None:
        """Wake every thread waiting in :meth:`wait_for_change`."""
        self._events.wake()

    @property
    def event_registry(self) -> EventRegistry:
        """The registry that encodes appended events and decodes stored ones."""
        return self._events.event_registry

    def close(self) -> None:
        """Refuse further writes, sync and close the journal, unlock the directory."""
        self._events.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._events.closed

    def __len__(self) -> int:
        return len(self._events)


def open_store(
    data_dir: str | os.PathLike[str],
    *,
    fsync: FsyncPolicy = "interval",
    interval_ms: float = 100.0,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    progress: Progress | None = None,
    metadata_fields: Sequence[str] = (),
    clock: Callable[[], datetime] = utc_now,
    event_registry: EventRegistry = registry,
) -> DurableStore:
    """Lock ``data_dir``, replay its journal into a new store and journal every later append.

    ``fsync`` is ``always`` (an append returns once on disk; concurrent appends share one
    fsync), ``interval`` (synced every ``interval_ms``; a process crash loses nothing, a power
    loss at most that window) or ``never`` (the OS decides). ``progress`` is called with
    (bytes read, bytes total) during the replay. ``metadata_fields``, ``clock`` and
    ``event_registry`` are the in-memory store's. Raises ``JournalLockedError`` if another
    process writes to ``data_dir``, ``JournalCorruptError`` on damage before the last frame.
    """
    check_policy(fsync, interval_ms, segment_size)
    root = Path(data_dir)
    directory = root / JOURNAL_DIR
    directory.mkdir(parents=True, exist_ok=True)
    lock = DirectoryLock(root)
    lock.acquire()
    writer = JournalWriter(
        directory, fsync=fsync, interval_ms=interval_ms, segment_size=segment_size, lock=lock
    )
    try:
        events = InMemoryEventStore(
            metadata_fields=metadata_fields,
            journal=writer,
            clock=clock,
            event_registry=event_registry,
        )
        report = recover(directory, events, progress=progress)
        writer.open(report.tail)
    except BaseException:
        writer.close()
        raise
    return DurableStore(root, writer, events, report)
