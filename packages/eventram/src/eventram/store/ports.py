"""The store's ports and the values they take and return.

``EventStore`` is what writers and readers of streams use; ``EventIndex`` searches events by one
``EventQuery``; ``Journal`` is where a store writes committed batches before showing them;
``Restorable`` is what recovery loads a journal into. Every adapter (memory, journaled,
PostgreSQL) passes the contract suites of the ports it implements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Final, Protocol

import msgspec

from eventram.codec import EventRegistry
from eventram.envelope import NewEvent, RecordedEvent
from eventram.errors import InvalidExpectedVersionError
from eventram.messages import Event

__all__ = [
    "ANY",
    "NO_STREAM",
    "STREAM_EXISTS",
    "AppendRequest",
    "AppendResult",
    "BulkResult",
    "CommitListener",
    "EventFilter",
    "EventIndex",
    "EventLike",
    "EventQuery",
    "EventStore",
    "ExpectedVersion",
    "Journal",
    "Restorable",
    "check_expected_version",
    "describe_expected",
    "result_of",
    "version_matches",
]

NO_STREAM: Final = -1
"""Expected version: the stream must not exist yet."""
STREAM_EXISTS: Final = -2
"""Expected version: the stream must have at least one event."""
ANY: Final = -3
"""Expected version: no check."""

ExpectedVersion = int
EventLike = Event | NewEvent


def check_expected_version(stream_id: str, expected: object) -> int:
    """Return ``expected`` if it is a valid expected version, else raise."""
    if type(expected) is not int or expected < ANY:
        raise InvalidExpectedVersionError(stream_id, expected)
    return expected


def describe_expected(expected: int) -> str:
    """Words for an expected version, for error messages."""
    return {NO_STREAM: "no stream", STREAM_EXISTS: "an existing stream", ANY: "any version"}.get(
        expected, f"version {expected}"
    )


def version_matches(expected: int, actual: int) -> bool:
    """Whether a stream at ``actual`` satisfies ``expected``."""
    if expected >= 0:
        return expected == actual
    if expected == NO_STREAM:
        return actual == 0
    if expected == STREAM_EXISTS:
        return actual > 0
    return True


class AppendResult(msgspec.Struct, frozen=True):
    """What an append did: the stream's new version and the global positions it took."""

    stream_id: str
    first_version: int
    version: int
    first_position: int
    position: int


def result_of(batch: Sequence[RecordedEvent]) -> AppendResult:
    """What appending ``batch`` did (its stream, versions and positions)."""
    first, last = batch[0], batch[-1]
    return AppendResult(first.stream_id, first.version, last.version, first.position, last.position)


class AppendRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One stream's batch inside a bulk append."""

    stream_id: str
    events: Sequence[EventLike]
    expected_version: int = ANY
    stream_type: str = ""
    metadata: Mapping[str, str] | None = None
    correlation_id: str | None = None
    causation_id: str | None = None


class BulkResult(msgspec.Struct, frozen=True):
    """Outcome of a bulk append: per stream, its result or the error that refused its batch."""

    results: dict[str, AppendResult]
    errors: dict[str, Exception]

    @property
    def ok(self) -> bool:
        """True when every stream's batch was appended."""
        return not self.errors


class EventFilter(msgspec.Struct, frozen=True):
    """Selects events by type and/or stream type; an empty field (None or empty) selects all."""

    event_types: frozenset[str] | None = None
    stream_types: frozenset[str] | None = None

    def matches(self, event: RecordedEvent) -> bool:
        """Whether the event passes the filter (as ``read_all`` applies it)."""
        return (not self.event_types or event.event_type in self.event_types) and (
            not self.stream_types or event.stream_type in self.stream_types
        )

    def query(self, after_position: int = 0, limit: int | None = None) -> EventQuery:
        """The :class:`EventQuery` of what the filter selects, after a position."""
        return EventQuery(
            event_types=sorted(self.event_types) if self.event_types else None,
            stream_types=sorted(self.stream_types) if self.stream_types else None,
            after_position=after_position,
            limit=limit,
        )


class EventQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which events to find: every given criterion must hold; None (or empty) means any.

    ``since <= recorded_at <= until`` (aware datetimes); ``metadata`` fields must be among the
    store's indexed ones. ``after_position`` is a paging cursor (the last position seen);
    ``limit`` bounds ``find`` (None: no bound) and is ignored by ``count``.
    """

    event_types: Sequence[str] | None = None
    stream_types: Sequence[str] | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    metadata: Mapping[str, str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_position: int = 0
    limit: int | None = 100


CommitListener = Callable[[Sequence[RecordedEvent]], None]
"""Called with each committed batch, in order, once it is visible."""


class EventStore(Protocol):
    """An append-only log of streams of events with a global order.

    Every backend passes the same contract suite (``tests/contract/event_store_contract.py``).
    """

    def append(
        self,
        stream_id: str,
        events: Sequence[EventLike],
        expected_version: int = ANY,
        *,
        stream_type: str = "",
        metadata: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> AppendResult:
        """Append a batch atomically if the stream is at ``expected_version``."""
        ...

    def append_many(self, requests: Sequence[AppendRequest]) -> BulkResult:
        """Append batches to many streams in one call, each stream's batch atomically."""
        ...

    def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        limit: int | None = None,
        *,
        backwards: bool = False,
    ) -> list[RecordedEvent]:
        """Events of one stream from a version (or down from it when ``backwards``)."""
        ...

    def read_all(
        self, after_position: int = 0, limit: int | None = None, filter: EventFilter | None = None
    ) -> list[RecordedEvent]:
        """Events of every stream after a global position, in global order."""
        ...

    def stream_version(self, stream_id: str) -> int:
        """The current version of a stream (0 when it does not exist)."""
        ...

    def last_position(self) -> int:
        """The highest visible global position (0 when empty)."""
        ...

    def subscribe(
        self, after_position: int = 0, filter: EventFilter | None = None
    ) -> Iterator[RecordedEvent]:
        """Catch up from a position, then follow new events live, in order."""
        ...


class EventIndex(Protocol):
    """Searches a store's events by one :class:`EventQuery`, in global order."""

    def find(self, query: EventQuery) -> list[RecordedEvent]:
        """Events matching every criterion of ``query``, in global order, up to its limit."""
        ...

    def count(self, query: EventQuery) -> int:
        """How many events :meth:`find` would return without a limit."""
        ...


class Journal(Protocol):
    """Where a store writes committed batches before they become visible."""

    @property
    def waits(self) -> bool:
        """Whether a written frame must be waited for (``wait_durable``) before it is shown.

        False when ``write`` alone is enough (the frame is in the OS and nothing more is
        promised): the store then shows a batch as soon as it is written.
        """
        ...

    def write(self, batches: Sequence[Sequence[RecordedEvent]]) -> int:
        """Write batches as one frame; return a ticket for :meth:`wait_durable`; raise on error."""
        ...

    def wait_durable(self, ticket: int) -> None:
        """Block until the frame of ``ticket`` (and every earlier frame) is durable."""
        ...

    def close(self) -> None:
        """Make everything written durable and release the journal; called by the store's close."""
        ...


class Restorable(Protocol):
    """What recovery loads committed events into (a store before it is shared)."""

    @property
    def event_registry(self) -> EventRegistry:
        """The registry that decodes the events of this store (recovered envelopes use it)."""
        ...

    def restore_run(self, events: list[RecordedEvent], batches: Sequence[tuple[int, int]]) -> int:
        """Load committed events given as the log holds them, in order, without checks.

        ``batches`` gives the first and last positions of every batch of more than one event;
        any other event is a batch of its own. Returns how many events were loaded.
        """
        ...

    def restore(self, batches: Iterable[Sequence[RecordedEvent]]) -> int:
        """Load committed batches, in order, without checks; return how many events."""
        ...

    def catch_up_indexes(self) -> None:
        """Bring the secondary indexes up to date now, not at the first query."""
        ...
