"""The append path before insertion: one stream's batch checked and turned into envelopes.

``InMemoryEventStore`` calls :meth:`BatchBuilder.prepare` under its append lock, once per stream
of an ``append`` or ``append_many``: the builder checks the stream id, the expected version and
the events, recognises a retried batch (the same event ids in the same order), and builds the
``RecordedEvent`` envelopes at the global positions the store gives it. It reads the store's log,
streams and id index but never changes them; the store inserts what the builder returns.

Most batches are one event of a class already seen, without a caller-chosen id: ``prepare``
builds those on the short path (``store/_short_path.py``); everything else (several events,
``NewEvent``, a class seen for the first time, bad input) goes through the general one here.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from eventram.codec import EventRegistry
from eventram.envelope import NewEvent, RecordedEvent, new_event_int, uuid_of
from eventram.errors import (
    ConcurrencyError,
    DuplicateEventIdError,
    EmptyBatchError,
    ValidationError,
)
from eventram.messages import Event
from eventram.store._short_path import (
    EMPTY_META,
    Bulk,
    OneEvent,
    Stream,
    one_event_path,
    prepare_many,
    result_of,
    stream_events,
)
from eventram.store.base import (
    ANY,
    AppendRequest,
    AppendResult,
    EventLike,
    check_expected_version,
    describe_expected,
    version_matches,
)

__all__ = ["BatchBuilder"]


class BatchBuilder:
    """Checks one stream's batch against what the store holds and builds its envelopes.

    The log, streams, id index and batch boundaries are the store's own containers, shared,
    read here only. ``metadata_fields`` are the store's indexed metadata keys: metadata made of
    exactly those is shared between envelopes (see :meth:`shared_metadata`). Payloads are
    encoded into a buffer and copied out at their exact size (an encoder's own output keeps
    its spare capacity for as long as the event is stored): a builder serves one thread at a
    time, the one holding the store's append lock.
    """

    def __init__(
        self,
        *,
        log: list[RecordedEvent],
        streams: dict[str, Stream],
        by_id: dict[int, RecordedEvent],
        batch_firsts: list[int],
        batch_lasts: list[int],
        metadata_fields: Sequence[str],
        event_registry: EventRegistry,
    ) -> None:
        self._log = log
        self.streams = streams
        self._by_id = by_id
        self._batch_firsts = batch_firsts
        self._batch_lasts = batch_lasts
        self._metadata_fields = tuple(metadata_fields)
        self.pair_fields = self._metadata_fields if len(self._metadata_fields) == 2 else None
        """The two indexed fields, when there are two (the default): the short path's lookup."""
        self.metadata_cache: dict[object, Any] = {}
        """Shared metadata by the indexed fields' values, a level per field: with the default
        fields, ``metadata_cache[organization][user]`` (no key tuple to build per append)."""
        self.type_names: dict[type[Event], str] = {}
        """Registered type name by event class, for the classes already appended."""
        self._registry = event_registry
        self.buffer = bytearray()
        # EventRegistry.encode is msgpack with default settings: encode into the buffer with
        # an encoder of our own, unless a registry subclass encodes differently
        own = type(event_registry).encode is EventRegistry.encode
        self.encode_into = msgspec.msgpack.Encoder().encode_into if own else None
        self.one: OneEvent = one_event_path(self)
        """Build the envelope of a batch of one plain event on the short path, if it is one."""

    def encode(self, event: Event) -> bytes:
        """The event's payload, at its exact size."""
        if self.encode_into is None:
            return self._registry.encode(event)
        self.encode_into(event, self.buffer)
        return bytes(self.buffer)

    def prepare_many(self, requests: Sequence[AppendRequest], now: int, position: int) -> Bulk:
        """:meth:`prepare` each stream's batch of a bulk append, from global ``position`` on."""
        return prepare_many(self, requests, now, position)

    def prepare(
        self,
        stream_id: str,
        events: Sequence[EventLike],
        expected_version: int,
        stream_type: str,
        metadata: Mapping[str, str] | None,
        correlation_id: str | None,
        causation_id: str | None,
        now: int,
        position: int,
        seen_ids: set[int] | None = None,
    ) -> list[RecordedEvent] | AppendResult:
        """Check one stream's batch and build its envelopes, starting at global ``position``.

        The general path, for any batch: every check, caller-chosen ids, first-seen classes
        (:attr:`one` is the short path of a plain event; try it first). ``now`` is the batch's
        ``recorded_at_us``. Returns the envelopes, or the first result when the batch is a
        retry of one already stored. In a bulk append, ``seen_ids`` holds the caller-chosen ids
        (as integers) of the batches before this one: reusing one of them is refused.
        """
        if not isinstance(stream_id, str) or not stream_id:
            raise ValidationError(
                f"Stream id {stream_id!r} must be a non-empty string.", field="stream_id"
            )
        if type(expected_version) is not int or expected_version < ANY:
            check_expected_version(stream_id, expected_version)  # raises
        if not events:
            raise EmptyBatchError(stream_id)
        caller_ids = False
        for item in events:
            if isinstance(item, NewEvent):
                caller_ids = True
            elif not isinstance(item, Event):
                raise ValidationError(
                    f"Cannot append {type(item).__qualname__} to stream {stream_id!r}: "
                    "events must be eventram.Event instances (or NewEvent wrapping one).",
                    field="events",
                )
        ids, datas, metas = self._unpack(stream_id, events)
        if caller_ids:
            replay = self._replayed(stream_id, ids)
            if replay is not None:
                return replay
        stream = self.streams.get(stream_id)
        current = 0 if stream is None else len(stream_events(stream))
        if not version_matches(expected_version, current):
            raise ConcurrencyError(stream_id, describe_expected(expected_version), current)
        if stream is not None:
            first = stream_events(stream)[0]
            stream_id = first.stream_id
            if not stream_type:
                stream_type = first.stream_type
        base_meta = self.shared_metadata(metadata)
        name_of, encode = self._type_name, self.encode
        version = current + 1
        batch = [
            RecordedEvent(
                position + offset,
                version + offset,
                stream_id,
                stream_type,
                name_of(data),
                event_id,
                now,
                correlation_id,
                causation_id,
                base_meta if meta is None else self.shared_metadata({**base_meta, **meta}),
                encode(data),
                data.schema_version,
            )
            for offset, (event_id, data, meta) in enumerate(zip(ids, datas, metas, strict=True))
        ]
        if caller_ids and seen_ids is not None:
            clash = seen_ids.intersection(ids)
            if clash:
                raise DuplicateEventIdError(
                    stream_id,
                    [uuid_of(i) for i in sorted(clash)],
                    "also appear in another stream's batch of the same bulk append",
                )
            seen_ids.update(ids)
        return batch

    def _type_name(self, event: Event) -> str:
        """The registered type name of an event (the registry's check, memoised per class)."""
        cls = type(event)
        name = self.type_names.get(cls)
        if name is None:
            name = self._registry.check(event)  # registers the class, or raises
            self.type_names[cls] = name
        return name

    def shared_metadata(self, metadata: Mapping[str, str] | None) -> Mapping[str, str]:
        """The store's own copy of ``metadata``, shared by every envelope with the same one.

        Metadata made of the indexed fields (organization, user) repeats across many events:
        keeping one dict per distinct value saves a dict and its strings per event. Other
        metadata gets a private copy, so a caller changing its dict never changes the store.
        """
        if not metadata:
            return EMPTY_META
        fields = self._metadata_fields
        if len(metadata) != len(fields) or not fields:
            return dict(metadata)
        node: dict[object, Any] = self.metadata_cache
        try:
            for field in fields[:-1]:
                node = node.setdefault(metadata[field], {})
            value = metadata[fields[-1]]
            shared: Mapping[str, str] | None = node.get(value)
        except (KeyError, TypeError):  # another field, or an unhashable value
            return dict(metadata)
        if shared is None:
            shared = node[value] = dict(metadata)
        return shared

    def _unpack(
        self, stream_id: str, events: Sequence[EventLike]
    ) -> tuple[list[int], list[Event], list[Mapping[str, str] | None]]:
        ids: list[int] = []
        datas: list[Event] = []
        metas: list[Mapping[str, str] | None] = []
        for item in events:
            if isinstance(item, NewEvent):
                ids.append(item.event_id.int)
                datas.append(item.data)
                metas.append(item.metadata)
            else:
                ids.append(new_event_int())
                datas.append(item)
                metas.append(None)
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1}, key=ids.index)
            raise DuplicateEventIdError(
                stream_id, [uuid_of(i) for i in dupes], "appear more than once in that batch"
            )
        return ids, datas, metas

    def _replayed(self, stream_id: str, ids: list[int]) -> AppendResult | None:
        by_id = self._by_id
        known = [by_id[i] for i in ids if i in by_id]
        if not known:
            return None
        first = known[0]
        batch = self._batch_of(first.position)
        if (
            len(known) == len(ids)
            and first.stream_id == stream_id
            and [e.event_id_int for e in batch] == ids
        ):
            return result_of(batch)
        raise DuplicateEventIdError(
            stream_id,
            [e.event_id for e in known],
            f"were already stored by another batch (stream {first.stream_id!r}, "
            f"position {first.position}); a retry must repeat the whole batch in order",
        )

    def _batch_of(self, position: int) -> list[RecordedEvent]:
        i = bisect_right(self._batch_firsts, position) - 1
        if i >= 0 and self._batch_lasts[i] >= position:
            return self._log[self._batch_firsts[i] - 1 : self._batch_lasts[i]]
        return [self._log[position - 1]]
