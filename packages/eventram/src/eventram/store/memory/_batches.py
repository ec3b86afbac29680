"""Building a batch: one stream's proposed events checked and turned into envelopes.

The store calls these under its append lock and gives them what they need (the stream as it
stands, the global position, the batch's time); they read nothing else of the store and change
nothing of it: the store inserts what they return.
"""

from __future__ import annotations

import time
import uuid
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

import msgspec

from eventram.codec import EventRegistry
from eventram.envelope import NewEvent, RecordedEvent, envelope_type, new_event_int, to_epoch_us
from eventram.errors import (
    ConcurrencyError,
    DuplicateEventIdError,
    EmptyBatchError,
    ValidationError,
)
from eventram.messages import Event
from eventram.store.ports import (
    ANY,
    AppendRequest,
    AppendResult,
    check_expected_version,
    describe_expected,
    result_of,
    version_matches,
)

__all__ = [
    "EMPTY_METADATA",
    "BatchBounds",
    "BatchBuilder",
    "check_target",
    "check_version",
    "named_twice",
    "next_time",
    "refuse_reused",
    "retry_of",
    "stream_target",
    "utc_now",
]

EMPTY_METADATA: Mapping[str, str] = {}
"""The metadata of every envelope appended without any."""


utc_now: Callable[[], datetime] = partial(datetime.now, UTC)
"""The current time in UTC (a store's default clock)."""


def next_time(clock: Callable[[], datetime], last: int) -> int:
    """The next batch's ``recorded_at_us``: the clock's time, or the ``last`` batch's if later.

    The log stays time-ordered (time ranges bisect it) even if the clock steps back.
    """
    if clock is utc_now:  # the default clock, read without building a datetime
        now = time.time_ns() // 1000
    else:
        when = clock()
        if when.utcoffset() is None:
            raise ValidationError("The store's clock returned a naive datetime; use UTC.")
        now = to_epoch_us(when)
    return now if now > last else last


def check_target(stream_id: str, expected_version: int) -> None:
    """Refuse a stream id that is not a non-empty string, or an invalid expected version."""
    if type(stream_id) is not str or not stream_id:
        raise ValidationError(
            f"Stream id {stream_id!r} must be a non-empty string.", field="stream_id"
        )
    if type(expected_version) is not int or expected_version < ANY:
        check_expected_version(stream_id, expected_version)


def stream_target(
    streams: Mapping[str, list[RecordedEvent]], stream_id: str, expected_version: int, kind: str
) -> tuple[str, str, int]:
    """Check a batch's target; the stream's own id and type (a new stream takes the caller's,
    ``kind``), however the caller spells them, and its version."""
    check_target(stream_id, expected_version)
    stream = streams.get(stream_id)
    if stream is None:
        return stream_id, kind, 0
    first = stream[0]
    return first.stream_id, kind or first.stream_type, len(stream)


def check_version(stream_id: str, expected_version: int, current: int) -> None:
    """Refuse a batch for a stream at ``current`` when ``expected_version`` says otherwise."""
    if not version_matches(expected_version, current):
        raise ConcurrencyError(stream_id, describe_expected(expected_version), current)


def refuse_reused(stream_id: str, chosen: list[int], chosen_so_far: set[int]) -> None:
    """Refuse ids chosen by an earlier stream's batch of the same bulk append; note these."""
    reused = chosen_so_far.intersection(chosen)
    if reused:
        raise DuplicateEventIdError(
            stream_id,
            [uuid.UUID(int=i) for i in sorted(reused)],
            "also appear in another stream's batch of the same bulk append",
        )
    chosen_so_far.update(chosen)


def named_twice(stream_id: str) -> ValidationError:
    """The error for a stream named by two requests of one bulk append."""
    return ValidationError(
        f"Stream {stream_id!r} appears twice in one bulk append; "
        "put all its events in one request.",
        field="stream_id",
    )


