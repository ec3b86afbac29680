"""Where async projections record how far they got, so a restart resumes instead of replaying."""

from __future__ import annotations

import threading
from typing import Protocol

__all__ = ["CheckpointStore", "InMemoryCheckpointStore"]


class CheckpointStore(Protocol):
    """Keeps the last global position each projection has processed."""

    def load(self, name: str) -> int:
        """The stored position of projection ``name`` (0 when none is stored)."""
        ...

    def save(self, name: str, position: int) -> None:
        """Record that projection ``name`` has processed everything up to ``position``."""
        ...


class InMemoryCheckpointStore:
    """Checkpoints held in a dict: enough for tests and for state that lives in memory anyway."""

    def __init__(self) -> None:
        self._positions: dict[str, int] = {}
        self._lock = threading.Lock()

    def load(self, name: str) -> int:
        """The stored position of projection ``name`` (0 when none is stored)."""
        return self._positions.get(name, 0)

    def save(self, name: str, position: int) -> None:
        """Record that projection ``name`` has processed everything up to ``position``."""
        with self._lock:
            self._positions[name] = position

    def reset(self, name: str) -> None:
        """Forget a projection's checkpoint (its next start replays from position 0)."""
        with self._lock:
            self._positions.pop(name, None)
