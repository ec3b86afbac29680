"""The HTTP layer's one door into the application: the bootstrap's app object, seen as a port.

Routes never touch buses, stores or projections directly; they call a ``Gateway``, which runs
blocking work (appends that wait for fsync, queries that wait for a position) in worker threads
so the event loop keeps serving, and answers in-memory reads on the loop itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, Protocol

import anyio.to_thread

from billing.entrypoints.http.errors import PreconditionFailedError
from billing.entrypoints.http.metrics import HttpMetrics
from eventram import (
    Command,
    ConcurrencyError,
    JournalWriteError,
    Query,
    StoreClosedError,
    watch_replays,
)

__all__ = ["AppServices", "Gateway", "Handled"]


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


class Projections(Protocol):
    """What the HTTP layer asks of the projection engine."""

    def statuses(self) -> Sequence[Any]:
        """Every projection's status (``ProjectionStatus``)."""
        ...

    def rebuild_in_background(self, name: str) -> Any:
        """Start rebuilding a projection; raise ``NotFoundError`` for an unknown name."""
        ...


class Handled(NamedTuple):
    """A command's result, and whether the bus replayed it for a known idempotency key."""

    result: Any
    replayed: bool


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
    """Runs commands and queries for the routes.

    Every concern of a command or a query is the application's: idempotency, tenant scope and
    expected versions are checked by the command bus and the handlers, ``min_position`` is
    waited for by the query bus. The gateway only keeps the event loop free of blocking work
    and translates a stale expected version into HTTP's 412.
    """

    def __init__(self, services: AppServices, *, metrics: HttpMetrics | None = None) -> None:
        self.services = services
        self._metrics = metrics
        self._write_failure: str | None = None

    async def handle(self, command: Command) -> Handled:
        """Handle a command in a worker thread (appends may wait for fsync).

        A conflict with the ``expected_version`` the command carries (the client's
        ``If-Match``) is a ``PreconditionFailedError``: nothing was written.
        """
        name = type(command).__name__
        try:
            handled = await anyio.to_thread.run_sync(self._handle_sync, command)
        except ConcurrencyError as exc:
            if self._metrics is not None:
                self._metrics.observe_command(name, type(exc).__name__)
            expected = getattr(command, "expected_version", None)
            if expected is None:
                raise
            raise PreconditionFailedError(expected, exc.actual) from exc
        except Exception as exc:
            if isinstance(exc, JournalWriteError | StoreClosedError):
                # the store refuses every write from now on, until a restart recovers it
                self._write_failure = str(exc)
            if self._metrics is not None:
                self._metrics.observe_command(name, type(exc).__name__)
            raise
        if self._metrics is not None and not handled.replayed:
            result = handled.result
            first = getattr(result, "first_position", result.position)
            self._metrics.observe_command(name, "ok", result.position - first + 1)
        return handled

    def _handle_sync(self, command: Command) -> Handled:
        with watch_replays() as watch:
            result = self.services.commands.handle(command)
        return Handled(result, watch.replayed)

    async def ask(self, query: Query) -> Any:
        """Answer a query; one with ``min_position`` in a worker thread, as the bus may wait."""
        if query.min_position is not None:
            return await anyio.to_thread.run_sync(self.services.queries.ask, query)
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
