"""Scanning segment bytes that end in preallocated zeros.

The writer grows a segment ahead of its frames with zero bytes (an fsync then flushes only
data, not the file's size: see ``writer``). A segment is therefore a header, frames, then
zeros. Zeros after the last sound frame are the clean end of the segment; anything else that
is not a sound frame is damage. These helpers tell a clean end from damage and find the next
sound frame without walking the zeros byte by byte in Python.
"""

from __future__ import annotations

import re

from eventram.store.journal.frame import FRAME_HEADER, frame_at

__all__ = ["next_sound_frame", "zeros_from"]

_NONZERO = re.compile(rb"[^\x00]")


def zeros_from(data: bytes, offset: int) -> bool:
    """Whether every byte from ``offset`` to the end of ``data`` is zero (preallocated space)."""
    return _NONZERO.search(data, offset) is None


def next_sound_frame(data: bytes, start: int) -> int | None:
    """The offset of the first sound frame at or after ``start``, if any (a resync scan).

    A frame's length is at least 1, so its 8-byte header holds a non-zero byte: only offsets
    up to 7 bytes before a non-zero byte can start one, and runs of zeros are skipped in C.
    """
    header = FRAME_HEADER.size
    position = start
    while True:
        match = _NONZERO.search(data, position)
        if match is None:
            return None
        first = match.start()
        for offset in range(max(position, first - header + 1), first + 1):
            if frame_at(data, offset)[1] is None:
                return offset
        position = first + 1
