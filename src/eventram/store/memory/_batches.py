"""Building a batch: one stream's proposed events checked and turned into envelopes.

The store calls these under its append lock and gives them what they need (the stream as it
stands, the global position, the batch's time); they read nothing else of the store and change
nothing of it: the store inserts what they return.
"""

from __future__ import annotations

import uuid
from bisect import bisect_right
from collections.abc import Mapping, Sequence

import msgspec

from eventram.codec import EventRegistry
from eventram.envelope import NewEvent, RecordedEvent, envelope_type, new_event_int
from eventram.errors import DuplicateEventIdError, EmptyBatchError, ValidationError
from eventram.messages import Event
from eventram.store.ports import (
    ANY,
    AppendRequest,
    AppendResult,
    EventLike,
    check_expected_version,
    result_of,
)

__all__ = ["EMPTY_METADATA", "BatchBounds", "BatchBuilder", "caller_ids", "retry_of"]

EMPTY_METADATA: Mapping[str, str] = {}
"""The metadata of every envelope appended without any."""


def caller_ids(stream_id: str, events: Sequence[EventLike], expected_version: int) -> list[int]:
    """Check a proposed batch; return the ids its ``NewEvent`` items chose (as integers).

    Raises ``ValidationError`` (or a subclass) for a bad stream id, expected version, an empty
    batch, an item that is not an event, or an id chosen twice in the batch.
    """
    if type(stream_id) is not str or not stream_id:
        raise ValidationError(
            f"Stream id {stream_id!r} must be a non-empty string.", field="stream_id"
        )
    if type(expected_version) is not int or expected_version < ANY:
        check_expected_version(stream_id, expected_version)
    if not events:
        raise EmptyBatchError(stream_id)
    chosen: list[int] = []
    for item in events:
        if isinstance(item, NewEvent):
            chosen.append(item.event_id.int)
        elif not isinstance(item, Event):
            raise ValidationError(
                f"Cannot append {type(item).__qualname__} to stream {stream_id!r}: "
                "events must be eventram.Event instances (or NewEvent wrapping one).",
                field="events",
            )
    if len(set(chosen)) != len(chosen):
        twice = sorted({i for i in chosen if chosen.count(i) > 1}, key=chosen.index)
        raise DuplicateEventIdError(
            stream_id, [uuid.UUID(int=i) for i in twice], "appear more than once in that batch"
        )
    return chosen


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
        self._shared: dict[tuple[str | None, ...], Mapping[str, str]] = {}
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
    ) -> list[RecordedEvent]:
        """The envelopes of a checked request's events, the first at ``version``, ``position``.

        ``stream_id`` and ``stream_type`` are the stream's own; ``now`` is the batch's
        ``recorded_at_us``; a ``NewEvent``'s metadata is merged over the request's.
        """
        correlation_id, causation_id = request.correlation_id, request.causation_id
        envelope, name_of, payload_of = self._envelope, self._type_name, self._payload
        base = self.shared_metadata(request.metadata)
        batch: list[RecordedEvent] = []
        for offset, item in enumerate(request.events):
            if isinstance(item, NewEvent):
                data, event_id = item.data, item.event_id.int
                meta = (
                    base
                    if item.metadata is None
                    else self.shared_metadata({**base, **item.metadata})
                )
            else:
                data, event_id, meta = item, new_event_int(), base
            batch.append(
                envelope(
                    position + offset,
                    version + offset,
                    stream_id,
                    stream_type,
                    name_of(data),
                    event_id,
                    now,
                    correlation_id,
                    causation_id,
                    meta,
                    payload_of(data),
                    data.schema_version,
                )
            )
        return batch

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
        key = tuple(map(metadata.get, self._fields))
        if not all(type(value) is str for value in key):  # another field, or not a string
            return dict(metadata)
        shared = self._shared.get(key)
        if shared is None:
            shared = self._shared[key] = dict(metadata)
        return shared

    def _type_name(self, event: Event) -> str:
        """The registered type name of an event (the registry's check, memoised per class)."""
        name = self._type_names.get(type(event))
        if name is None:
            name = self._type_names[type(event)] = self._registry.check(event)
        return name

    def _payload(self, event: Event) -> bytes:
        """The event's encoded fields, at their exact size."""
        if self._encode_into is None:
            return self._registry.encode(event)
        self._encode_into(event, self._buffer)
        return bytes(self._buffer)
