"""eventram: an Event Sourcing + CQRS engine whose hot path lives in memory.

The public API is what ``__all__`` lists; modules starting with ``_`` are internal.
"""

from eventram.bus import inject
from eventram.bus.command import CommandBus
from eventram.bus.events import EventBus
from eventram.bus.middleware import (
    CorrelationMiddleware,
    IdempotencyMiddleware,
    LoggingMiddleware,
    RetryOnConflictMiddleware,
)
from eventram.bus.query import QueryBus
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
from eventram.exitcodes import EXIT_CODES, exit_code_for, run_cli
from eventram.messages import Command, Event, Query
from eventram.model import (
    Aggregate,
    InMemorySnapshotStore,
    Repository,
    Snapshot,
    SnapshotStore,
)
from eventram.projection.snapshotfiles import FileSnapshotStore, LoadedSnapshot, SnapshotFiles
from eventram.readmodel import (
    Collection,
    Filter,
    HashIndex,
    Page,
    Search,
    SortedIndex,
    SortKey,
    TextIndex,
)
from eventram.store.counters import EventStatistics
from eventram.store.durable import DurableStore, open_store
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

__all__ = [
    "ANY",
    "EXIT_CODES",
    "NO_STREAM",
    "STREAM_EXISTS",
    "Aggregate",
    "AppendRequest",
    "AppendResult",
    "BulkResult",
    "Collection",
    "Command",
    "CommandBus",
    "ConcurrencyError",
    "CorrelationMiddleware",
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
    "EventStatistics",
    "EventStore",
    "EventramError",
    "FileSnapshotStore",
    "Filter",
    "HandlerNotFoundError",
    "HashIndex",
    "IdempotencyMiddleware",
    "InMemoryEventStore",
    "InMemorySnapshotStore",
    "InvalidExpectedVersionError",
    "JournalCorruptError",
    "JournalError",
    "JournalLockedError",
    "JournalWriteError",
    "LoadedSnapshot",
    "LoggingMiddleware",
    "MessageContext",
    "NewEvent",
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
    "UnregisteredEventError",
    "ValidationError",
    "current_context",
    "exit_code_for",
    "inject",
    "message_context",
    "open_store",
    "registry",
    "run_cli",
]
