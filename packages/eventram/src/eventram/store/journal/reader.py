"""Walks a journal's segments and frames in order, checking headers, CRCs and positions.

Zeros after a segment's last frame are space the writer preallocated: the clean end of that
segment. Reading stops at the first damage and describes it. Damage is *torn* when it sits in
the last segment and no sound frame follows it: what a crash in the middle of a write leaves behind,
safe to cut. Anything else (a bad frame with sound frames after it, a bad header, a gap in the
positions) is corruption that needs an operator (``eventram journal verify|repair``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

from eventram.envelope import RecordedEvent
from eventram.store.journal.frame import (
    EVENTS,
    FRAME_HEADER,
    Batch,
    Interner,
    decode_event,
    decode_into,
    frame_at,
    payload_decoder,
)
from eventram.store.journal.scan import next_sound_frame, zeros_from
from eventram.store.journal.segment import HEADER_SIZE, list_segments, parse_header

__all__ = ["Chunk", "Damage", "Frame", "JournalReader", "Progress", "split_batches"]

Progress = Callable[[int, int], None]
"""Called with (bytes read so far, bytes in the journal) while a journal is read."""

_PROGRESS_STEP = 4 * 1024 * 1024
_HEADER = FRAME_HEADER.size


@dataclass(frozen=True)
class Chunk:
    """A run of sound frames of one segment, their events in one flat list (as in the log).

    ``frames`` holds ``(offset, end, index of its first event, event count)`` per frame;
    ``multi`` the first and last positions of every batch of more than one event (any other
    event is a batch of its own), as the store keeps them.
    """

    segment: int
    path: Path
    frames: list[tuple[int, int, int, int]]
    events: list[RecordedEvent]
    multi: list[tuple[int, int]]


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
    start where its header says). ``envelope`` is the class of the events built (the store's,
    see ``eventram.envelope.envelope_type``, so that they decode with its registry).

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
        envelope: type[RecordedEvent] = RecordedEvent,
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
        self._envelope = envelope

    def frames(self) -> Iterator[Frame]:
        """Every sound frame up to the first damage, in journal order."""
        for chunk in self.chunks():
            events, lasts = chunk.events, dict(chunk.multi)
            for offset, end, first, count in chunk.frames:
                batches = list(split_batches(events[first : first + count], lasts))
                yield Frame(chunk.path, chunk.segment, offset, end - offset, batches)

    def chunks(self) -> Iterator[Chunk]:
        """Runs of sound frames, a few megabytes at a time (the fast path of recovery)."""
        done = 0
        last = len(self.segments) - 1
        for number, (index, path) in enumerate(self.segments):
            data = path.read_bytes()
            offset = self._open_segment(data, path, index, number == last)
            if offset is None:
                return
            size = len(data)
            while offset < size:
                chunk = Chunk(index, path, [], [], [])
                offset, why = self._scan(data, offset, offset + _PROGRESS_STEP, chunk)
                if chunk.frames:
                    self.end = (index, offset)
                    yield chunk
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

    def _scan(self, data: bytes, offset: int, stop: int, chunk: Chunk) -> tuple[int, str | None]:
        """Check and decode the frames from ``offset`` until ``stop`` or the first bad one.

        Fills ``chunk``; returns where scanning stopped, and why if a frame was bad (a bad
        frame adds nothing to ``chunk``). Payload bytes that do not decode (the CRC matched, so
        the writer put them there) make a bad frame like any other, whichever path read them.

        This loop runs once per frame of the journal: it decodes the usual frame (one batch of
        one event) itself, with ``decode_event``, and sends any other to ``_add_batches``. A
        call saved here is worth a few percent of recovery speed (``python -m bench
        durability``), hence the shape test written out.
        """
        frames, events, add = chunk.frames, chunk.events, chunk.events.append
        interner, envelope, decode = self._interner, self._envelope, payload_decoder.decode
        expected = self.next_position
        view = memoryview(data)
        why: str | None = None
        limit = min(stop, len(data))
        while offset < limit:
            end, why = frame_at(data, offset)
            if why is not None:
                break
            first = len(events)
            try:
                decoded = decode(view[offset + _HEADER : end])
                if len(decoded) != 1 or len(decoded[0][EVENTS]) != 1:  # not the usual frame
                    why = self._add_batches(decoded, chunk, expected)
                elif decoded[0][0] == expected:
                    add(decode_event(decoded[0], interner, envelope))
                else:
                    why = _out_of_sequence(decoded[0][0], expected)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                why = f"frame payload cannot be decoded ({exc})"
            if why is not None:
                del events[first:]
                break
            frames.append((offset, end, first, len(events) - first))
            expected = events[-1].position + 1
            offset = end
        self.next_position = expected
        view.release()
        return offset, why

    def _add_batches(self, decoded: list[Batch], chunk: Chunk, expected: int) -> str | None:
        """Append the events of any other frame; why its batches are unsound, or None.

        ``expected`` is the position its first batch must start at.
        """
        events = chunk.events
        batches = decode_into(decoded, self._interner, events, self._envelope)
        why = _check_batches(events, batches, expected)
        if why is None:
            chunk.multi.extend(
                (events[start].position, events[start + count - 1].position)
                for start, count in batches
                if count > 1
            )
        return why

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


def _check_batches(
    events: list[RecordedEvent], batches: list[tuple[int, int]], expected: int
) -> str | None:
    """Why a decoded frame's batches are unsound (None if they are), given the next position."""
    if not batches:
        return "frame holds no batch"
    for start, count in batches:
        if not count:
            return "frame holds an empty batch"
        position = events[start].position
        if position != expected:
            return _out_of_sequence(position, expected)
        expected = position + count
    return None


def _out_of_sequence(position: int, expected: int) -> str:
    return f"frame starts at position {position}, expected {expected}"


def split_batches(
    events: list[RecordedEvent], lasts: Mapping[int, int]
) -> Iterator[list[RecordedEvent]]:
    """The batches of a flat run of events; ``lasts`` maps a batch's first position to its last.

    Only batches of more than one event need be in ``lasts``: any other event is a batch.
    """
    i = 0
    while i < len(events):
        position = events[i].position
        count = lasts.get(position, position) - position + 1
        yield events[i : i + count]
        i += count
