"""Open an in-memory event store backed by a journal on disk, and close it cleanly.

``open_store`` locks the data directory (one writer), replays the journal into memory
(cutting a torn tail, refusing damage), then attaches a journal writer, so every later append
reaches the journal before anyone sees it. ``store.close()`` syncs, closes and unlocks.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from eventram.codec import EventRegistry, registry
from eventram.store.journal.lock import DirectoryLock
from eventram.store.journal.reader import Progress
from eventram.store.journal.recovery import RecoveryReport, recover
from eventram.store.journal.writer import (
    DEFAULT_SEGMENT_SIZE,
    FsyncPolicy,
    JournalWriter,
    check_policy,
)
from eventram.store.memory import InMemoryEventStore, utc_now

__all__ = ["JOURNAL_DIR", "DurableStore", "open_store"]

JOURNAL_DIR = "journal"
"""The journal's sub-directory of a data directory."""


class DurableStore(InMemoryEventStore):
    """An ``InMemoryEventStore`` journaled in ``data_dir``; build it with :func:`open_store`.

    ``recovery`` reports what the start replayed; ``journal`` is the writer (``sync()`` forces
    an fsync whatever the policy). ``close()`` syncs, closes the journal and unlocks.
    """

    def __init__(
        self,
        data_dir: Path,
        journal: JournalWriter,
        *,
        metadata_fields: Sequence[str] = ("organization_id", "user_id"),
        clock: Callable[[], datetime] = utc_now,
        event_registry: EventRegistry = registry,
    ) -> None:
        super().__init__(
            metadata_fields=metadata_fields,
            journal=journal,
            clock=clock,
            event_registry=event_registry,
        )
        self.data_dir = data_dir
        self.journal = journal
        self.recovery: RecoveryReport | None = None


def open_store(
    data_dir: str | os.PathLike[str],
    *,
    fsync: FsyncPolicy = "interval",
    interval_ms: float = 100.0,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    progress: Progress | None = None,
    metadata_fields: Sequence[str] = ("organization_id", "user_id"),
    clock: Callable[[], datetime] = utc_now,
    event_registry: EventRegistry = registry,
) -> DurableStore:
    """Lock ``data_dir``, replay its journal into a new store and journal every later append.

    ``fsync`` is ``always`` (an append returns once on disk; concurrent appends share one
    fsync), ``interval`` (synced every ``interval_ms``; a process crash loses nothing, a power
    loss at most that window) or ``never`` (the OS decides). ``progress`` is called with
    (bytes read, bytes total) during the replay. Raises ``JournalLockedError`` if another
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
        store = DurableStore(
            root,
            writer,
            metadata_fields=metadata_fields,
            clock=clock,
            event_registry=event_registry,
        )
        store.recovery = recover(directory, store, progress=progress)
        writer.open(store.recovery.tail)
    except BaseException:
        writer.close()
        raise
    return store
