"""The inline runner: applies each committed batch in the committing thread (read-your-writes)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from eventram.envelope import RecordedEvent
from eventram.errors import ProjectionError
from eventram.projection._catchup import catch_up
from eventram.projection._handle import ProjectionHandle
from eventram.projection._source import EventSource
from eventram.projection._status import ProjectionState

__all__ = ["InlineRunner"]

_log = logging.getLogger("eventram.projection")


class InlineRunner:
    """Feeds one projection from the store's commit listener, before ``append`` returns.

    A failing handler marks the projection failed and is logged; it never fails the append
    nor the other listeners. Stopping ignores later batches; starting again catches up on them.
    """

    def __init__(self, handle: ProjectionHandle[Any], store: EventSource, chunk_size: int) -> None:
        self._handle = handle
        self._store = store
        self._chunk = chunk_size
        self._attached = False
        self._active = False
        self._starting = False

    @property
    def running(self) -> bool:
        """Whether committed batches are being applied."""
        return self._active

    def start(self) -> None:
        """Attach to the store (once), catch up from the projection's position, then follow."""
        handle = self._handle
        if self._active:
            return
        if not self._attached:
            self._store.add_listener(self._on_commit)
            self._attached = True
        handle.clear_failure()
        handle.run_state = ProjectionState.CATCHING_UP
        self._starting = True  # from now on the listener takes the lock to look at _active
        try:
            # most of the backlog without the lock, so appends are not held up meanwhile
            catch_up(handle.projection, handle, self._store, self._chunk, locked=False)
            with handle.lock:
                catch_up(handle.projection, handle, self._store, self._chunk, locked=True)
                self._active = True
                handle.run_state = ProjectionState.RUNNING
        except ProjectionError:
            self._active = False
        finally:
            self._starting = False

    def stop(self) -> None:
        """Ignore committed batches from now on."""
        with self._handle.lock:
            self._active = False
            if self._handle.failure is None:
                self._handle.run_state = ProjectionState.STOPPED

    def resume_after_swap(self) -> None:
        """Called under the handle's lock right after a rebuild swapped the state in."""
        self._active = True
        self._handle.run_state = ProjectionState.RUNNING

    def _on_commit(self, batch: Sequence[RecordedEvent]) -> None:
        handle = self._handle
        if not (self._active or self._starting):
            return
        with handle.lock:
            if not self._active:
                return
            try:
                handle.apply(batch)
            except ProjectionError:
                self._active = False
            except Exception:  # a bug in eventram itself: never let it fail the append
                self._active = False
                _log.exception("inline projection %s crashed", handle.name)
