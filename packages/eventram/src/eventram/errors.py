"""The one error tree of eventram.

Every error raised on purpose by the engine is an ``EventramError``; each carries the fields that
explain it (ids, versions, offsets) and reads as a sentence::

    EventramError
    ├── ValidationError                 bad input to a call (value, type, range)
    │   ├── InvalidExpectedVersionError     an expected version that is not a version
    │   ├── EmptyBatchError                 append called with no events
    │   ├── DuplicateEventIdError           an event id twice in a batch, or in another batch
    │   ├── UnregisteredEventError          an event type the registry does not know
    │   ├── QueryError                      a read-model query that cannot be planned
    │   └── IdempotencyKeyReusedError       an idempotency key sent again with another command
    ├── ConcurrencyError                the stream is not at the expected version
    ├── NotFoundError                   a stream, document or aggregate that does not exist
    ├── HandlerNotFoundError            no handler registered for a command or query type
    ├── DecodeError                     stored bytes that cannot be decoded into an event
    ├── ProjectionError                 a projection handler failed; carries name and position
    ├── ProjectionTimeoutError          a projection did not reach a position in time (TimeoutError)
    ├── StoreClosedError                the store refuses writes (closed, or failed durability)
    ├── JournalError                    the journal cannot write or read
    │   ├── JournalCorruptError             damage found at a file and offset
    │   ├── JournalLockedError              another process holds the data directory
    │   └── JournalWriteError               disk full, permission denied, I/O error on append
    └── DomainError                     base for business-rule violations of applications

Entry points (HTTP, CLI) map these classes to status codes and exit codes in one table each.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

__all__ = [
    "ConcurrencyError",
    "DecodeError",
    "DomainError",
    "DuplicateEventIdError",
    "EmptyBatchError",
    "EventramError",
    "HandlerNotFoundError",
    "IdempotencyKeyReusedError",
    "InvalidExpectedVersionError",
    "JournalCorruptError",
    "JournalError",
    "JournalLockedError",
    "JournalWriteError",
    "NotFoundError",
    "ProjectionError",
    "ProjectionTimeoutError",
    "QueryError",
    "StoreClosedError",
    "UnregisteredEventError",
    "ValidationError",
]


class EventramError(Exception):
    """Root of every error eventram raises on purpose."""


class ValidationError(EventramError, ValueError):
    """Bad input to a call; ``field`` names the offending field when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidExpectedVersionError(ValidationError):
    """An expected version that is neither a version >= 0 nor one of the named constants."""

    def __init__(self, stream_id: str, value: object) -> None:
        super().__init__(
            f"Expected version {value!r} for stream {stream_id!r} is not valid: use an int >= 0, "
            "NO_STREAM, STREAM_EXISTS or ANY.",
            field="expected_version",
        )
        self.stream_id = stream_id
        self.value = value


class EmptyBatchError(ValidationError):
    """``append`` was called with no events."""

    def __init__(self, stream_id: str) -> None:
        super().__init__(f"Cannot append an empty batch to stream {stream_id!r}.", field="events")
        self.stream_id = stream_id


class DuplicateEventIdError(ValidationError):
    """An event id appears twice in one batch, or was already stored by a different batch."""

    def __init__(self, stream_id: str, event_ids: Sequence[UUID], reason: str) -> None:
        ids = ", ".join(str(i) for i in event_ids)
        super().__init__(
            f"Event id(s) {ids} in the batch for stream {stream_id!r} {reason}.", field="event_id"
        )
        self.stream_id = stream_id
        self.event_ids = tuple(event_ids)


class UnregisteredEventError(ValidationError):
    """An event class or event type name that the registry does not know."""

    def __init__(self, event_type: str) -> None:
        super().__init__(
            f"Event type {event_type!r} is not registered: subclass eventram.Event "
            "(or call registry.register) before encoding or decoding it.",
            field="event_type",
        )
        self.event_type = event_type


