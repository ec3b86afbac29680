"""The EventStore port: what every backend promises, and the values its calls take and return."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Final, Protocol

import msgspec

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
    "EventFilter",
    "EventStore",
    "ExpectedVersion",
    "check_expected_version",
    "describe_expected",
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


CommitListener = Callable[[Sequence[RecordedEvent]], None]


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

    def find(
        self,
        *,
        event_types: Sequence[str] | None = None,
        stream_types: Sequence[str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_position: int = 0,
        limit: int | None = 100,
    ) -> list[RecordedEvent]:
        """Events matching every given criterion, in global order, after a cursor position."""
        ...

    def count(
        self,
        *,
        event_types: Sequence[str] | None = None,
        stream_types: Sequence[str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many events ``find`` would return without a limit."""
        ...

    def subscribe(
        self, after_position: int = 0, filter: EventFilter | None = None
    ) -> Iterator[RecordedEvent]:
        """Catch up from a position, then follow new events live, in order."""
        ...

    def add_listener(self, listener: CommitListener) -> None:
        """Call ``listener`` with each batch, in order, once it is visible."""
        ...
