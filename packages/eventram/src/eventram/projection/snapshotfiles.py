"""Snapshot files: opaque bytes plus the journal position they cover, written atomically.

A read model (``Collection.dump()``), a projection's state and checkpoint, or a set of aggregate
snapshots is saved as ``<name>@<position>.snap`` in a directory: written to a temporary file,
fsynced, renamed into place, and the directory fsynced, so a crash leaves either the old file or
the new one, never half of one. The newest ``keep`` files are kept. On restart the newest sound
snapshot is loaded and only the journal after its position is replayed; a damaged file (bad
CRC, cut short) or one ahead of the journal is skipped with a warning and the previous one is
tried, down to none (a full replay).
"""

from __future__ import annotations

import logging
import os
import re
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import google_crc32c
import msgspec

from eventram.errors import EventramError, ValidationError
from eventram.model.snapshot import Snapshot
from eventram.store.journal.segment import fsync_directory

__all__ = ["FileSnapshotStore", "LoadedSnapshot", "SnapshotFiles"]

log = logging.getLogger("eventram.snapshots")

_MAGIC = b"EVRMSNAP"
_VERSION = 1
_HEADER = struct.Struct("<8sHHQQI")  # magic, version, flags, position, payload length, CRC
_HEADER_CRC = struct.Struct("<I")
_HEADER_SIZE = _HEADER.size + _HEADER_CRC.size
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class LoadedSnapshot:
    """A sound snapshot: the position it covers, its payload and its file."""

    position: int
    payload: bytes
    path: Path


class SnapshotFiles:
    """The snapshots of one named thing in ``directory``; the newest ``keep`` are kept."""

    def __init__(self, directory: str | os.PathLike[str], name: str, *, keep: int = 3) -> None:
        if not _NAME.match(name) or "@" in name:
            raise ValidationError(
                f"Snapshot name {name!r} may hold only letters, digits, '_', '.' and '-'.",
                field="name",
            )
        if keep < 1:
            raise ValidationError(f"keep={keep!r} must be at least 1.", field="keep")
        self.directory = Path(directory)
        self.name = name
        self.keep = keep
        self._pattern = re.compile(rf"^{re.escape(name)}@(\d{{20}})\.snap$")

    def save(self, position: int, payload: bytes) -> Path:
        """Write a snapshot covering the journal up to ``position``; return its file."""
        if position < 0:
            raise ValidationError(f"position={position!r} must be >= 0.", field="position")
        self.directory.mkdir(parents=True, exist_ok=True)
        final = self.directory / f"{self.name}@{position:020d}.snap"
        temp = self.directory / f".{final.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        fields = _HEADER.pack(
            _MAGIC, _VERSION, 0, position, len(payload), google_crc32c.value(payload)
        )
        header = fields + _HEADER_CRC.pack(google_crc32c.value(fields))
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            with os.fdopen(fd, "wb", closefd=True) as f:
                f.write(header)
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temp, final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        fsync_directory(self.directory)
        self._prune()
        return final

    def paths(self) -> list[tuple[int, Path]]:
        """This name's snapshot files as ``(position, path)``, newest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.iterdir():
            match = self._pattern.match(path.name)
            if match is not None:
                found.append((int(match.group(1)), path))
        return sorted(found, reverse=True)

    def load(self, *, max_position: int | None = None) -> LoadedSnapshot | None:
        """The newest sound snapshot at or below ``max_position`` (None: replay everything)."""
        return self.restore_into(lambda payload: None, max_position=max_position)

    def restore_into(
        self, restore: Callable[[bytes], object], *, max_position: int | None = None
    ) -> LoadedSnapshot | None:
        """Give the newest sound snapshot's payload to ``restore``; return what was restored.

        A snapshot that is damaged, ahead of ``max_position`` (the journal was cut since), or
        that ``restore`` rejects (raising an ``EventramError`` or ``ValueError``) is skipped with
        a warning, and the previous one is tried.
        """
        for position, path in self.paths():
            if max_position is not None and position > max_position:
                log.warning(
                    "Snapshot %s covers position %d, beyond the journal's end (%d); skipped.",
                    path,
                    position,
                    max_position,
                )
                continue
            payload = _read(path, position)
            if isinstance(payload, str):
                log.warning("Snapshot %s is damaged (%s); skipped.", path, payload)
                continue
            try:
                restore(payload)
            except (EventramError, ValueError, msgspec.DecodeError) as exc:
                log.warning("Snapshot %s could not be restored (%s); skipped.", path, exc)
                continue
            return LoadedSnapshot(position, payload, path)
        return None

    def _prune(self) -> None:
        removed = False
        for _, path in self.paths()[self.keep :]:
            path.unlink(missing_ok=True)
            removed = True
        for path in self.directory.glob(f".{self.name}@*.tmp"):
            if f".{os.getpid()}." not in path.name:  # left behind by a crashed process
                path.unlink(missing_ok=True)
                removed = True
        if removed:
            fsync_directory(self.directory)


def _read(path: Path, position: int) -> bytes | str:
    """A snapshot file's payload, or why it cannot be trusted."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    if len(data) < _HEADER_SIZE:
        return f"cut short ({len(data)} bytes, the header alone is {_HEADER_SIZE})"
    fields = data[: _HEADER.size]
    (header_crc,) = _HEADER_CRC.unpack_from(data, _HEADER.size)
    if google_crc32c.value(fields) != header_crc:
        return "header CRC mismatch"
    magic, version, _flags, stored_position, length, crc = _HEADER.unpack(fields)
    if magic != _MAGIC or version != _VERSION:
        return f"not a snapshot of format {_VERSION}"
    if stored_position != position:
        return f"the file says position {stored_position}, its name {position}"
    payload = data[_HEADER_SIZE:]
    if len(payload) != length:
        return f"payload of {len(payload)} bytes, the header says {length}"
    if google_crc32c.value(payload) != crc:
        return "payload CRC mismatch"
    return payload


