"""The async runner: a background thread following a subscription from the checkpoint."""

from __future__ import annotations

import logging
import threading
from typing import Any

from eventram.errors import ProjectionError
from eventram.projection._catchup import filter_for
from eventram.projection._checkpoint import CheckpointStore
from eventram.projection._handle import ProjectionHandle
from eventram.projection._source import EventSource, Followed
from eventram.projection._status import ProjectionState

__all__ = ["AsyncRunner"]

_log = logging.getLogger("eventram.projection")


class AsyncRunner:
    """Applies one projection's events in order in its own thread, checkpointing each batch.

    It starts after ``max(projection position, stored checkpoint)``: a checkpoint ahead of the
    state means the state was restored (from a snapshot) up to it. Events at or below the
    position are skipped, so a redelivery is harmless. A failing handler stops this runner
    only; the projection is marked failed with the position and event type.
    """

    def __init__(
        self,
        handle: ProjectionHandle[Any],
        store: EventSource,
        checkpoints: CheckpointStore,
        *,
        batch_size: int = 1000,
        poll_interval: float = 0.1,
    ) -> None:
        self._handle = handle
        self._store = store
        self._checkpoints = checkpoints
        self._batch = batch_size
        self._poll = poll_interval
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._subscription: Followed | None = None

    @property
    def running(self) -> bool:
        """Whether the runner's thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start following from the checkpoint (no-op when already running)."""
        if self.running:
            return
        handle = self._handle
        handle.clear_failure()
        stored = self._checkpoints.load(handle.name)
        if stored > handle.position:
            handle.advance_to(stored)
        self._stop.clear()
        handle.run_state = ProjectionState.CATCHING_UP
        self._subscription = self._store.subscribe(handle.position, filter_for(handle.projection))
        self._thread = threading.Thread(
            target=self._run, name=f"projection-{handle.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the thread after its current batch and wait for it."""
        self._stop.set()
        if self._subscription is not None:
            self._subscription.close()
        if self._thread is not None:
            self._thread.join(timeout)
        self._thread = None
        if self._handle.failure is None:
            self._handle.run_state = ProjectionState.STOPPED

    def resume_after_swap(self) -> None:
        """Called under the handle's lock after a rebuild swap: follow on from the new position."""
        if not self.running:
            self.start()

    def _run(self) -> None:
        handle, store, subscription = self._handle, self._store, self._subscription
        assert subscription is not None
        saved = handle.position
        try:
            while not self._stop.is_set():
                last = store.last_position()
                batch = subscription.next_batch(self._batch, self._poll)
                if batch:
                    handle.apply(batch)
                    if handle.position >= last:
                        self._caught_up()
                elif not self._stop.is_set():
                    self._idle(last)
                if handle.position != saved:
                    saved = handle.position
                    self._checkpoints.save(handle.name, saved)
        except ProjectionError:
            pass  # the handle recorded and logged it; this projection stops here
        except Exception as exc:
            # the store or the checkpoint store failed: stop this projection, visibly
            handle.fail(ProjectionError(handle.name, handle.position + 1, "(runner)", exc))
        finally:
            subscription.close()

    def _idle(self, last: int) -> None:
        """Nothing came: if nothing the projection handles lies at or below ``last``, say so."""
        handle = self._handle
        pending = self._store.read_all(handle.position, 1, filter_for(handle.projection))
        if not pending or pending[0].position > last:
            handle.advance_to(last)
            self._caught_up()

    def _caught_up(self) -> None:
        if self._handle.run_state is ProjectionState.CATCHING_UP:
            self._handle.run_state = ProjectionState.RUNNING
