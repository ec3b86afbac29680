"""Walks a journal's segments and frames in order, checking headers, CRCs and positions.

Reading stops at the first damage and describes it. Damage is *torn* when it sits in the last
segment and no sound frame follows it: what a crash in the middle of a write leaves behind,
safe to cut. Anything else (a bad frame with sound frames after it, a bad header, a gap in the
positions) is corruption that needs an operator (``eventram journal verify|repair``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from eventram.envelope import RecordedEvent
from eventram.store.journal.frame import FRAME_HEADER, decode_payload, find_frame, frame_at
from eventram.store.journal.segment import HEADER_SIZE, list_segments, parse_header

__all__ = ["Damage", "Frame", "JournalReader", "Progress"]

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, bytes in the journal) while a journal is read."""

_PROGRESS_STEP = 4 * 1024 * 1024


@dataclass(frozen=True)
class Damage:
    """Where reading stopped: the file, the offset of the first unsound byte, and why."""

    path: Path
    offset: int
    detail: str
    torn: bool
    """True for a torn tail (the end of the last segment, nothing sound after it)."""
    dropped: int
    """Bytes from ``offset`` to the end of that file."""


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
        self._progress = progress
        self._batches: list[list[RecordedEvent]] = []

    def frames(self) -> Iterator[Frame]:
        """Every sound frame up to the first damage, in journal order."""
        done = 0
        reported = 0
        last = len(self.segments) - 1
        for number, (index, path) in enumerate(self.segments):
            data = path.read_bytes()
            start = self._open_segment(data, path, index, number == last)
            if start is None:
                return
            offset = start
            size = len(data)
            while offset < size:
                end, why = frame_at(data, offset)
                if why is None:
                    why = self._check(data, offset, end)
                if why is not None:
                    torn = number == last and find_frame(data, offset + 1) is None
                    self.damage = Damage(path, offset, why, torn, size - offset)
                    return
                yield Frame(path, index, offset, end - offset, self._batches)
                offset = end
                self.end = (index, offset)
                if self._progress is not None and done + offset - reported >= _PROGRESS_STEP:
                    reported = done + offset
                    self._progress(reported, self.total_bytes)
            done += size
        if self._progress is not None:
            self._progress(self.total_bytes, self.total_bytes)

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
            # a crash while a segment was being created leaves at most a partial header
            torn = last and isinstance(header, str) and len(data) <= HEADER_SIZE
            self.damage = Damage(path, 0, why, torn, len(data))
            return None
        self.end = (index, HEADER_SIZE)
        return HEADER_SIZE

    def _check(self, data: bytes, offset: int, end: int) -> str | None:
        """Decode a sound frame into ``_batches``; say why its content is wrong, if it is."""
        try:
            batches = decode_payload(memoryview(data)[offset + FRAME_HEADER.size : end])
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return f"frame payload cannot be decoded ({exc})"
        expected = self.next_position
        for batch in batches:
            if not batch:
                return "frame holds an empty batch"
            if batch[0].position != expected:
                return f"frame starts at position {batch[0].position}, expected {expected}"
            expected = batch[-1].position + 1
        if not batches:
            return "frame holds no batch"
        self.next_position = expected
        self._batches = batches
        return None
