"""The append path's short cut: a batch of one plain event, alone or in a bulk append.

Most batches are one event of a class already seen, without a caller-chosen id (a command
records one event; a bulk import brings one event per new stream). For those the checks and
the envelope take a few lines, written here for speed: what they read are local names bound
once, not attributes. Anything else (several events, a ``NewEvent``, a class seen for the first
time, bad input) is handed back to :meth:`BatchBuilder.prepare`'s general path, which does
every check in the documented order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Protocol, TypeAlias

from eventram.envelope import _ID_POOL, RecordedEvent, new_event_int
from eventram.errors import ConcurrencyError, ValidationError
from eventram.store.base import (
    ANY,
    STREAM_EXISTS,
    AppendRequest,
    AppendResult,
    EventLike,
    describe_expected,
)

if TYPE_CHECKING:
    from eventram.store._append import BatchBuilder

__all__ = [
    "EMPTY_META",
    "Bulk",
    "OneEvent",
    "Stream",
    "one_event_path",
    "prepare_many",
    "result_of",
    "stream_events",
]

Stream: TypeAlias = RecordedEvent | list[RecordedEvent]
"""A stream's events as the store keeps them: the envelope itself while it is the only one."""

EMPTY_META: Mapping[str, str] = {}
"""The metadata of every envelope appended without any."""

_stream_id_of = attrgetter("stream_id")


def stream_events(stream: Stream) -> list[RecordedEvent]:
    """The events of a stream, in version order."""
    return stream if type(stream) is list else [stream]  # type: ignore[list-item]


def result_of(batch: Sequence[RecordedEvent]) -> AppendResult:
    """What appending ``batch`` did (its stream, versions and positions)."""
    first, last = batch[0], batch[-1]
    return AppendResult(first.stream_id, first.version, last.version, first.position, last.position)


def existing_stream(
    stream: Stream, stream_id: str, expected_version: int, stream_type: str
) -> tuple[str, str, int]:
    """Check ``expected_version`` against a stored stream: its id, its type and its version.

    The id is the stream's own string (one per stream, however callers spell it), and so is the
    type when the caller gives none. Raises ``ConcurrencyError`` on a mismatch.
    """
    if type(stream) is list:
        first, current = stream[0], len(stream)
    else:
        first, current = stream, 1  # type: ignore[assignment]  # an envelope
    if (
        expected_version != current
        and expected_version != ANY
        and expected_version != STREAM_EXISTS
    ):
        raise ConcurrencyError(stream_id, describe_expected(expected_version), current)
    return first.stream_id, stream_type or first.stream_type, current


class OneEvent(Protocol):
    """The short path of one batch: one plain event of a class already seen."""

    def __call__(
        self,
        stream_id: str,
        data: EventLike,
        expected_version: int,
        stream_type: str,
        metadata: Mapping[str, str] | None,
        correlation_id: str | None,
        causation_id: str | None,
        now: int,
        position: int,
    ) -> RecordedEvent | None:
        """The envelope, or None when the batch needs the general path (nothing checked yet).

        Raises ``ConcurrencyError`` when the stream is not at ``expected_version``.
        """
        ...


def one_event_path(builder: BatchBuilder) -> OneEvent:
    """The builder's short path for one batch, as a closure over the builder's state."""
    streams, type_names, cache = builder.streams, builder.type_names, builder.metadata_cache
    fields, shared = builder.pair_fields, builder.shared_metadata
    first_field, second_field = fields or ("", "")
    encode, encode_into, buffer = builder.encode, builder.encode_into, builder.buffer
    take_id = _ID_POOL.pop

    def one(
        stream_id: str,
        data: EventLike,
        expected_version: int,
        stream_type: str,
        metadata: Mapping[str, str] | None,
        correlation_id: str | None,
        causation_id: str | None,
        now: int,
        position: int,
    ) -> RecordedEvent | None:
        name = type_names.get(type(data))  # type: ignore[arg-type]  # None: NewEvent, new class
        if (
            name is None
            or type(stream_id) is not str
            or not stream_id
            or type(expected_version) is not int
            or expected_version < ANY
        ):
            return None
        stream = streams.get(stream_id)
        if stream is None:
            current = 0
            # a new stream: NO_STREAM, ANY and 0 pass; a version or STREAM_EXISTS does not
            if expected_version > 0 or expected_version == STREAM_EXISTS:
                raise ConcurrencyError(stream_id, describe_expected(expected_version), 0)
        else:
            stream_id, stream_type, current = existing_stream(
                stream, stream_id, expected_version, stream_type
            )
        if not metadata:
            meta = EMPTY_META
        else:
            try:  # the usual metadata: the two indexed fields, with values seen before
                if fields is None or len(metadata) != 2:
                    raise KeyError
                meta = cache[metadata[first_field]][metadata[second_field]]
            except (KeyError, TypeError):
                meta = shared(metadata)
        if encode_into is None:
            payload = encode(data)  # type: ignore[arg-type]  # a registered Event class
        else:
            encode_into(data, buffer)
            payload = bytes(buffer)
        try:
            event_int = take_id()  # what new_event_int() does, without a call
        except IndexError:
            event_int = new_event_int()
        return RecordedEvent(
            position,
            current + 1,
            stream_id,
            stream_type,
            name,
            event_int,
            now,
            correlation_id,
            causation_id,
            meta,
            payload,
            data.schema_version,  # type: ignore[union-attr]
        )

    return one


