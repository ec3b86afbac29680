"""The active segment: the file frames are appended to, grown with zeros ahead of them.

Two costs shape it. An fsync after a write that grows a file must also commit the file's new
size to the file system's journal; after a write over bytes already in the file it flushes only
the data, about a third faster here. So the file grows by a megabyte of zeros at a time, ahead
of the frames. And a ``write`` system call releases the GIL: under many writer threads, the
thread holding the store's append lock then waits to get the GIL back while the others pile up
on that lock. So frames are copied into a shared memory map of the preallocated zeros instead,
with no system call; the page cache is the file's, so a process crash loses nothing and an
fsync of the file makes the frames durable.

Where the zeros cannot be written (a nearly full disk, a file size limit), a frame grows the
file with a plain write, as far as the disk allows.
"""

from __future__ import annotations

import logging
import mmap
import os
from pathlib import Path

__all__ = ["PREALLOCATE", "ActiveSegment"]

PREALLOCATE = 1024 * 1024
"""Bytes of zeros a segment grows by ahead of its frames."""

log = logging.getLogger("eventram.journal")


def _write_at(fd: int, data: bytes, offset: int) -> None:
    """Write all of ``data`` at ``offset`` (a short write goes on where it stopped)."""
    written = os.pwrite(fd, data, offset)
    if written < len(data):
        view = memoryview(data)
        while written < len(data):
            written += os.pwrite(fd, view[written:], offset + written)


class ActiveSegment:
    """An open segment file: frames end at ``size``; zeros follow up to ``allocated``.

    ``fd`` is open for reading and writing (a shared map needs both). ``limit`` caps how far
    zeros are preallocated (a frame larger than that still fits: it grows the file).
    """

    def __init__(self, path: Path, fd: int, size: int, limit: int) -> None:
        self.path = path
        self.fd = fd
        self.size = size
        self.allocated = os.fstat(fd).st_size
        self._limit = limit
        self._map: mmap.mmap | None = None
        self._mapped = 0

    @classmethod
    def open(cls, path: Path, size: int, limit: int) -> ActiveSegment:
        """Open an existing segment whose sound frames end at ``size``."""
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        try:
            return cls(path, fd, size, limit)
        except BaseException:
            os.close(fd)
            raise

    def append(self, frame: bytes, *, mapped: bool = True) -> None:
        """Write ``frame`` at ``size`` (after an ``OSError``, :meth:`cut_back` to ``size``)."""
        start = self.size
        end = start + len(frame)
        if end > self.allocated:
            self._preallocate(end)
        if mapped and end > self._mapped and end <= self.allocated:
            self._remap()
        memory = self._map
        if mapped and memory is not None and end <= self._mapped:
            memory[start:end] = frame
        else:
            _write_at(self.fd, frame, start)
            self.allocated = max(self.allocated, end)
        self.size = end

    def _preallocate(self, end: int) -> None:
        target = max(end, min(self.allocated + PREALLOCATE, self._limit))
        try:
            _write_at(self.fd, bytes(target - self.allocated), self.allocated)
        except OSError as exc:
            log.debug("Could not preallocate %s to %d bytes: %s", self.path, target, exc)
            try:  # give back what was written; the frame then grows the file itself
                os.ftruncate(self.fd, self.allocated)
            except OSError as cut:
                log.warning("Could not cut preallocated zeros off %s: %s", self.path, cut)
            return
        self.allocated = target

    def _remap(self) -> None:
        self._unmap()
        try:
            self._map = mmap.mmap(self.fd, self.allocated)
        except (OSError, ValueError) as exc:  # no address space left: plain writes still work
            log.warning("Could not map %s (%s); writing frames with write calls", self.path, exc)
            return
        self._mapped = self.allocated

    def _unmap(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        self._mapped = 0

    def cut_back(self, size: int) -> None:
        """Truncate the file to ``size`` (a frame boundary); raises ``OSError`` if it cannot."""
        self._unmap()  # touching a map past the end of a file is a SIGBUS
        os.ftruncate(self.fd, size)
        self.allocated = self.size = size

    def close(self) -> None:
        """Unmap and close the file (frames written stay in the OS's page cache)."""
        self._unmap()
        os.close(self.fd)
