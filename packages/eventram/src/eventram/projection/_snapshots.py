"""Projection snapshots: a state saved with the position it covers, restored on start."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from eventram.errors import ValidationError
from eventram.projection._handle import ProjectionHandle
from eventram.projection.snapshotfiles import SnapshotFiles

__all__ = ["ProjectionSnapshots"]


class ProjectionSnapshots:
    """Snapshot files of projection states in one directory (``projection.<name>@<pos>.snap``).

    A projection can be snapshotted when it declares ``dump`` and ``load``. :meth:`save` dumps
    the live state holding the projection's lock, so the state and its position agree;
    :meth:`restore` loads the newest sound snapshot not beyond the store's end, so the runners
    replay only what follows it. Damaged files are skipped (see ``snapshotfiles``).
    """

    def __init__(self, directory: str | os.PathLike[str], *, keep: int = 3) -> None:
        self.directory = Path(directory)
        self._keep = keep

    def files(self, name: str) -> SnapshotFiles:
        """The snapshot files of one projection."""
        return SnapshotFiles(self.directory, f"projection.{name}", keep=self._keep)

    def save(self, handle: ProjectionHandle[Any]) -> Path:
        """Write the projection's state at its current position; return the file."""
        dump = handle.projection.dump
        if dump is None:
            raise ValidationError(
                f"Projection {handle.name!r} declares no dump/load, so it cannot be snapshotted.",
                field="dump",
            )
        with handle.lock:
            position = handle.position
            payload = dump(handle.state)
        return self.files(handle.name).save(position, payload)

    def restore(self, handle: ProjectionHandle[Any], max_position: int) -> int:
        """Load the newest usable snapshot into the projection; return its position (0: none)."""
        load = handle.projection.load
        if load is None:
            return 0
        loaded: list[Any] = []
        found = self.files(handle.name).restore_into(
            lambda payload: loaded.append(load(payload)), max_position=max_position
        )
        if found is None:
            return 0
        with handle.lock:
            handle.swap(loaded[-1], found.position)
        return found.position
