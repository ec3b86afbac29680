"""Aggregate snapshots: the state at a version, so a load replays only the tail after it."""

from __future__ import annotations

import threading
from typing import Protocol

import msgspec

__all__ = ["InMemorySnapshotStore", "Snapshot", "SnapshotStore"]


class Snapshot(msgspec.Struct, frozen=True):
    """An aggregate's state (msgpack-encoded) at ``version`` of its stream."""

    stream_id: str
    stream_type: str
    version: int
    state: bytes


class SnapshotStore(Protocol):
    """Keeps the latest snapshot of each stream."""

    def get(self, stream_id: str) -> Snapshot | None:
        """The latest snapshot of a stream, if any."""
        ...

    def put(self, snapshot: Snapshot) -> None:
        """Keep a snapshot if it is newer than the one held."""
        ...


class InMemorySnapshotStore:
    """Snapshots held in a dict."""

    def __init__(self) -> None:
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

    def all(self) -> list[Snapshot]:
        """Every snapshot held."""
        return list(self._snapshots.values())
