"""The append path before insertion: one stream's batch checked and turned into envelopes.

``InMemoryEventStore`` calls :meth:`BatchBuilder.prepare` under its append lock, once per stream
of an ``append`` or ``append_many``: the builder checks the stream id, the expected version and
the events, recognises a retried batch (the same event ids in the same order), and builds the
``RecordedEvent`` envelopes at the global positions the store gives it. It reads the store's log,
streams and id index but never changes them; the store inserts what the builder returns.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from operator import itemgetter

from eventram.codec import EventRegistry
from eventram.envelope import NewEvent, RecordedEvent, new_event_int, uuid_of
from eventram.errors import (
    ConcurrencyError,
    DuplicateEventIdError,
    EmptyBatchError,
    ValidationError,
)
from eventram.messages import Event
from eventram.store.base import (
    ANY,
    AppendResult,
    EventLike,
    check_expected_version,
    describe_expected,
    version_matches,
)

__all__ = ["BatchBuilder", "result_of"]

_EMPTY_META: Mapping[str, str] = {}


class BatchBuilder:
    """Checks one stream's batch against what the store holds and builds its envelopes.

    The log, streams, id index and batch boundaries are the store's own containers, shared,
    read here only. ``metadata_fields`` are the store's indexed metadata keys: metadata made of
    exactly those is shared between envelopes (see :meth:`shared_metadata`).
    """

    def __init__(
        self,
        *,
        log: list[RecordedEvent],
        streams: dict[str, list[RecordedEvent]],
        by_id: dict[int, RecordedEvent],
        batch_firsts: list[int],
        batch_lasts: list[int],
        metadata_fields: Sequence[str],
        event_registry: EventRegistry,
    ) -> None:
        self._log = log
        self._streams = streams
        self._by_id = by_id
        self._batch_firsts = batch_firsts
        self._batch_lasts = batch_lasts
        self._metadata_fields = tuple(metadata_fields)
        self._metadata_cache: dict[object, Mapping[str, str]] = {}
        self._metadata_key = itemgetter(*self._metadata_fields) if self._metadata_fields else len
        self._type_names: dict[type[Event], str] = {}
        self._registry = event_registry

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

        ``now`` is the batch's ``recorded_at_us``. Returns the envelopes, or the first result
        when the batch is a retry of one already stored. In a bulk append, ``seen_ids`` holds
        the caller-chosen ids (as integers) of the batches before this one: reusing one of them
        is refused.
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
        known = self._type_names  # event classes already checked: skip the slow isinstance
        for item in events:
            if type(item) in known:
                continue
            if isinstance(item, NewEvent):
                caller_ids = True
            elif not isinstance(item, Event):
                raise ValidationError(
                    f"Cannot append {type(item).__qualname__} to stream {stream_id!r}: "
                    "events must be eventram.Event instances (or NewEvent wrapping one).",
                    field="events",
                )
        if caller_ids:
            return self._prepare_with_ids(
                stream_id,
                events,
                expected_version,
                stream_type,
                metadata,
                correlation_id,
                causation_id,
                now,
                position,
                seen_ids,
            )
        stream = self._streams.get(stream_id)
        current = len(stream) if stream is not None else 0
        if expected_version != current and not version_matches(expected_version, current):
            raise ConcurrencyError(stream_id, describe_expected(expected_version), current)
        if stream:
            stream_id = stream[0].stream_id  # one string per stream, however callers spell it
            if not stream_type:
                stream_type = stream[0].stream_type
        base_meta = self.shared_metadata(metadata)
        name_of, encode = self._type_name, self._registry.encode
        if len(events) == 1:  # the usual batch: one command, one event
            data: Event = events[0]  # type: ignore[assignment]  # checked above
            return [
                RecordedEvent(
                    position,
                    current + 1,
                    stream_id,
                    stream_type,
                    name_of(data),
                    new_event_int(),
                    now,
                    correlation_id,
                    causation_id,
                    base_meta,
                    encode(data),
                    data.schema_version,
                )
            ]
        version = current + 1
        new_id = new_event_int
        plain: Sequence[Event] = events  # type: ignore[assignment]  # checked above
        return [
            RecordedEvent(
                position + offset,
                version + offset,
                stream_id,
                stream_type,
                name_of(data),
                new_id(),
                now,
                correlation_id,
                causation_id,
                base_meta,
                encode(data),
                data.schema_version,
            )
            for offset, data in enumerate(plain)
        ]

    def _prepare_with_ids(
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
        seen_ids: set[int] | None,
    ) -> list[RecordedEvent] | AppendResult:
        """``_prepare`` for a batch with caller-chosen ids: duplicates and retries are checked."""
        ids, datas, metas = self._unpack(stream_id, events)
        replay = self._replayed(stream_id, ids)
        if replay is not None:
            return replay
        stream = self._streams.get(stream_id)
        current = len(stream) if stream is not None else 0
        if not version_matches(expected_version, current):
            raise ConcurrencyError(stream_id, describe_expected(expected_version), current)
        if stream:
            stream_id = stream[0].stream_id
            if not stream_type:
                stream_type = stream[0].stream_type
        base_meta = self.shared_metadata(metadata)
        name_of, encode = self._type_name, self._registry.encode
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
        if seen_ids is not None:
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
        name = self._type_names.get(cls)
        if name is None:
            name = self._registry.check(event)  # registers the class, or raises
            self._type_names[cls] = name
        return name

    def shared_metadata(self, metadata: Mapping[str, str] | None) -> Mapping[str, str]:
        """The store's own copy of ``metadata``, shared by every envelope with the same one.

        Metadata made of the indexed fields (organization, user) repeats across many events:
        keeping one dict per distinct value saves a dict and its strings per event. Other
        metadata gets a private copy, so a caller changing its dict never changes the store.
        """
        if not metadata:
            return _EMPTY_META
        fields = self._metadata_fields
        if len(metadata) != len(fields) or not fields:
            return dict(metadata)
        try:
            key = self._metadata_key(metadata)  # the indexed fields' values, in order
            shared = self._metadata_cache.get(key)
        except (KeyError, TypeError):  # another field, or an unhashable value
            return dict(metadata)
        if shared is None:
            shared = self._metadata_cache[key] = dict(metadata)
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


def result_of(batch: Sequence[RecordedEvent]) -> AppendResult:
    """What appending ``batch`` did (its stream, versions and positions)."""
    first, last = batch[0], batch[-1]
    return AppendResult(first.stream_id, first.version, last.version, first.position, last.position)
