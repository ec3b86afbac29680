"""InMemoryEventStore: streams and a global log in memory, optionally journaled to disk.

Appends are serialised by one lock; each batch is journaled (when a journal is attached) before
it is inserted, and becomes visible to readers only when it is durable under the journal's
policy (see ``_visibility``). An append touches only the log, its stream and the event-id
index; the secondary indexes follow the visible log lazily, at the first read that needs them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime

from msgspec.structs import astuple

from eventram.codec import EventRegistry, registry
from eventram.envelope import RecordedEvent, envelope_type
from eventram.errors import ConcurrencyError, StoreClosedError, ValidationError
from eventram.messages import Event
from eventram.store.memory._batches import (
    BatchBounds,
    BatchBuilder,
    check_version,
    named_twice,
    next_time,
    refuse_reused,
    retry_of,
    stream_target,
    utc_now,
)
from eventram.store.memory._indexes import SecondaryIndexes
from eventram.store.memory._visibility import Visibility
from eventram.store.memory._windows import check_limit, stream_window, visible_prefix
from eventram.store.memory.subscription import Subscription
from eventram.store.ports import (
    ANY,
    AppendRequest,
    AppendResult,
    BulkResult,
    CommitListener,
    EventFilter,
    EventLike,
    EventQuery,
    Journal,
    result_of,
)

__all__ = ["InMemoryEventStore", "utc_now"]


class InMemoryEventStore:
    """The event store, held in memory, optionally journaled to disk.

    ``metadata_fields`` are the metadata keys the application searches by (``find``); events
    whose metadata is exactly those keys share one metadata dict per distinct value. ``clock``
    gives each batch its ``recorded_at``; the log stays time-ordered even if the clock steps
    back. ``event_registry`` encodes appended events and decodes every envelope's ``data``.
    """

    def __init__(
        self,
        *,
        metadata_fields: Sequence[str] = (),
        journal: Journal | None = None,
        clock: Callable[[], datetime] = utc_now,
        event_registry: EventRegistry = registry,
    ) -> None:
        self._lock = threading.Lock()
        self._journal = journal
        # constant per journal: whether a batch waits for its frame's sync before it shows
        self._journal_waits = journal is not None and journal.waits
        self._clock = clock
        self._envelope = envelope_type(event_registry)
        self._log: list[RecordedEvent] = []
        self._streams: dict[str, list[RecordedEvent]] = {}
        self._by_id: dict[int, RecordedEvent] = {}  # by event_id_int
        self._batches = BatchBounds()
        self._last_time = 0  # recorded_at_us of the last batch inserted
        self._visibility = Visibility()
        self._failure: BaseException | None = None
        self._closed = False
        self._builder = BatchBuilder(event_registry, metadata_fields)
        self._indexes = SecondaryIndexes(metadata_fields)

    @property
    def event_registry(self) -> EventRegistry:
        """The registry that encodes appended events and decodes stored ones."""
        return self._envelope.codec

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
        """Append a batch atomically if the stream is at ``expected_version``.

        Raises ``ConcurrencyError`` (nothing written) on a version mismatch; returns the first
        result again when the same event ids are appended again in the same order.
        """
        if len(events) == 1 and isinstance(events[0], Event):  # the common case: no request
            event, ids = events[0], (correlation_id, causation_id)
            with self._lock:
                if self._closed or self._failure is not None:
                    self._refuse_writes()
                now, position = next_time(self._clock, self._last_time), len(self._log) + 1
                stream_id, stream_type, current = stream_target(
                    self._streams, stream_id, expected_version, stream_type
                )
                batch = [
                    self._builder.build_event(
                        event, stream_id, stream_type, current + 1, position, now, metadata, ids
                    )
                ]
                check_version(stream_id, expected_version, current)
                ticket = self._write((batch,))
            if ticket is not None:
                self._commit(ticket, position)
            return result_of(batch)
        request = AppendRequest(
            stream_id=stream_id,
            events=events,
            expected_version=expected_version,
            stream_type=stream_type,
            metadata=metadata,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        with self._lock:
            if self._closed or self._failure is not None:
                self._refuse_writes()
            now, position = next_time(self._clock, self._last_time), len(self._log) + 1
            result, batch = self._prepare(request, now, position, None)
            if not batch:
                return result  # a retry: the batch is stored already
            ticket = self._write((batch,))
        if ticket is not None:
            self._commit(ticket, result.position)
        return result

    def append_many(self, requests: Sequence[AppendRequest]) -> BulkResult:
        """Append batches to many streams in one call: one journal frame, atomic per stream.

        A refused batch's error is in ``BulkResult.errors``; the others are appended."""
        results: dict[str, AppendResult] = {}
        errors: dict[str, Exception] = {}
        batches: list[list[RecordedEvent]] = []
        with self._lock:
            if self._closed or self._failure is not None:
                self._refuse_writes()
            now, position = next_time(self._clock, self._last_time), len(self._log) + 1
            chosen_so_far: set[int] = set()
            for request in requests:
                stream_id = request.stream_id
                try:
                    if stream_id in results or stream_id in errors:
                        raise named_twice(stream_id)
                    results[stream_id], batch = self._prepare(request, now, position, chosen_so_far)
                except (ConcurrencyError, ValidationError) as exc:
                    errors[stream_id] = exc
                    continue
                if batch:
                    batches.append(batch)
                    position += len(batch)
            ticket = self._write(batches) if batches else None
        if ticket is not None:
            self._commit(ticket, position - 1)
        return BulkResult(results, errors)

    def _prepare(
        self, request: AppendRequest, now: int, position: int, chosen_so_far: set[int] | None
    ) -> tuple[AppendResult, list[RecordedEvent]]:
        """Check one stream's batch and build it: its result, and its new events (none for a
        retry). ``chosen_so_far``: the ids chosen by the batches before it in a bulk append.
        Checked in order: stream id, expected version, events, retry, version."""
        stream_id, expected_version = request.stream_id, request.expected_version
        stream_id, stream_type, current = stream_target(
            self._streams, stream_id, expected_version, request.stream_type
        )
        events, version = request.events, current + 1
        if len(events) == 1 and isinstance(events[0], Event):  # the common case, as in append
            ids, meta = (request.correlation_id, request.causation_id), request.metadata
            event = self._builder.build_event(
                events[0], stream_id, stream_type, version, position, now, meta, ids
            )
            batch = [event]
        else:
            batch, chosen = self._builder.build(
                request, stream_id, stream_type, version, position, now
            )
            retried = self._retried(stream_id, chosen, chosen_so_far) if chosen else None
            if retried is not None:
                return retried, []
        check_version(stream_id, expected_version, current)
        return result_of(batch), batch

    def _retried(
        self, stream_id: str, chosen: list[int], chosen_so_far: set[int] | None
    ) -> AppendResult | None:
        """The first result if the ``chosen`` ids are a stored batch; else note them (bulk)."""
        retried = retry_of(stream_id, chosen, self._by_id, self._log, self._batches)
        if retried is None and chosen_so_far is not None:
            refuse_reused(stream_id, chosen, chosen_so_far)
        return retried

    def _refuse_writes(self) -> None:
        if self._closed:
            raise StoreClosedError("The event store is closed; open a new one to write.")
        raise StoreClosedError(
            f"The event store refuses writes after a durability failure ({self._failure}); "
            "fix the disk problem and restart the process to recover from the journal."
        ) from self._failure

    def _write(self, batches: Sequence[list[RecordedEvent]]) -> int | None:
        """Journal and insert batches (under the append lock), then show or queue them: None
        when shown at once, else the ticket that :meth:`_commit` waits for, after the lock."""
        ticket = self._journal.write(batches) if self._journal is not None else 0
        for batch in batches:
            self._insert(batch)
        if not self._visibility.defers(self._journal_waits):
            self._visibility.show(batches[-1][-1].position)
            return None
        self._visibility.queue(batches)
        return ticket

    def _insert(self, batch: list[RecordedEvent]) -> None:
        """Add a batch to the log, its stream and the id index (not yet visible to readers)."""
        first = batch[0]
        self._log.extend(batch)
        self._streams.setdefault(first.stream_id, []).extend(batch)
        by_id = self._by_id
        for event in batch:
            by_id[event.event_id_int] = event
        if len(batch) > 1:
            self._batches.add(first.position, batch[-1].position)
        self._last_time = first.recorded_at_us

    def _commit(self, ticket: int, position: int) -> None:
        """Wait for durability, then make every batch up to ``position`` visible."""
        if self._journal is not None and self._journal_waits:
            try:
                self._journal.wait_durable(ticket)
            except BaseException as exc:
                self._failure = exc
                raise
        self._visibility.publish(position)

    def restore(self, batches: Iterable[Sequence[RecordedEvent]]) -> int:
        """Load batches committed elsewhere, without checks, as this store's envelopes.

        Listeners hear of each batch. Returns the number of events loaded.
        """
        envelope, count = self._envelope, 0
        with self._lock:
            for events in batches:
                batch = [e if type(e) is envelope else envelope(*astuple(e)) for e in events]
                self._insert(batch)
                self._visibility.queue((batch,))
                count += len(batch)
        self._visibility.publish(len(self._log))
        self.catch_up_indexes()
        return count

    def restore_run(self, events: list[RecordedEvent], batches: Sequence[tuple[int, int]]) -> int:
        """Load committed events (this store's envelopes, in log order), without checks.

        For recovery, with nobody listening yet: ``batches`` gives the first and last positions
        of each batch of more than one event. Visible on return; returns how many were loaded.
        """
        if not events:
            return 0
        with self._lock:
            if type(events[0]) is not self._envelope or self._visibility.in_use():
                raise ValidationError(
                    "restore_run loads this store's envelopes (envelope_type(event_registry)) "
                    "into a store nobody follows yet; use restore(batches) otherwise.",
                    field="events",
                )
            self._log.extend(events)
            self._by_id.update({event.event_id_int: event for event in events})
            for first, last in batches:
                self._batches.add(first, last)
            streams = self._streams
            for event in events:
                streams.setdefault(event.stream_id, []).append(event)
            self._last_time = events[-1].recorded_at_us
            self._visibility.show(events[-1].position)
        return len(events)

    def catch_up_indexes(self) -> None:
        """Bring the secondary indexes up to date now, not at the first query (after a restore)."""
        self._indexes.catch_up(self._log, self._visibility.position)

    def add_listener(self, listener: CommitListener) -> None:
        """Call ``listener`` with each batch, in order, in the committing thread, once visible.

        It runs before ``append`` returns (inline projections' read-your-writes); a listener
        that raises is logged, never fails the append (wrap it, as ``EventBus`` does).
        """
        # under the append lock: an append that saw no listener shows its batch under it
        with self._lock:
            self._visibility.add_listener(listener)

    def subscribe(self, after_position: int = 0, filter: EventFilter | None = None) -> Subscription:
        """Catch up from ``after_position``, then follow new events live, in global order."""
        return Subscription(self, after_position, filter)

    def wait_for_change(self, position: int, timeout: float | None) -> bool:
        """Block until the visible position passes ``position`` (or the store closes)."""
        return self._visibility.wait_past(position, timeout)

    def wake(self) -> None:
        """Wake every thread waiting in :meth:`wait_for_change` (e.g. a closing subscription)."""
        self._visibility.wake()

    def close(self) -> None:
        """Refuse further writes, close the journal (if any) and wake every waiting subscriber."""
        with self._lock:  # no journal write is in progress once the lock is ours
            self._closed = True
        if self._journal is not None:
            self._journal.close()
        self._visibility.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def last_position(self) -> int:
        """The highest visible global position (0 when empty)."""
        return self._visibility.position

    __len__ = last_position

    def stream_version(self, stream_id: str) -> int:
        """The current visible version of a stream (0 when it does not exist)."""
        events = self._streams.get(stream_id, _NO_EVENTS)
        return len(visible_prefix(events, self._visibility.position))

    def stream_ids(self) -> list[str]:
        """Every stream id with at least one visible event."""
        visible = self._visibility.position
        return [s for s, events in list(self._streams.items()) if events[0].position <= visible]

    def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        limit: int | None = None,
        *,
        backwards: bool = False,
    ) -> list[RecordedEvent]:
        """Events of one stream from ``from_version`` up (or down from it when ``backwards``).

        A missing stream reads as empty. ``backwards`` with ``from_version`` <= 0 starts at the
        end of the stream.
        """
        check_limit(limit)
        events = self._streams.get(stream_id, _NO_EVENTS)
        visible = visible_prefix(events, self._visibility.position)
        return stream_window(visible, from_version, limit, backwards)

    def read_all(
        self, after_position: int = 0, limit: int | None = None, filter: EventFilter | None = None
    ) -> list[RecordedEvent]:
        """Visible events after ``after_position``, in global order, optionally filtered."""
        check_limit(limit)
        if filter is not None and (filter.event_types or filter.stream_types):
            return self.find(filter.query(after_position, limit))
        visible = self._visibility.position
        start = max(after_position, 0)
        stop = visible if limit is None else min(visible, start + limit)
        return self._log[start:stop]

    def get_event(self, event_id: uuid.UUID) -> RecordedEvent | None:
        """The visible event with this id, if any."""
        event = self._by_id.get(event_id.int) if isinstance(event_id, uuid.UUID) else None
        return event if event is not None and event.position <= self._visibility.position else None

    def find(self, query: EventQuery) -> list[RecordedEvent]:
        """Events matching ``query``, in global order, up to its limit (page by position)."""
        check_limit(query.limit)
        return list(self._indexes.search(self._log, self._visibility.position, query, query.limit))

    def count(self, query: EventQuery) -> int:
        """How many events :meth:`find` would return without a limit."""
        matches = self._indexes.search(self._log, self._visibility.position, query, None)
        return sum(1 for _ in matches)


_NO_EVENTS: list[RecordedEvent] = []
