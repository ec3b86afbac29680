"""Segment files: the journal is a directory of them, each a header then frames.

A segment is named by its index (``segment-00000001.jrnl``) and starts with a 32-byte header:
magic, format version, index, the global position of its first event, and a CRC32C of those
fields; frames follow, then the zeros the writer preallocates ahead of them. The writer
rotates to a new segment when the next frame would pass the size limit.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import google_crc32c

from eventram.errors import JournalError

__all__ = [
    "FORMAT_VERSION",
    "HEADER_SIZE",
    "MAGIC",
    "SegmentHeader",
    "create_segment",
    "fsync_directory",
    "list_segments",
    "parse_header",
    "segment_path",
]

MAGIC = b"EVRMJRNL"
FORMAT_VERSION = 1
_HEADER = struct.Struct("<8sHHQQ")
_CRC = struct.Struct("<I")
HEADER_SIZE = _HEADER.size + _CRC.size
_NAME = re.compile(r"^segment-(\d{8,})\.jrnl$")


@dataclass(frozen=True)
class SegmentHeader:
    """What a segment's header says: its index and the position of its first event."""

    index: int
    first_position: int
    version: int = FORMAT_VERSION

    def encode(self) -> bytes:
        """The header's 32 bytes."""
        fields = _HEADER.pack(MAGIC, self.version, 0, self.index, self.first_position)
        return fields + _CRC.pack(google_crc32c.value(fields))


def segment_path(directory: Path, index: int) -> Path:
    """The path of segment ``index`` in ``directory``."""
    return directory / f"segment-{index:08d}.jrnl"


def list_segments(directory: Path) -> list[tuple[int, Path]]:
    """The segments in ``directory`` as ``(index, path)``, by index (empty if none)."""
    if not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match is not None:
            found.append((int(match.group(1)), path))
    return sorted(found)


def parse_header(data: bytes, path: Path) -> SegmentHeader | str:
    """The header at the start of ``data``, or why it is not one (a damaged header)."""
    if len(data) < HEADER_SIZE:
        return f"incomplete segment header ({len(data)} of {HEADER_SIZE} bytes)"
    fields = data[: _HEADER.size]
    (crc,) = _CRC.unpack_from(data, _HEADER.size)
    magic, version, _flags, index, first_position = _HEADER.unpack(fields)
    if magic != MAGIC:
        return f"not a journal segment (magic {magic!r})"
    if google_crc32c.value(fields) != crc:
        return "segment header CRC mismatch"
    if version != FORMAT_VERSION:
        raise JournalError(
            f"Journal segment {path} has format version {version}; this eventram reads "
            f"version {FORMAT_VERSION}. Use a matching eventram version to read it."
        )
    return SegmentHeader(index, first_position, version)


def create_segment(directory: Path, header: SegmentHeader, *, sync: bool) -> int:
    """Create a segment holding only its header; return a file descriptor open read-write.

    With ``sync`` the header and the directory entry are on disk before this returns. On an
    error nothing is left behind.
    """
    path = segment_path(directory, header.index)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
    try:
        data = header.encode()
        if os.write(fd, data) != len(data):
            raise OSError(28, "No space left on device (short write of a segment header)")
        if sync:
            os.fsync(fd)
            fsync_directory(directory)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    return fd


def fsync_directory(directory: Path) -> None:
    """Make a directory's entries (created, renamed, removed files) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