class QueryError(ValidationError):
    """A read-model query that names an unknown field, a bad value, page or cursor."""


class IdempotencyKeyReusedError(ValidationError):
    """An idempotency key that was already used, in its scope, for a different command."""

    def __init__(self, key: str) -> None:
        super().__init__(
            f"Idempotency key {key!r} was already used for a different command; "
            "use a new key for a new request.",
            field="idempotency_key",
        )
        self.key = key


class ConcurrencyError(EventramError):
    """The stream was not at the expected version; nothing was written."""

    def __init__(self, stream_id: str, expected: str, actual: int) -> None:
        super().__init__(
            f"Stream {stream_id!r} is at version {actual}, but the append expected {expected}; "
            "nothing was written. Reload and retry."
        )
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


class NotFoundError(EventramError, LookupError):
    """A stream, document or aggregate that does not exist."""

    def __init__(self, kind: str, key: str) -> None:
        super().__init__(f"{kind} {key!r} was not found.")
        self.kind = kind
        self.key = key


class HandlerNotFoundError(EventramError, LookupError):
    """No handler is registered for a command or query type."""

    def __init__(self, message_type: type) -> None:
        super().__init__(
            f"No handler is registered for {message_type.__qualname__}; "
            "register one in the bus's handler mapping."
        )
        self.message_type = message_type


class DecodeError(EventramError):
    """Stored bytes that cannot be decoded into their registered event type."""

    def __init__(self, event_type: str, detail: str) -> None:
        super().__init__(f"Cannot decode an event of type {event_type!r}: {detail}.")
        self.event_type = event_type


class ProjectionError(EventramError):
    """A projection handler raised; the projection stopped at ``position``."""

    def __init__(self, name: str, position: int, event_type: str, cause: BaseException) -> None:
        super().__init__(
            f"Projection {name!r} stopped at position {position} ({event_type}): "
            f"{type(cause).__name__}: {cause}"
        )
        self.name = name
        self.position = position
        self.event_type = event_type


class ProjectionTimeoutError(EventramError, TimeoutError):
    """Projections did not reach ``position`` within ``timeout`` seconds (read-your-writes wait)."""

    def __init__(self, names: Sequence[str], position: int, reached: int, timeout: float) -> None:
        super().__init__(
            f"Projection(s) {', '.join(repr(n) for n in names)} reached position {reached}, not "
            f"{position}, within {timeout:g} s; retry later or ask without min_position."
        )
        self.names = tuple(names)
        self.position = position
        self.reached = reached
        self.timeout = timeout


class StoreClosedError(EventramError):
    """The store refuses writes: it was closed, or durability failed and it must be reopened."""


class JournalError(EventramError):
    """The journal cannot write or read."""


class JournalCorruptError(JournalError):
    """Damage in the journal before its last frame; ``path`` and ``offset`` locate it."""

    def __init__(self, path: str, offset: int, detail: str) -> None:
        super().__init__(
            f"Journal damaged in {path} at byte offset {offset}: {detail}. "
            f"Run `eventram journal verify` to see the damage and `eventram journal repair` "
            "to cut the journal at the last good frame (a backup is kept)."
        )
        self.path = path
        self.offset = offset
        self.detail = detail


class JournalLockedError(JournalError):
    """Another process already writes to this data directory."""

    def __init__(self, directory: str, holder: str) -> None:
        super().__init__(
            f"The data directory {directory} is locked by another writer ({holder}); "
            "stop that process or use another directory."
        )
        self.directory = directory
        self.holder = holder


class JournalWriteError(JournalError):
    """The journal could not write a batch (disk full, permission denied, I/O error)."""

    def __init__(self, path: str, cause: OSError) -> None:
        super().__init__(
            f"Cannot write the journal at {path}: {cause.strerror or cause}. Nothing was "
            "written and the store refuses writes until the problem is fixed; reads keep working."
        )
        self.path = path
        self.errno = cause.errno


class DomainError(EventramError):
    """Base class for an application's business-rule violations."""