class BatchBounds:
    """Where the store's batches of more than one event start and end, to find a batch again.

    A position in no such range is a batch of its own: most batches hold one event and cost
    nothing here.
    """

    __slots__ = ("_firsts", "_lasts")

    def __init__(self) -> None:
        self._firsts: list[int] = []
        self._lasts: list[int] = []

    def add(self, first: int, last: int) -> None:
        """Record a batch of positions ``first`` to ``last`` (after every batch recorded)."""
        self._firsts.append(first)
        self._lasts.append(last)

    def batch_at(self, log: Sequence[RecordedEvent], position: int) -> Sequence[RecordedEvent]:
        """The batch of ``log`` holding ``position``."""
        i = bisect_right(self._firsts, position) - 1
        if i >= 0 and self._lasts[i] >= position:
            return log[self._firsts[i] - 1 : self._lasts[i]]
        return log[position - 1 : position]


def retry_of(
    stream_id: str,
    chosen: list[int],
    by_id: Mapping[int, RecordedEvent],
    log: Sequence[RecordedEvent],
    bounds: BatchBounds,
) -> AppendResult | None:
    """The first result when the ``chosen`` ids are a stored batch, in order; None if all new.

    Raises ``DuplicateEventIdError`` when only some are stored, or not as one batch.
    """
    known = [by_id[i] for i in chosen if i in by_id]
    if not known:
        return None
    first = known[0]
    batch = bounds.batch_at(log, first.position)
    if (
        len(known) == len(chosen)
        and first.stream_id == stream_id
        and [e.event_id_int for e in batch] == chosen
    ):
        return result_of(batch)
    raise DuplicateEventIdError(
        stream_id,
        [e.event_id for e in known],
        f"were already stored by another batch (stream {first.stream_id!r}, "
        f"position {first.position}); a retry must repeat the whole batch in order",
    )


