"""The live slot of a projection: its current state, position and generation; waitable."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Generic, TypeVar

from eventram.envelope import RecordedEvent
from eventram.errors import ProjectionError, ProjectionTimeoutError, ValidationError
from eventram.projection._declaration import Projection
from eventram.projection._status import Mode, ProjectionState, RebuildProgress

__all__ = ["ProjectionHandle", "apply_events"]

S = TypeVar("S")

_log = logging.getLogger("eventram.projection")


def apply_events(
    projection: Projection[S], state: S, events: Sequence[RecordedEvent], after: int
) -> tuple[int, ProjectionError | None]:
    """Apply the events above position ``after`` to ``state``.

    Returns the last position processed and, when a handler raised, the ``ProjectionError``
    naming the projection, the position and the event type (the position returned is then the
    last one fully applied before it). Events at or below ``after`` are skipped: applying is
    idempotent by position.
    """
    position = after
    decode = projection.registry.decode
    handler_for = projection.handler_for
    for event in events:
        if event.position <= position:
            continue
        handler = handler_for(event.event_type)
        if handler is not None:
            try:
                handler(state, decode(event.event_type, event.payload, event.schema_version), event)
            except Exception as exc:
                error = ProjectionError(projection.name, event.position, event.event_type, exc)
                error.__cause__ = exc
                return position, error
        position = event.position
    return position, None


class ProjectionHandle(Generic[S]):
    """Holds a projection's live state; queries read ``state`` through it.

    Applying is serialised by a lock; reading is not (the state's own structures decide how
    readers and one writer share it). A rebuild replaces the state atomically and bumps
    ``generation``, so anything keyed on the old state (cached results) can tell.
    """

    def __init__(self, projection: Projection[S], mode: Mode = Mode.INLINE) -> None:
        self.projection = projection
        self.mode = mode
        self._live: tuple[int, S] = (0, projection.new_state())
        self._position = 0
        self._lock = threading.RLock()
        self._changed = threading.Condition(threading.Lock())
        self._waiters = 0
        self._failure: ProjectionError | None = None
        self.run_state = ProjectionState.STOPPED
        self.rebuild_progress: RebuildProgress | None = None
        self.rebuild_error: str | None = None

    @property
    def name(self) -> str:
        """The projection's name."""
        return self.projection.name

    @property
    def state(self) -> S:
        """The live state (its collections); read it, never keep it across a rebuild."""
        return self._live[1]

    @property
    def generation(self) -> int:
        """How many times the state was replaced by a rebuild."""
        return self._live[0]

    def live(self) -> tuple[int, S]:
        """The generation and the state, read together."""
        return self._live

    @property
    def position(self) -> int:
        """The last global position this projection has processed (applied or skipped)."""
        return self._position

    @property
    def failure(self) -> ProjectionError | None:
        """The error that stopped the projection, if one did."""
        return self._failure

    @property
    def lock(self) -> threading.RLock:
        """Held while events are applied or the state is swapped."""
        return self._lock

    def apply(self, events: Sequence[RecordedEvent]) -> None:
        """Apply a batch in order, skipping positions already processed.

        On a handler failure the projection is marked failed at that event and the
        ``ProjectionError`` is raised; the position stays at the last event fully applied.
        """
        with self._lock:
            if self._failure is not None:
                raise self._failure
            self._position, error = apply_events(
                self.projection, self._live[1], events, self._position
            )
            if error is not None:
                self._fail(error)
                raise error
        self._notify()

    def advance_to(self, position: int) -> None:
        """Record that nothing this projection handles lies at or below ``position``."""
        with self._lock:
            if self._failure is None and position > self._position:
                self._position = position
        self._notify()

    def swap(self, state: S, position: int) -> int:
        """Replace the live state by one built up to ``position``; return the new generation.

        Call it holding :attr:`lock` so no event is applied between the catch-up and the swap.
        """
        with self._lock:
            generation = self._live[0] + 1
            self._live = (generation, state)
            self._position = position
            self._failure = None
        self._notify()
        return generation

    def wait_for(self, position: int, timeout: float) -> None:
        """Block until this projection has processed ``position``; raise after ``timeout`` s.

        Raises ``ProjectionTimeoutError`` when the time runs out, and the projection's
        ``ProjectionError`` at once if it has failed (it will not get there by itself).
        """
        if type(position) is not int or position < 0:
            raise ValidationError(
                f"Position {position!r} must be an int >= 0.", field="min_position"
            )
        if self._position >= position:
            return
        deadline = time.monotonic() + timeout
        with self._changed:
            self._waiters += 1
            try:
                while self._position < position:
                    if self._failure is not None:
                        raise self._failure
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise ProjectionTimeoutError([self.name], position, self._position, timeout)
                    self._changed.wait(remaining)
            finally:
                self._waiters -= 1

    def fail(self, error: ProjectionError) -> None:
        """Mark the projection failed with ``error`` (used by runners for errors outside apply)."""
        with self._lock:
            self._fail(error)

    def clear_failure(self) -> None:
        """Forget the failure so a runner can retry from the current position."""
        with self._lock:
            self._failure = None

    def _fail(self, error: ProjectionError) -> None:
        self._failure = error
        self.run_state = ProjectionState.FAILED
        _log.error(
            "projection %s failed at position %d (%s): %s",
            self.name,
            error.position,
            error.event_type,
            error.__cause__,
            extra={"projection": self.name, "position": error.position},
        )
        self._notify(force=True)

    def _notify(self, force: bool = False) -> None:
        if self._waiters or force:
            with self._changed:
                self._changed.notify_all()

    def __repr__(self) -> str:
        return (
            f"ProjectionHandle({self.name!r}, {self.mode}, position={self._position}, "
            f"generation={self.generation}, {self.run_state})"
        )