class Bulk:
    """A bulk append, prepared: its new batches, and each stream's result or error.

    While every new batch is one event to a new stream (the usual bulk append), ``singles``
    holds them and ``batches`` is None: the store can insert them without a list each.
    Otherwise ``batches`` holds every new batch, in order.
    """

    __slots__ = ("batches", "errors", "results", "singles")

    def __init__(self) -> None:
        self.singles: list[RecordedEvent] = []
        self.batches: list[list[RecordedEvent]] | None = None
        self.results: dict[str, AppendResult] = {}
        """By stream: what its new batch does once inserted, or the first result of a retry."""
        self.errors: dict[str, Exception] = {}
        """By stream: why its batch was refused."""

    def all_batches(self) -> list[list[RecordedEvent]]:
        """Every new batch, in order."""
        if self.batches is None:
            return [[event] for event in self.singles]
        return self.batches


def prepare_many(
    builder: BatchBuilder, requests: Sequence[AppendRequest], now: int, position: int
) -> Bulk:
    """Prepare each stream's batch of a bulk append, from global ``position`` on.

    A one-event batch takes the short path (``builder.one``); any other, or one the short path
    hands back, goes to ``builder.prepare``. A stream named twice is refused the second time.
    """
    bulk = Bulk()
    singles, results, errors = bulk.singles, bulk.results, bulk.errors
    batches: list[list[RecordedEvent]] | None = None
    seen_ids: set[int] = set()
    one, prepare, single = builder.one, builder.prepare, singles.append
    # checked per request only when some stream id repeats (a set of them is built in C)
    twice = len(set(map(_stream_id_of, requests))) != len(requests)
    for request in requests:
        stream_id = request.stream_id
        if twice and (stream_id in results or stream_id in errors):  # seen: in one of them
            errors[stream_id] = ValidationError(
                f"Stream {stream_id!r} appears twice in one bulk append; "
                "put all its events in one request.",
                field="stream_id",
            )
            continue
        events = request.events
        try:
            if type(events) is list and len(events) == 1:
                event = one(
                    stream_id,
                    events[0],
                    request.expected_version,
                    request.stream_type,
                    request.metadata,
                    request.correlation_id,
                    request.causation_id,
                    now,
                    position,
                )
                if event is not None:
                    version = event.version
                    results[event.stream_id] = AppendResult(
                        event.stream_id, version, version, position, position
                    )
                    position += 1
                    if batches is not None:
                        batches.append([event])
                    elif version == 1:
                        single(event)
                    else:
                        batches = [[e] for e in singles]
                        batches.append([event])
                    continue
            outcome = prepare(
                stream_id,
                events,
                request.expected_version,
                request.stream_type,
                request.metadata,
                request.correlation_id,
                request.causation_id,
                now,
                position,
                seen_ids,
            )
        except (ConcurrencyError, ValidationError) as exc:
            errors[stream_id] = exc
            continue
        if type(outcome) is AppendResult:
            results[stream_id] = outcome
            continue
        new: list[RecordedEvent] = outcome  # type: ignore[assignment]
        results[stream_id] = result_of(new)
        position += len(new)
        if batches is None:
            batches = [[e] for e in singles]
        batches.append(new)
    bulk.batches = batches
    return bulk
