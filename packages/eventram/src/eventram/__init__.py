"""eventram: an Event Sourcing + CQRS engine whose hot path lives in memory.

The public API is what ``__all__`` lists; modules starting with ``_`` are internal. The names
backed by files on disk (the journaled store, snapshot files) are imported on first use, so
``import eventram`` loads neither the journal nor any command-line library.
"""

from typing import TYPE_CHECKING, Any

from eventram.bus import (
    CommandBus,
    CorrelationMiddleware,
    EventBus,
    IdempotencyMiddleware,
    IdempotencyRecord,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    LoggingMiddleware,
    Middleware,
    Next,
    QueryBus,
    RetryOnConflictMiddleware,
    inject,
    watch_replays,
)
from eventram.codec import EventRegistry, registry
from eventram.context import MessageContext, current_context, message_context
from eventram.envelope import NewEvent, RecordedEvent
from eventram.errors import (
    ConcurrencyError,
    DecodeError,
    DomainError,
    DuplicateEventIdError,
    EmptyBatchError,
    EventramError,
    HandlerNotFoundError,
    IdempotencyKeyReusedError,
    InvalidExpectedVersionError,
    JournalCorruptError,
    JournalError,
    JournalLockedError,
    JournalWriteError,
    NotFoundError,
    ProjectionError,
    ProjectionTimeoutError,
    QueryError,
    StoreClosedError,
    UnregisteredEventError,
    ValidationError,
)
from eventram.messages import Command, Event, Query
from eventram.model import (
    Aggregate,
    InMemorySnapshotStore,
    Repository,
    Snapshot,
    SnapshotStore,
)
from eventram.readmodel import (
    Breakdown,
    Collection,
    CounterTable,
    Filter,
    HashIndex,
    Page,
    Search,
    SortedIndex,
    SortKey,
    TextIndex,
    Totals,
    Trend,
)
from eventram.store.memory import InMemoryEventStore, Subscription
from eventram.store.ports import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    AppendRequest,
    AppendResult,
    BulkResult,
    EventFilter,
    EventIndex,
    EventQuery,
    EventStore,
)

if TYPE_CHECKING:
    from eventram.projection.snapshotfiles import FileSnapshotStore, LoadedSnapshot, SnapshotFiles
    from eventram.store.durable import DurableStore, open_store

__version__ = "0.2.0"
"""The version of the ``eventram`` distribution (a test keeps it equal to its metadata)."""

_ON_DISK = {
    "DurableStore": "eventram.store.durable",
    "open_store": "eventram.store.durable",
    "FileSnapshotStore": "eventram.projection.snapshotfiles",
    "LoadedSnapshot": "eventram.projection.snapshotfiles",
    "SnapshotFiles": "eventram.projection.snapshotfiles",
}

__all__ = [
    "ANY",
    "NO_STREAM",
    "STREAM_EXISTS",
    "Aggregate",
    "AppendRequest",
    "AppendResult",
    "Breakdown",
    "BulkResult",
    "Collection",
    "Command",
    "CommandBus",
    "ConcurrencyError",
    "CorrelationMiddleware",
    "CounterTable",
    "DecodeError",
    "DomainError",
    "DuplicateEventIdError",
    "DurableStore",
    "EmptyBatchError",
    "Event",
    "EventBus",
    "EventFilter",
    "EventIndex",
    "EventQuery",
    "EventRegistry",
    "EventStore",
    "EventramError",
    "FileSnapshotStore",
    "Filter",
    "HandlerNotFoundError",
    "HashIndex",
    "IdempotencyKeyReusedError",
    "IdempotencyMiddleware",
    "IdempotencyRecord",
    "IdempotencyStore",
    "InMemoryEventStore",
    "InMemoryIdempotencyStore",
    "InMemorySnapshotStore",
    "InvalidExpectedVersionError",
    "JournalCorruptError",
    "JournalError",
    "JournalLockedError",
    "JournalWriteError",
    "LoadedSnapshot",
    "LoggingMiddleware",
    "MessageContext",
    "Middleware",
    "NewEvent",
    "Next",
    "NotFoundError",
    "Page",
    "ProjectionError",
    "ProjectionTimeoutError",
    "Query",
    "QueryBus",
    "QueryError",
    "RecordedEvent",
    "Repository",
    "RetryOnConflictMiddleware",
    "Search",
    "Snapshot",
    "SnapshotFiles",
    "SnapshotStore",
    "SortKey",
    "SortedIndex",
    "StoreClosedError",
    "Subscription",
    "TextIndex",
    "Totals",
    "Trend",
    "UnregisteredEventError",
    "ValidationError",
    "current_context",
    "inject",
    "message_context",
    "open_store",
    "registry",
    "watch_replays",
]


def __getattr__(name: str) -> Any:
    if name not in _ON_DISK:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_ON_DISK[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
