"""Operations on a journal at rest: inspect, verify, repair, tail (behind ``eventram journal``).

``inspect`` and ``verify`` read every frame and never write. ``repair`` takes the directory
lock (so never while a writer runs), copies every file it will change into a backup directory,
cuts the journal at the last sound frame and says what it removed. ``tail`` reads only the last
segments.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from eventram.envelope import RecordedEvent
from eventram.errors import NotFoundError
from eventram.store.journal.frame import FRAME_HEADER, decode_payload, frame_at
from eventram.store.journal.lock import DirectoryLock
from eventram.store.journal.reader import Damage, JournalReader, Progress
from eventram.store.journal.scan import next_sound_frame
from eventram.store.journal.segment import HEADER_SIZE, fsync_directory, list_segments

__all__ = [
    "BACKUP_DIR",
    "JournalSummary",
    "RepairReport",
    "SegmentSummary",
    "inspect",
    "journal_dir",
    "repair",
    "tail",
]

BACKUP_DIR = "backups"
"""Where ``repair`` keeps the original files, under the data directory."""


def journal_dir(data_dir: Path) -> Path:
    """The journal directory of a data directory; ``NotFoundError`` if there is none."""
    directory = data_dir / "journal"
    if not directory.is_dir():
        raise NotFoundError("journal directory", str(directory))
    return directory


@dataclass
class SegmentSummary:
    """One segment: its file, sizes, and the frames, events and positions it holds."""

    index: int
    path: Path
    size: int
    """Bytes in use: the header and the sound frames."""
    file_size: int
    """Bytes on disk, with the zeros preallocated after the frames."""
    frames: int = 0
    events: int = 0
    first_position: int | None = None
    last_position: int | None = None


@dataclass
class JournalSummary:
    """What a full read of a journal found, and where it stopped if it found damage."""

    directory: Path
    segments: list[SegmentSummary] = field(default_factory=list)
    frames: int = 0
    events: int = 0
    bytes: int = 0
    last_position: int = 0
    streams: int = 0
    event_types: dict[str, int] = field(default_factory=dict)
    damage: Damage | None = None

    @property
    def bytes_per_event(self) -> float:
        """Journal bytes in use (headers included, preallocated zeros not) per event."""
        return self.bytes / self.events if self.events else 0.0


def inspect(data_dir: Path, *, progress: Progress | None = None) -> JournalSummary:
    """Read every frame of the journal and summarise it (``damage`` is set if reading stopped)."""
    directory = journal_dir(data_dir)
    reader = JournalReader(directory, progress=progress)
    segments = {
        index: SegmentSummary(index, path, HEADER_SIZE, path.stat().st_size)
        for index, path in reader.segments
    }
    summary = JournalSummary(directory, list(segments.values()))
    streams: set[str] = set()
    types: Counter[str] = Counter()
    for frame in reader.frames():
        segment = segments[frame.segment]
        segment.frames += 1
        segment.size = frame.offset + frame.size
        for batch in frame.batches:
            if segment.first_position is None:
                segment.first_position = batch[0].position
            segment.last_position = batch[-1].position
            segment.events += len(batch)
            streams.add(batch[0].stream_id)
            types.update(e.event_type for e in batch)
    summary.bytes = sum(s.size for s in summary.segments)
    summary.frames = sum(s.frames for s in summary.segments)
    summary.events = sum(s.events for s in summary.segments)
    summary.last_position = reader.next_position - 1
    summary.streams = len(streams)
    summary.event_types = dict(types.most_common())
    summary.damage = reader.damage
    return summary


def tail(data_dir: Path, count: int) -> list[RecordedEvent]:
    """The last ``count`` events of the journal (reading backwards, segment by segment)."""
    directory = journal_dir(data_dir)
    indexes = [index for index, _ in list_segments(directory)]
    found: deque[RecordedEvent] = deque(maxlen=count)
    for start in reversed(indexes):
        found.clear()
        for frame in JournalReader(directory, from_segment=start).frames():
            for batch in frame.batches:
                found.extend(batch)
        if len(found) >= count:
            break
    return list(found)


@dataclass(frozen=True)
class RepairReport:
    """What ``repair`` did: where it cut, what it removed and where the originals are kept."""

    damage: Damage | None
    """The damage that was cut off (None: the journal was sound, nothing was changed)."""
    kept_frames: int
    kept_last_position: int
    backup: Path | None = None
    removed_bytes: int = 0
    removed_segments: tuple[Path, ...] = ()
    lost_frames: int = 0
    """Sound frames found after the damage (cut off with it)."""
    lost_events: int = 0
    lost_positions: tuple[int, int] | None = None


def repair(data_dir: Path, *, progress: Progress | None = None) -> RepairReport:
    """Cut the journal at its last sound frame, keeping a backup of every changed file."""
    directory = journal_dir(data_dir)
    with DirectoryLock(data_dir):
        reader = JournalReader(directory, progress=progress)
        kept = sum(1 for _ in reader.frames())
        damage = reader.damage
        if damage is None:
            return RepairReport(None, kept, reader.next_position - 1)
        damaged = next(index for index, path in reader.segments if path == damage.path)
        affected = [path for index, path in reader.segments if index >= damaged]
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        backup = data_dir / BACKUP_DIR / f"repair-{stamp}"
        backup.mkdir(parents=True)
        for path in affected:
            shutil.copy2(path, backup / path.name)
            _fsync_file(backup / path.name)
        fsync_directory(backup)
        lost = _Lost()
        removed_bytes = 0
        removed: list[Path] = []
        for path in affected:
            data = path.read_bytes()
            if path == damage.path:
                lost.count(data, next_sound_frame(data, damage.offset + 1))
                removed_bytes += len(data) - damage.offset
                if damage.offset == 0:
                    path.unlink()
                    removed.append(path)
                else:
                    _truncate(path, damage.offset)
            else:
                lost.count(data, next_sound_frame(data, HEADER_SIZE))
                removed_bytes += len(data)
                path.unlink()
                removed.append(path)
        fsync_directory(directory)
        return RepairReport(
            damage,
            kept,
            reader.next_position - 1,
            backup,
            removed_bytes,
            tuple(removed),
            lost.frames,
            lost.events,
            (lost.first, lost.last) if lost.first is not None and lost.last is not None else None,
        )


class _Lost:
    """Counts the sound frames (and their events) found in damaged or removed bytes."""

    def __init__(self) -> None:
        self.frames = 0
        self.events = 0
        self.first: int | None = None
        self.last: int | None = None

    def count(self, data: bytes, offset: int | None) -> None:
        while offset is not None:
            end, why = frame_at(data, offset)
            if why is not None:
                offset = next_sound_frame(data, offset + 1)
                continue
            try:
                batches = decode_payload(memoryview(data)[offset + FRAME_HEADER.size : end])
            except (msgspec.DecodeError, msgspec.ValidationError):
                batches = []
            self.frames += 1
            for batch in batches:
                self.events += len(batch)
                low, high = batch[0].position, batch[-1].position
                self.first = low if self.first is None else min(self.first, low)
                self.last = high if self.last is None else max(self.last, high)
            offset = end


def _truncate(path: Path, size: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
