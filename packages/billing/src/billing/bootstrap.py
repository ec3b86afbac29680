"""The composition root: builds the billing service from ``Settings``; the only module that wires.

``build(Settings())`` gives a service held entirely in memory; ``Settings(data_dir=...)``
asks for the journaled store. Nothing is opened at import time, only by ``build``; handlers
receive their dependencies by the names their signatures use (``eventram.inject``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self

import msgspec

from billing.application.command_handlers import HANDLERS
from billing.application.query_bus import query_bus
from billing.application.read_models import (
    PaymentsReadModel,
    event_counters_projection,
    payments_projection,
)
from billing.domain import Payment
from eventram import (
    Command,
    CommandBus,
    CorrelationMiddleware,
    DurableStore,
    IdempotencyMiddleware,
    InMemoryEventStore,
    InMemoryIdempotencyStore,
    LoggingMiddleware,
    QueryBus,
    Repository,
    RetryOnConflictMiddleware,
    ValidationError,
    inject,
)
from eventram.cache import LRUCache, QueryCacheMiddleware, QueryCacheStats, TieredCache
from eventram.projection import (
    Mode,
    ProjectionEngine,
    ProjectionHandle,
    ProjectionSnapshots,
)
from eventram.readmodel import CounterTable

__all__ = [
    "BillingApp",
    "Settings",
    "build",
    "command_bus",
    "command_middleware",
    "idempotency_scope",
]

Clock = Callable[[], datetime]
INDEXED_METADATA = ("organization_id", "user_id")
"""The envelope metadata the service searches events by (and its event statistics count by)."""
SNAPSHOTS_DIR = "snapshots"
"""Sub-directory of a data directory holding read-model snapshots (``app.save_snapshots()``)."""
CommandMiddleware = Callable[[Command, Callable[[Command], Any]], Any]


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """How to run the service. The defaults keep everything in memory, in one process."""

    data_dir: str | None = None
    """Directory of the event journal; None keeps the events in memory only (lost on exit)."""
    fsync: Literal["always", "interval", "never"] = "interval"
    """When the journal reaches the disk: every commit (group commit), periodically, or never."""
    fsync_interval: float = 0.1
    """Seconds between fsyncs under the ``interval`` policy."""
    cache_url: str | None = None
    """Redis URL of the shared (L2) query cache; None keeps the in-process cache only."""
    projections: Literal["inline", "async"] = "inline"
    """Inline projections update read models before a command returns (read-your-writes);
    async ones follow the store from their checkpoint."""
    retry_attempts: int = 5
    """Runs of a command, at most, when its append meets a concurrent writer."""
    idempotency_keys: int = 100_000
    """Idempotency keys remembered in all (least recently used are forgotten)."""
    idempotency_keys_per_organization: int = 10_000
    """Idempotency keys remembered per organization, so that one cannot evict another's."""
    aggregate_cache_size: int = 10_000
    """Payments kept loaded in memory between commands."""
    query_cache_entries: int = 10_000
    """Query answers kept in the in-process (L1) cache; 0 turns query caching off."""
    query_cache_ttl: float = 300.0
    """Seconds a cached answer lives at most (it is dropped sooner once stale)."""
    read_wait_timeout: float = 5.0
    """Seconds a query with ``min_position`` waits, at most, for the projections."""

    def __post_init__(self) -> None:
        if self.fsync not in ("always", "interval", "never"):
            raise ValidationError(
                f"fsync {self.fsync!r} must be 'always', 'interval' or 'never'.", field="fsync"
            )
        if self.projections not in ("inline", "async"):
            raise ValidationError(
                f"projections {self.projections!r} must be 'inline' or 'async'.",
                field="projections",
            )
        if not self.fsync_interval > 0:
            raise ValidationError("fsync_interval must be > 0 seconds.", field="fsync_interval")
        for field in ("retry_attempts", "idempotency_keys", "idempotency_keys_per_organization"):
            if getattr(self, field) < 1:
                raise ValidationError(f"{field} must be >= 1.", field=field)
        if self.query_cache_entries < 0:
            raise ValidationError("query_cache_entries must be >= 0.", field="query_cache_entries")
        if not self.query_cache_ttl > 0:
            raise ValidationError("query_cache_ttl must be > 0 seconds.", field="query_cache_ttl")
        if not self.read_wait_timeout > 0:
            raise ValidationError(
                "read_wait_timeout must be > 0 seconds.", field="read_wait_timeout"
            )
        if self.aggregate_cache_size < 0:
            raise ValidationError(
                "aggregate_cache_size must be >= 0.", field="aggregate_cache_size"
            )