class BatchBuilder:
    """Turns checked events into envelopes; it holds only caches of its own.

    Those are: each event class's registered name, the shared metadata dicts (see
    :meth:`shared_metadata`) and an encoding buffer. Payloads are encoded into the buffer and
    copied out at their exact size (an encoder's own output keeps its spare capacity for as
    long as the event is stored): a builder serves one thread at a time, the one holding the
    store's append lock.
    """

    def __init__(self, event_registry: EventRegistry, metadata_fields: Sequence[str]) -> None:
        self._registry = event_registry
        self._envelope = envelope_type(event_registry)
        self._fields = tuple(metadata_fields)
        self._shared: dict[str | None, Any] = {}  # see shared_metadata
        self._type_names: dict[type[Event], str] = {}
        self._buffer = bytearray()
        # EventRegistry.encode is msgpack with default settings: encode into the buffer with
        # an encoder of our own, unless a registry subclass encodes differently
        own = type(event_registry).encode is EventRegistry.encode
        self._encode_into = msgspec.msgpack.Encoder().encode_into if own else None

    def build(
        self,
        request: AppendRequest,
        stream_id: str,
        stream_type: str,
        version: int,
        position: int,
        now: int,
    ) -> tuple[list[RecordedEvent], list[int]]:
        """Check a request's events and build their envelopes, from ``version``, ``position``.

        Returns the envelopes and the ids the ``NewEvent`` items chose (as integers).
        ``stream_id`` and ``stream_type`` are the stream's own; ``now`` is the batch's
        ``recorded_at_us``; a ``NewEvent``'s metadata is merged over the batch's. Raises
        ``ValidationError`` (or a subclass) for an empty batch, an item that is not an event,
        or an id chosen twice in the batch.
        """
        events, ids = request.events, (request.correlation_id, request.causation_id)
        if not events:
            raise EmptyBatchError(stream_id)
        base = self.shared_metadata(request.metadata)
        batch: list[RecordedEvent] = []
        chosen: list[int] = []
        for item in events:
            if isinstance(item, Event):
                data, event_id, meta = item, new_event_int(), base
            elif isinstance(item, NewEvent):
                data, event_id = item.data, item.event_id.int
                meta = (
                    base if not item.metadata else self.shared_metadata({**base, **item.metadata})
                )
                chosen.append(event_id)
            else:
                raise _not_an_event(stream_id, item)
            batch.append(
                self._envelope_of(
                    data, event_id, meta, stream_id, stream_type, version, position, now, ids
                )
            )
            position += 1
            version += 1
        if chosen and len(set(chosen)) != len(chosen):
            raise _chosen_twice(stream_id, chosen)
        return batch, chosen

    def build_event(
        self,
        event: Event,
        stream_id: str,
        stream_type: str,
        version: int,
        position: int,
        now: int,
        metadata: Mapping[str, str] | None,
        ids: tuple[str | None, str | None],
    ) -> RecordedEvent:
        """The envelope of a batch of one plain event (given a new id), as :meth:`build` does.

        ``ids`` are the batch's correlation and causation ids. Raises ``ValidationError`` for
        an unregistered event class.
        """
        meta = self.shared_metadata(metadata)
        return self._envelope_of(
            event, new_event_int(), meta, stream_id, stream_type, version, position, now, ids
        )

    def _envelope_of(
        self,
        data: Event,
        event_id: int,
        meta: Mapping[str, str],
        stream_id: str,
        stream_type: str,
        version: int,
        position: int,
        now: int,
        ids: tuple[str | None, str | None],
    ) -> RecordedEvent:
        """One envelope; ``ids`` are the batch's correlation and causation ids."""
        name = self._type_names.get(type(data)) or self._register(data)
        if self._encode_into is None:
            payload = self._registry.encode(data)
        else:  # encoded into the buffer, copied out at its exact size
            self._encode_into(data, self._buffer)
            payload = bytes(self._buffer)
        return self._envelope(
            position,
            version,
            stream_id,
            stream_type,
            name,
            event_id,
            now,
            ids[0],
            ids[1],
            meta,
            payload,
            data.schema_version,
        )

    def shared_metadata(self, metadata: Mapping[str, str] | None) -> Mapping[str, str]:
        """The store's own copy of ``metadata``, shared by every envelope with the same one.

        Metadata made of exactly the indexed fields repeats across many events: keeping one
        dict per distinct value saves a dict and its strings per event. Other metadata gets a
        private copy, so a caller changing its dict never changes the store.
        """
        if not metadata:
            return EMPTY_METADATA
        if len(metadata) != len(self._fields):
            return dict(metadata)
        # a tree with a level per field, keyed by its value: plain string lookups, cheaper
        # than hashing and comparing a key tuple per append
        node: Any = self._shared
        for field in self._fields:
            value = metadata.get(field)
            node = node.get(value) if type(value) is str else None
            if node is None:
                return self._share(metadata)
        shared: Mapping[str, str] = node
        return shared

    def _share(self, metadata: Mapping[str, str]) -> Mapping[str, str]:
        """Add ``metadata`` to the shared tree if it holds exactly the indexed fields."""
        values = [metadata.get(field) for field in self._fields]
        if not all(type(value) is str for value in values):  # another field, or not a string
            return dict(metadata)
        node: Any = self._shared
        for value in values[:-1]:
            node = node.setdefault(value, {})
        shared: dict[str, str] = node.setdefault(values[-1], dict(metadata))
        return shared

    def _register(self, event: Event) -> str:
        """The registered type name of an event class seen for the first time (or raise)."""
        name = self._type_names[type(event)] = self._registry.check(event)
        return name


def _not_an_event(stream_id: str, item: object) -> ValidationError:
    return ValidationError(
        f"Cannot append {type(item).__qualname__} to stream {stream_id!r}: "
        "events must be eventram.Event instances (or NewEvent wrapping one).",
        field="events",
    )


def _chosen_twice(stream_id: str, chosen: list[int]) -> DuplicateEventIdError:
    twice = sorted({i for i in chosen if chosen.count(i) > 1}, key=chosen.index)
    return DuplicateEventIdError(
        stream_id, [uuid.UUID(int=i) for i in twice], "appear more than once in that batch"
    )
