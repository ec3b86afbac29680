"""What an operator sees of a projection: mode, state, position, lag, rebuild progress."""

from __future__ import annotations

import enum

import msgspec

__all__ = ["Mode", "ProjectionState", "ProjectionStatus", "RebuildProgress", "RebuildReport"]


class Mode(enum.StrEnum):
    """How a projection is fed: in the committing thread, or by a background runner."""

    INLINE = "inline"
    ASYNC = "async"


class ProjectionState(enum.StrEnum):
    """Where a projection is in its life."""

    STOPPED = "stopped"
    CATCHING_UP = "catching_up"
    RUNNING = "running"
    REBUILDING = "rebuilding"
    FAILED = "failed"


class RebuildProgress(msgspec.Struct, frozen=True):
    """How far a rebuild is, in global positions: ``done`` of ``total``."""

    done: int
    total: int

    @property
    def ratio(self) -> float:
        """Fraction done, between 0 and 1."""
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)


class RebuildReport(msgspec.Struct, frozen=True):
    """What a finished rebuild did: events applied, seconds taken, the new generation."""

    name: str
    events: int
    position: int
    generation: int
    seconds: float


class ProjectionStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A projection's status; ``lag_seconds`` is the age of the oldest event not yet applied.

    ``error`` and ``failed_position`` are set once a handler failed (``state`` is then
    ``failed``); ``rebuild`` is set while a rebuild runs.
    """

    name: str
    mode: Mode
    state: ProjectionState
    position: int
    lag_events: int
    lag_seconds: float
    generation: int
    error: str | None = None
    failed_position: int | None = None
    rebuild: RebuildProgress | None = None
    rebuild_error: str | None = None