@dataclass(kw_only=True)
class BillingApp:
    """The built service: send commands with ``app.commands.handle(command)``."""

    settings: Settings
    store: InMemoryEventStore | DurableStore
    payments: Repository[Payment]
    commands: CommandBus
    queries: QueryBus
    """Answers ``billing.application.queries``: ``app.queries.ask(GetPayment(...))``."""
    projections: ProjectionEngine
    """The projection engine: status, rebuild, wait_for."""
    payments_view: ProjectionHandle[PaymentsReadModel]
    """The payments projection's live state (collection and analytics)."""
    event_counters: ProjectionHandle[CounterTable]
    """The event counters projection's live state."""
    query_cache: QueryCacheMiddleware | None = None
    """The query cache middleware (None when caching is off)."""

    def cache_stats(self) -> dict[str, int] | None:
        """Query cache hits and misses (stale hits count as misses), or None without a cache."""
        if self.query_cache is None:
            return None
        stats: QueryCacheStats = self.query_cache.stats()
        return {"hits": stats.hits, "misses": stats.misses, "stale": stats.stale}

    def save_snapshots(self) -> dict[str, Path]:
        """Snapshot every read model at its position (with a data directory only), so the next
        start loads them and replays only the events that follow; return the files written."""
        if self.settings.data_dir is None:
            return {}
        return self.projections.save_snapshots()

    def close(self) -> None:
        """Stop the projections, then close the store (flushing the journal when there is one)."""
        self.projections.close()
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def command_middleware(settings: Settings) -> Sequence[CommandMiddleware]:
    """The command bus's middleware, outermost first.

    Logging sees every command once; idempotency replays a known key's first outcome before
    anything runs (keys are scoped per organization); correlation sets the ids the events will
    carry; retry, innermost, reruns only the handler (reload, decide, append) when a
    concurrent writer got there first.
    """
    keys = InMemoryIdempotencyStore(
        max_entries=settings.idempotency_keys,
        max_per_scope=settings.idempotency_keys_per_organization,
    )
    return [
        LoggingMiddleware(),
        IdempotencyMiddleware(keys, scope=idempotency_scope),
        CorrelationMiddleware(),
        RetryOnConflictMiddleware(attempts=settings.retry_attempts),
    ]


def idempotency_scope(command: Command) -> str:
    """The scope of a command's idempotency key: its organization (operators share one)."""
    organization_id: str | None = getattr(command, "organization_id", None)
    return "operator" if organization_id is None else f"organization:{organization_id}"


def build(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    start_projections: bool = True,
    replay_progress: Callable[[int, int], None] | None = None,
) -> BillingApp:
    """Build the service. ``clock`` stamps the events' ``recorded_at`` (tests, demo data).

    ``replay_progress`` is called with (bytes read, bytes total) while the journal is replayed.

    With ``start_projections=False`` the read models stay empty until the caller starts or
    rebuilds them through ``app.projections`` (a command line that only reads the log, or that
    shows the rebuild's progress, skips the catch-up).
    """
    settings = settings if settings is not None else Settings()
    store = _open_store(settings, clock, replay_progress)
    payments: Repository[Payment] = Repository(
        store, Payment, cache_size=settings.aggregate_cache_size
    )
    commands = command_bus(payments, settings)
    snapshots = None
    if settings.data_dir is not None:
        snapshots = ProjectionSnapshots(Path(settings.data_dir) / SNAPSHOTS_DIR)
    engine = ProjectionEngine(store, snapshots=snapshots)
    mode = Mode(settings.projections)
    payments_view = engine.register(payments_projection(), mode)
    counters = engine.register(event_counters_projection(store), mode)
    if start_projections:
        engine.start()  # inline projections catch up on the journal here, before any command
    queries, caching = query_bus(
        store,
        store,
        payments_view,
        counters,
        cache=_query_cache(settings),
        waiter=engine,
        wait_timeout=settings.read_wait_timeout,
    )
    return BillingApp(
        settings=settings,
        store=store,
        payments=payments,
        commands=commands,
        queries=queries,
        projections=engine,
        payments_view=payments_view,
        event_counters=counters,
        query_cache=caching,
    )


def _query_cache(settings: Settings) -> TieredCache | None:
    """L1 in process, in front of Redis (L2) when ``cache_url`` is set; None when turned off."""
    if settings.query_cache_entries == 0:
        return None
    l1 = LRUCache(max_entries=settings.query_cache_entries, default_ttl=settings.query_cache_ttl)
    l2 = None
    if settings.cache_url is not None:
        from eventram.cache import RedisCache  # imports redis, which only this setting needs

        l2 = RedisCache(url=settings.cache_url, default_ttl=settings.query_cache_ttl)
    return TieredCache(l1, l2)


def command_bus(payments: Repository[Payment], settings: Settings) -> CommandBus:
    """The command bus: every handler of ``HANDLERS`` with its dependencies, behind the
    middleware."""
    dependencies = {"payments": payments}
    return CommandBus(
        {command: inject(handler, dependencies) for command, handler in HANDLERS.items()},
        command_middleware(settings),
    )


def _open_store(
    settings: Settings, clock: Clock | None, progress: Callable[[int, int], None] | None
) -> InMemoryEventStore | DurableStore:
    if settings.data_dir is None:
        if clock is None:
            return InMemoryEventStore(metadata_fields=INDEXED_METADATA)
        return InMemoryEventStore(metadata_fields=INDEXED_METADATA, clock=clock)
    from eventram import open_store

    interval_ms = settings.fsync_interval * 1000
    if clock is None:
        return open_store(
            settings.data_dir,
            fsync=settings.fsync,
            interval_ms=interval_ms,
            progress=progress,
            metadata_fields=INDEXED_METADATA,
        )
    return open_store(
        settings.data_dir,
        fsync=settings.fsync,
        interval_ms=interval_ms,
        clock=clock,
        progress=progress,
        metadata_fields=INDEXED_METADATA,
    )
