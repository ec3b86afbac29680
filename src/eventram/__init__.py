"""eventram: an Event Sourcing + CQRS engine whose hot path lives in memory.

The public API is what ``__all__`` lists; modules starting with ``_`` are internal.
"""

from eventram.aggregate import Aggregate
from eventram.bus._pipeline import inject
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
from eventram.durable import DurableStore, open_store
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
from eventram.repository import Repository
from eventram.snapshot import InMemorySnapshotStore, Snapshot, SnapshotStore
from eventram.snapshotfiles import FileSnapshotStore, LoadedSnapshot, SnapshotFiles
from eventram.store.base import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    AppendRequest,
    AppendResult,
    BulkResult,
    EventFilter,
    EventStore,
)
from eventram.store.memory import InMemoryEventStore
from eventram.store.subscription import Subscription

__all__ = [
    "ANY",
    "EXIT_CODES",
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
    "EventRegistry",
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
    "Totals",
    "Trend",
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
