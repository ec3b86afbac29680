"""The HTTP layer's one door into the application: the bootstrap's app object, seen as a port.

Routes never touch buses, stores or projections directly; they call a ``Gateway``, which runs
blocking work (appends that wait for fsync, waits for a position) in worker threads so the
event loop keeps serving, and answers in-memory reads on the loop itself.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import anyio.to_thread

from billing.entrypoints.http.errors import PreconditionFailedError
from billing.entrypoints.http.metrics import HttpMetrics
from eventram import (
    Command,
    JournalWriteError,
    Query,
    RecordedEvent,
    StoreClosedError,
    ValidationError,
)

__all__ = ["AppServices", "Gateway"]


class CommandHandling(Protocol):
    """Handles commands (``eventram.CommandBus``)."""

    def handle(self, command: Command) -> Any:
        """Run a command through the middleware to its handler."""
        ...


class QueryAnswering(Protocol):
    """Answers queries (``eventram.QueryBus``)."""

    def ask(self, query: Query) -> Any:
        """Answer a query."""
        ...


class Positions(Protocol):
    """What the HTTP layer reads of the event store."""

    def last_position(self) -> int:
        """The highest visible global position."""
        ...

    def stream_version(self, stream_id: str) -> int:
        """A stream's current version (0 when it does not exist)."""
        ...

    def read_stream(
        self, stream_id: str, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        """Events of one stream from a version."""
        ...


class Projections(Protocol):
    """What the HTTP layer asks of the projection engine."""

    def statuses(self) -> Sequence[Any]:
        """Every projection's status (``ProjectionStatus``)."""
        ...

    def rebuild_in_background(self, name: str) -> Any:
        """Start rebuilding a projection; raise ``NotFoundError`` for an unknown name."""
        ...

    def wait_for(self, position: int, timeout: float) -> None:
        """Block until every projection processed ``position``; raise on timeout."""
        ...


class AppServices(Protocol):
    """The application as the bootstrap builds it, as far as HTTP is concerned."""

    @property
    def commands(self) -> CommandHandling:
        """The command bus."""
        ...

    @property
    def queries(self) -> QueryAnswering:
        """The query bus."""
        ...

    @property
    def store(self) -> Positions:
        """The event store."""
        ...

    @property
    def projections(self) -> Projections:
        """The projection engine."""
        ...


class Gateway:
    """Runs commands and queries for the routes; ``wait_timeout`` bounds ``min_position`` waits."""

    def __init__(
        self,
        services: AppServices,
        *,
        wait_timeout: float = 2.0,
        metrics: HttpMetrics | None = None,
    ) -> None:
        self.services = services
        self.wait_timeout = wait_timeout
        self._metrics = metrics
        self._write_failure: str | None = None
        self._stream_locks = [threading.Lock() for _ in range(64)]

    async def handle(
        self,
        command: Command,
        *,
        expected_version: int | None = None,
        organization_id: str | None = None,
    ) -> Any:
        """Handle a command in a worker thread; with ``expected_version``, check it atomically.

        The check and the command run under a lock for the payment's stream, so no other
        command of this process slips between them. A payment that is missing or belongs to
        another organization is left to the command (a 404), so a version mismatch never
        reveals that another tenant's payment exists.
        """
        name = type(command).__name__
        try:
            result = await anyio.to_thread.run_sync(
                self._handle_sync, command, expected_version, organization_id
            )
        except Exception as exc:
            if isinstance(exc, JournalWriteError | StoreClosedError):
                # the store refuses every write from now on, until a restart recovers it
                self._write_failure = str(exc)
            if self._metrics is not None:
                self._metrics.observe_command(name, type(exc).__name__)
            raise
        if self._metrics is not None:
            first = getattr(result, "first_position", result.position)
            self._metrics.observe_command(name, "ok", result.position - first + 1)
        return result

    def _handle_sync(
        self, command: Command, expected_version: int | None, organization_id: str | None
    ) -> Any:
        bus = self.services.commands
        if expected_version is None:
            return bus.handle(command)
        stream_id = str(command.payment_id)  # type: ignore[attr-defined]
        with self._stream_locks[hash(stream_id) % len(self._stream_locks)]:
            store = self.services.store
            actual = store.stream_version(stream_id)
            if actual and actual != expected_version and self._owned(stream_id, organization_id):
                raise PreconditionFailedError(expected_version, actual)
            return bus.handle(command)

    def _owned(self, stream_id: str, organization_id: str | None) -> bool:
        if organization_id is None:
            return True
        first = self.services.store.read_stream(stream_id, 1, 1)
        return bool(first) and first[0].metadata.get("organization_id") == organization_id

    async def ask(self, query: Query) -> Any:
        """Answer a query; with ``min_position``, first wait (bounded) for the read models."""
        position = query.min_position
        if position is not None and position > 0:
            last = self.services.store.last_position()
            if position > last:
                raise ValidationError(
                    f"min_position {position} is beyond the last position of the event store "
                    f"({last}); use a position returned by a command.",
                    field="min_position",
                )
            await anyio.to_thread.run_sync(
                self.services.projections.wait_for, position, self.wait_timeout
            )
        return self.services.queries.ask(query)

    def last_position(self) -> int:
        """The highest visible global position of the store."""
        return self.services.store.last_position()

    def projection_statuses(self) -> list[Any]:
        """Every projection's status."""
        return list(self.services.projections.statuses())

    def rebuild(self, name: str) -> None:
        """Start rebuilding a projection in the background (``NotFoundError`` when unknown)."""
        self.services.projections.rebuild_in_background(name)

    def health(self) -> tuple[bool, bool, str]:
        """Whether the journal accepts writes, whether every projection runs, and why not."""
        problems: list[str] = []
        writable = _journal_writable(self.services.store)
        if not writable:
            problems.append("the event store refuses writes")
        elif self._write_failure is not None:
            writable = False
            problems.append(f"a write failed: {self._write_failure}")
        running = True
        for status in self.projection_statuses():
            if str(status.state) not in _RUNNING_STATES:
                running = False
                problems.append(f"projection {status.name!r} is {status.state}")
        return writable, running, "; ".join(problems)

    def snapshot(self) -> dict[str, Any]:
        """Figures for the metrics scrape: position, projections, cache and journal stats."""
        return {
            "position": self.last_position(),
            "projections": self.projection_statuses(),
            "cache": _cache_stats(self.services),
            "journal": _journal_stats(self.services.store),
        }


_RUNNING_STATES = frozenset({"running", "catching_up", "rebuilding"})


def _journal_writable(store: object) -> bool:
    """Whether the store still accepts writes (a failed fsync closes it until restart)."""
    writable = getattr(store, "writable", None)
    if writable is not None:
        return bool(writable() if callable(writable) else writable)
    return not bool(getattr(store, "closed", False))


def _cache_stats(services: object) -> dict[str, int] | None:
    """Hits and misses of the query cache, when the application has one (``cache_stats()``)."""
    stats = getattr(services, "cache_stats", None)
    figures = stats() if callable(stats) else None
    if figures is None:
        return None
    return {"hits": int(figures["hits"]), "misses": int(figures["misses"])}


def _journal_stats(store: object) -> dict[str, float] | None:
    """Journal figures (fsyncs, frames), when the store is journaled."""
    journal = getattr(store, "journal", None)
    if journal is None:
        return None
    figures: dict[str, float] = {}
    for name in ("syncs", "frames_written", "frames_durable", "fsync_seconds"):
        value = getattr(journal, name, None)
        if isinstance(value, int | float):
            figures[name] = float(value)
    return figures