_snapshots_decoder = msgspec.msgpack.Decoder(list[Snapshot])


class FileSnapshotStore:
    """Aggregate snapshots (the core ``SnapshotStore`` port) kept in memory, saved to files.

    ``get``/``put`` work in memory; :meth:`save` writes them all as one snapshot file covering
    a journal position, :meth:`load` reads the newest sound one back. Snapshots put after the
    last save are simply not there after a restart: loads replay a little more.
    """

    def __init__(
        self, directory: str | os.PathLike[str], *, name: str = "aggregates", keep: int = 3
    ) -> None:
        self.files = SnapshotFiles(directory, name, keep=keep)
        self._snapshots: dict[str, Snapshot] = {}
        self._lock = threading.Lock()

    def get(self, stream_id: str) -> Snapshot | None:
        """The latest snapshot of a stream, if any."""
        return self._snapshots.get(stream_id)

    def put(self, snapshot: Snapshot) -> None:
        """Keep a snapshot if it is newer than the one held."""
        with self._lock:
            held = self._snapshots.get(snapshot.stream_id)
            if held is None or held.version < snapshot.version:
                self._snapshots[snapshot.stream_id] = snapshot

    def save(self, position: int) -> Path:
        """Write every snapshot held to a file covering the journal up to ``position``."""
        with self._lock:
            held = list(self._snapshots.values())
        return self.files.save(position, msgspec.msgpack.encode(held))

    def load(self, *, max_position: int | None = None) -> int:
        """Replace what is held by the newest sound file's snapshots; return its position."""

        def restore(payload: bytes) -> None:
            snapshots = _snapshots_decoder.decode(payload)
            with self._lock:
                self._snapshots = {s.stream_id: s for s in snapshots}

        loaded = self.files.restore_into(restore, max_position=max_position)
        return loaded.position if loaded is not None else 0
