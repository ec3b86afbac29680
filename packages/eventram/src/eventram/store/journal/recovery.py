"""Recovery: replay a journal into a store, cutting a torn tail, refusing damage.

A torn last frame (a crash in the middle of a write) is cut off with a warning saying how many
bytes were dropped; those bytes were never acknowledged. Damage anywhere else stops recovery
with ``JournalCorruptError`` naming the file and offset.
"""

from __future__ import annotations

import gc
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from eventram.envelope import envelope_type
from eventram.errors import JournalCorruptError
from eventram.store.journal.reader import Damage, JournalReader, Progress
from eventram.store.journal.segment import fsync_directory
from eventram.store.journal.writer import JournalTail
from eventram.store.ports import Restorable

__all__ = ["RecoveryReport", "recover"]

log = logging.getLogger("eventram.journal")


@dataclass(frozen=True)
class RecoveryReport:
    """What recovery read and what it cut."""

    segments: int
    frames: int
    events: int
    last_position: int
    bytes_read: int
    dropped_bytes: int
    """Bytes of a torn tail cut off (0 when the journal ended cleanly)."""
    dropped_at: str | None
    """``file:offset`` where the torn tail was cut, if it was."""
    seconds: float
    tail: JournalTail
    """Where the writer goes on appending."""

    @property
    def events_per_second(self) -> float:
        """Replay speed."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


def recover(
    directory: Path, store: Restorable, *, progress: Progress | None = None
) -> RecoveryReport:
    """Load every committed batch of the journal in ``directory`` into ``store``.

    The events are built as the store's envelopes, so they decode with its registry.
    The caller holds the directory lock: a torn tail is cut from the file itself. The garbage
    collector is paused while millions of objects are created (it would otherwise walk them
    again and again as they pile up). A long-running process may then ``gc.freeze()`` what it
    keeps for good, as ``billing serve`` does; recovery does not, so a closed store is freed.
    """
    started = time.perf_counter()
    reader = JournalReader(
        directory, progress=progress, envelope=envelope_type(store.event_registry)
    )
    frames = events = 0
    collecting = gc.isenabled()
    gc.disable()
    try:
        for chunk in reader.chunks():
            frames += len(chunk.frames)
            events += store.restore_run(chunk.events, chunk.multi)
        store.catch_up_indexes()  # now, so that the first query after the start is not slow
    finally:
        if collecting:
            gc.enable()
    damage = reader.damage
    dropped_at: str | None = None
    if damage is not None:
        if not damage.torn:
            raise JournalCorruptError(str(damage.path), damage.offset, damage.detail)
        dropped_at = f"{damage.path}:{damage.offset}"
        _cut_torn_tail(damage)
    index, size = reader.end
    return RecoveryReport(
        segments=len(reader.segments) - (1 if damage is not None and damage.offset == 0 else 0),
        frames=frames,
        events=events,
        last_position=reader.next_position - 1,
        bytes_read=reader.total_bytes,
        dropped_bytes=damage.dropped if damage is not None else 0,
        dropped_at=dropped_at,
        seconds=time.perf_counter() - started,
        tail=JournalTail(index, size, reader.next_position),
    )


def _cut_torn_tail(damage: Damage) -> None:
    log.warning(
        "The journal ends with a torn frame (a crash during a write): dropped %d byte(s) "
        "from %s at offset %d (%s), the torn frame and any zeros preallocated after it. "
        "The frame was never acknowledged.",
        damage.dropped,
        damage.path,
        damage.offset,
        damage.detail,
    )
    if damage.offset == 0:
        damage.path.unlink()
        fsync_directory(damage.path.parent)
        return
    fd = os.open(damage.path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.ftruncate(fd, damage.offset)
        os.fsync(fd)
    finally:
        os.close(fd)
