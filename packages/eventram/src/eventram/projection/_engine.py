"""The projection engine: registers projections, runs them, reports on them, rebuilds them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from eventram.errors import NotFoundError, ProjectionTimeoutError, ValidationError
from eventram.projection._async import AsyncRunner
from eventram.projection._catchup import filter_for
from eventram.projection._checkpoint import CheckpointStore, InMemoryCheckpointStore
from eventram.projection._declaration import Projection
from eventram.projection._handle import ProjectionHandle
from eventram.projection._inline import InlineRunner
from eventram.projection._rebuild import ProgressCallback, rebuild
from eventram.projection._snapshots import ProjectionSnapshots
from eventram.projection._source import EventSource
from eventram.projection._status import Mode, ProjectionState, ProjectionStatus, RebuildReport

__all__ = ["ProjectionEngine"]

S = TypeVar("S")
Runner = InlineRunner | AsyncRunner


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ProjectionEngine:
    """Runs a set of projections against one event store.

    ``register`` a projection as inline (applied before ``append`` returns) or async (a
    background thread following a subscription, checkpointed in ``checkpoints``), then
    ``start``. The engine answers ``status``, ``rebuild`` by name, and ``wait_for`` a position
    on all (or some) of its projections; it is a context manager that stops them on exit.

    With ``snapshots``, a projection that can be snapshotted starts from its newest snapshot
    (its checkpoint is reset to the snapshot's position, since the state is what it covers) and
    :meth:`save_snapshots` writes new ones.
    """

    def __init__(
        self,
        store: EventSource,
        checkpoints: CheckpointStore | None = None,
        *,
        batch_size: int = 1000,
        chunk_size: int = 10_000,
        poll_interval: float = 0.1,
        snapshots: ProjectionSnapshots | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._store = store
        self._snapshots = snapshots
        self._restored: set[str] = set()
        self._checkpoints = checkpoints if checkpoints is not None else InMemoryCheckpointStore()
        self._batch = batch_size
        self._chunk = chunk_size
        self._poll = poll_interval
        self._clock = clock
        self._handles: dict[str, ProjectionHandle[Any]] = {}
        self._runners: dict[str, Runner] = {}
        self._rebuilding: set[str] = set()
        self._lock = threading.Lock()

    def register(
        self, projection: Projection[S], mode: Mode | str = Mode.INLINE
    ) -> ProjectionHandle[S]:
        """Add a projection (not started yet); return the handle that queries read through."""
        mode = Mode(mode)
        with self._lock:
            if projection.name in self._handles:
                raise ValidationError(
                    f"A projection named {projection.name!r} is already registered.", field="name"
                )
            handle = ProjectionHandle(projection, mode)
            runner: Runner
            if mode is Mode.INLINE:
                runner = InlineRunner(handle, self._store, self._chunk)
            else:
                runner = AsyncRunner(
                    handle,
                    self._store,
                    self._checkpoints,
                    batch_size=self._batch,
                    poll_interval=self._poll,
                )
            self._handles[projection.name] = handle
            self._runners[projection.name] = runner
        return handle

    @property
    def names(self) -> list[str]:
        """Registered projection names, in registration order."""
        return list(self._handles)

    def handle(self, name: str) -> ProjectionHandle[Any]:
        """The handle of a registered projection."""
        handle = self._handles.get(name)
        if handle is None:
            raise NotFoundError("Projection", name)
        return handle

    def start(self, name: str | None = None) -> None:
        """Start one projection, or all (inline ones first catch up, synchronously)."""
        for key in self._select(name):
            self._restore(key)
            self._runners[key].start()

    def save_snapshots(self, name: str | None = None) -> dict[str, Path]:
        """Snapshot one projection, or every one that can be; return the files written."""
        if self._snapshots is None:
            raise ValidationError("This engine was built without snapshots.", field="snapshots")
        written: dict[str, Path] = {}
        for key in self._select(name):
            handle = self._handles[key]
            if handle.projection.dump is not None or name is not None:
                written[key] = self._snapshots.save(handle)
        return written

    def _restore(self, name: str) -> None:
        if self._snapshots is None or name in self._restored:
            return
        self._restored.add(name)
        handle = self._handles[name]
        if handle.projection.load is None or handle.position > 0:
            return
        position = self._snapshots.restore(handle, self._store.last_position())
        if handle.mode is Mode.ASYNC:
            self._checkpoints.save(name, position)

    def stop(self, name: str | None = None) -> None:
        """Stop one projection, or all."""
        for key in self._select(name):
            self._runners[key].stop()

    def close(self) -> None:
        """Stop every projection."""
        self.stop()

    def __enter__(self) -> ProjectionEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def status(self, name: str) -> ProjectionStatus:
        """The status of one projection."""
        handle = self.handle(name)
        position = handle.position
        last = self._store.last_position()
        lag_seconds = 0.0
        if position < last:
            pending = self._store.read_all(position, 1, filter_for(handle.projection))
            if pending and pending[0].position <= last:
                age = (self._clock() - pending[0].recorded_at).total_seconds()
                lag_seconds = max(0.0, age)
        failure = handle.failure
        state = handle.run_state
        if handle.rebuild_progress is not None:
            state = ProjectionState.REBUILDING
        return ProjectionStatus(
            name=handle.name,
            mode=handle.mode,
            state=state,
            position=position,
            lag_events=max(0, last - position),
            lag_seconds=lag_seconds,
            generation=handle.generation,
            error=str(failure) if failure is not None else None,
            failed_position=failure.position if failure is not None else None,
            rebuild=handle.rebuild_progress,
            rebuild_error=handle.rebuild_error,
        )

    def statuses(self) -> list[ProjectionStatus]:
        """The status of every projection, in registration order."""
        return [self.status(name) for name in self._handles]

    def rebuild(self, name: str, progress: ProgressCallback | None = None) -> RebuildReport:
        """Rebuild a projection from position 0 while it keeps serving; block until swapped.

        A failed projection is running again after a successful rebuild.
        """
        handle = self.handle(name)
        runner = self._runners[name]
        with self._lock:
            if name in self._rebuilding:
                raise ValidationError(
                    f"Projection {name!r} is already being rebuilt.", field="name"
                )
            self._rebuilding.add(name)
        was_running = runner.running or handle.failure is not None
        try:
            return rebuild(
                handle,
                self._store,
                chunk_size=self._chunk,
                progress=progress,
                on_swap=runner.resume_after_swap if was_running else None,
            )
        finally:
            with self._lock:
                self._rebuilding.discard(name)

    def rebuild_in_background(
        self, name: str, progress: ProgressCallback | None = None
    ) -> Future[RebuildReport]:
        """Start :meth:`rebuild` in a thread; the future holds its report or its error."""
        self.handle(name)
        future: Future[RebuildReport] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(self.rebuild(name, progress))
            except BaseException as exc:
                future.set_exception(exc)

        threading.Thread(target=run, name=f"rebuild-{name}", daemon=True).start()
        return future

    def wait_for(self, position: int, timeout: float, names: Iterable[str] | None = None) -> None:
        """Block until the named projections (all by default) have processed ``position``.

        Raises ``ProjectionTimeoutError`` naming those still behind when ``timeout`` runs out,
        or the ``ProjectionError`` of a failed one.
        """
        chosen = [self.handle(n) for n in (names if names is not None else self._handles)]
        deadline = time.monotonic() + timeout
        for handle in chosen:
            try:
                handle.wait_for(position, max(0.0, deadline - time.monotonic()))
            except ProjectionTimeoutError:
                behind = [h for h in chosen if h.position < position]
                if not behind:
                    continue
                raise ProjectionTimeoutError(
                    [h.name for h in behind],
                    position,
                    min(h.position for h in behind),
                    timeout,
                ) from None

    def _select(self, name: str | None) -> list[str]:
        if name is None:
            return list(self._handles)
        self.handle(name)
        return [name]
