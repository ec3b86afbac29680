"""Walks a journal's segments and frames in order, checking headers, CRCs and positions.

Zeros after a segment's last frame are space the writer preallocated: the clean end of that
segment. Reading stops at the first damage and describes it. Damage is *torn* when it sits in
the last segment and no sound frame follows it: what a crash in the middle of a write leaves behind,
safe to cut. Anything else (a bad frame with sound frames after it, a bad header, a gap in the
positions) is corruption that needs an operator (``eventram journal verify|repair``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import google_crc32c
import msgspec

from eventram.envelope import RecordedEvent
from eventram.store.journal.frame import (
    FRAME_HEADER,
    MAX_PAYLOAD,
    Interner,
    decode_payload,
)
from eventram.store.journal.scan import next_sound_frame, zeros_from
from eventram.store.journal.segment import HEADER_SIZE, list_segments, parse_header

__all__ = ["Damage", "Frame", "JournalReader", "Progress", "RawFrame"]

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, bytes in the journal) while a journal is read."""

_PROGRESS_STEP = 4 * 1024 * 1024
_HEADER = FRAME_HEADER.size
_crc = google_crc32c.value

RawFrame = tuple[int, int, list[list[RecordedEvent]]]
"""A sound frame as ``(offset, end, batches)``."""


@dataclass(frozen=True)
class Damage:
    """Where reading stopped: the file, the offset of the first unsound byte, and why."""

    path: Path
    offset: int
    detail: str
    torn: bool
    """True for a torn tail (the end of the last segment, nothing sound after it)."""
    dropped: int
    """Bytes from ``offset`` to the end of that file (preallocated zeros included)."""


@dataclass(frozen=True)
class Frame:
    """One sound frame: where it is, its size in bytes, and the batches it holds."""

    path: Path
    segment: int
    offset: int
    size: int
    batches: list[list[RecordedEvent]]


class JournalReader:
    """Reads the segments of ``directory`` once, in order; see :meth:`frames`.

    ``from_segment`` skips the segments before that index (the first one read is trusted to
    start where its header says).

    After the walk, ``damage`` says where and why it stopped early (None: the journal is
    sound), ``end`` is ``(segment index, offset)`` just past the last sound frame, and
    ``next_position`` the position the next event would take.
    """

    def __init__(
        self,
        directory: Path,
        *,
        progress: Progress | None = None,
        from_segment: int = 0,
    ) -> None:
        self.directory = directory
        self.segments = [(i, p) for i, p in list_segments(directory) if i >= from_segment]
        self.total_bytes = sum(path.stat().st_size for _, path in self.segments)
        self.damage: Damage | None = None
        self.end: tuple[int, int] = (0, 0)
        self.next_position = 1
        self._trust_first_header = from_segment > 0
        self._interner = Interner()
        self._progress = progress

    def frames(self) -> Iterator[Frame]:
        """Every sound frame up to the first damage, in journal order."""
        for index, path, frames, _ in self.chunks():
            for offset, end, batches in frames:
                yield Frame(path, index, offset, end - offset, batches)

    def chunks(self) -> Iterator[tuple[int, Path, list[RawFrame], list[list[RecordedEvent]]]]:
        """Runs of sound frames: ``(segment index, path, [(offset, end, batches)], batches)``.

        The fast path of recovery: a few megabytes of frames at a time, no object per frame,
        and all their batches in one list as well.
        """
        done = 0
        last = len(self.segments) - 1
        for number, (index, path) in enumerate(self.segments):
            data = path.read_bytes()
            offset = self._open_segment(data, path, index, number == last)
            if offset is None:
                return
            size = len(data)
            while offset < size:
                frames, batches, offset, why = self._scan(data, offset, offset + _PROGRESS_STEP)
                if frames:
                    self.end = (index, offset)
                    yield index, path, frames, batches
                if why is not None:
                    if zeros_from(data, offset):  # preallocated space: the segment ends here
                        self.end = (index, offset)
                        offset = size
                    else:
                        torn = number == last and next_sound_frame(data, offset + 1) is None
                        self.damage = Damage(path, offset, why, torn, size - offset)
                        return
                if self._progress is not None:
                    self._progress(done + offset, self.total_bytes)
            done += size
        if self._progress is not None:
            self._progress(self.total_bytes, self.total_bytes)

    def _scan(
        self, data: bytes, offset: int, stop: int
    ) -> tuple[list[RawFrame], list[list[RecordedEvent]], int, str | None]:
        """Check and decode the frames from ``offset`` until ``stop`` or the first bad one.

        Returns the sound frames, where scanning stopped, and why if a frame was bad. The checks
        of ``frame_at`` are inlined: this loop runs once per frame of the journal.
        """
        frames: list[RawFrame] = []
        flat: list[list[RecordedEvent]] = []
        size = len(data)
        view = memoryview(data)
        expected = self.next_position
        unpack, crc, decode = FRAME_HEADER.unpack_from, _crc, decode_payload
        interner = self._interner
        why: str | None = None
        while offset < stop and offset < size:
            if offset + _HEADER > size:
                why = f"incomplete frame header ({size - offset} of {_HEADER} bytes)"
                break
            checksum, length = unpack(data, offset)
            end = offset + _HEADER + length
            if length == 0 or length > MAX_PAYLOAD:
                why = f"impossible frame length {length}"
                break
            if end > size:
                why = f"frame of {length} bytes runs past the end of the file by {end - size}"
                break
            if crc(data[offset + 4 : end]) != checksum:
                why = "CRC mismatch"
                break
            try:
                batches = decode(view[offset + _HEADER : end], interner)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                why = f"frame payload cannot be decoded ({exc})"
                break
            if not batches:
                why = "frame holds no batch"
                break
            before = expected
            for batch in batches:
                if not batch:
                    why = "frame holds an empty batch"
                    break
                if batch[0].position != expected:
                    why = f"frame starts at position {batch[0].position}, expected {expected}"
                    break
                expected = batch[-1].position + 1
            if why is not None:
                expected = before
                break
            frames.append((offset, end, batches))
            flat += batches
            offset = end
        self.next_position = expected
        view.release()
        return frames, flat, offset, why

    def _open_segment(self, data: bytes, path: Path, index: int, last: bool) -> int | None:
        """Check a segment's header; return where its frames start, or None on damage."""
        header = parse_header(data, path)
        why: str | None = None
        if isinstance(header, str):
            why = header
        elif header.index != index:
            why = f"the header says segment {header.index} but the file name says {index}"
        elif self.end[0] and index != self.end[0] + 1:
            why = f"segment {self.end[0] + 1} is missing before segment {index}"
        elif self._trust_first_header and not self.end[0]:
            self.next_position = header.first_position
        elif header.first_position != self.next_position:
            why = (
                f"the segment starts at position {header.first_position} but the journal "
                f"before it ends at position {self.next_position - 1}"
            )
        if why is not None:
            # a crash while a segment was being created leaves at most a partial header (and,
            # with fsync=never, perhaps the zeros preallocated after it but not the header)
            torn = (
                last
                and isinstance(header, str)
                and (len(data) <= HEADER_SIZE or zeros_from(data, 0))
            )
            self.damage = Damage(path, 0, why, torn, len(data))
            return None
        self.end = (index, HEADER_SIZE)
        return HEADER_SIZE
