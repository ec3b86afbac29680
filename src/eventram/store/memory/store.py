"""InMemoryEventStore: streams and a global log in memory, optionally journaled to disk.

Appends are serialised by one lock; each batch is journaled (when a journal is attached) before
it is inserted, and becomes visible to readers only when it is durable under the journal's
policy. Readers bound every read by the visible watermark, so they never see half a batch.

An append touches only the log, its stream and the event-id index. The secondary indexes
(event type, stream type, correlation/causation, metadata) follow the visible log lazily: the
first reader that needs them indexes what became visible since the last one, in one pass.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial

from msgspec.structs import astuple

from eventram.codec import EventRegistry, registry
from eventram.envelope import RecordedEvent, envelope_type, to_epoch_us
from eventram.errors import (
    ConcurrencyError,
    DuplicateEventIdError,
    StoreClosedError,
    ValidationError,
)
from eventram.store.counters import EventStatistics
from eventram.store.memory._batches import BatchBounds, BatchBuilder, retry_of
from eventram.store.memory._counters_legacy import LegacyCounters
from eventram.store.memory._indexes import SecondaryIndexes
from eventram.store.memory._visibility import Visibility
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
    check_expected_version,
    describe_expected,
    result_of,
    version_matches,
)

__all__ = ["InMemoryEventStore", "utc_now"]

_logger = logging.getLogger("eventram.store")

utc_now: Callable[[], datetime] = partial(datetime.now, UTC)
"""The current time in UTC."""


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
        self._registry = event_registry
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
        self._legacy_counters = LegacyCounters(metadata_fields)

    @property
    def event_registry(self) -> EventRegistry:
        """The registry that encodes appended events and decodes stored ones."""
        return self._registry

    # -- writing ---------------------------------------------------------------------------

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
        with self._lock:
            if self._closed or self._failure is not None:
                self._refuse_writes()
            result, batch = self._prepare(
                stream_id,
                events,
                expected_version,
                stream_type,
                metadata,
                correlation_id,
                causation_id,
                self._next_time(),
                len(self._log) + 1,
                None,
            )
            if not batch:
                return result  # a retry: the batch is stored already
            ticket = self._journal.write((batch,)) if self._journal is not None else 0
            self._insert(batch)
            if not self._visibility.defers(self._journal_waits):
                self._visibility.show(result.position)  # nobody to wait for, nobody to tell
                return result
            self._visibility.queue((batch,))
        self._commit(ticket, result.position)
        return result

    def append_many(self, requests: Sequence[AppendRequest]) -> BulkResult:
        """Append batches to many streams in one call: one journal frame, atomic per stream.

        A stream whose batch is refused (version, duplicate ids, bad input) gets its error in
        ``BulkResult.errors``; the other streams' batches are appended.
        """
        results: dict[str, AppendResult] = {}
        errors: dict[str, Exception] = {}
        batches: list[list[RecordedEvent]] = []
        with self._lock:
            if self._closed or self._failure is not None:
                self._refuse_writes()
            now, position = self._next_time(), len(self._log) + 1
            chosen_so_far: set[int] = set()
            for request in requests:
                stream_id = request.stream_id
                try:
                    if stream_id in results or stream_id in errors:
                        raise ValidationError(
                            f"Stream {stream_id!r} appears twice in one bulk append; "
                            "put all its events in one request.",
                            field="stream_id",
                        )
                    results[stream_id], batch = self._prepare(
                        stream_id,
                        request.events,
                        request.expected_version,
                        request.stream_type,
                        request.metadata,
                        request.correlation_id,
                        request.causation_id,
                        now,
                        position,
                        chosen_so_far,
                    )
                except (ConcurrencyError, ValidationError) as exc:
                    errors[stream_id] = exc
                    continue
                if batch:
                    batches.append(batch)
                    position += len(batch)
            if not batches:
                return BulkResult(results, errors)
            ticket = self._journal.write(batches) if self._journal is not None else 0
            for batch in batches:
                self._insert(batch)
            if not self._visibility.defers(self._journal_waits):
                self._visibility.show(position - 1)
                return BulkResult(results, errors)
            self._visibility.queue(batches)
        self._commit(ticket, position - 1)
        return BulkResult(results, errors)

    def _prepare(
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
        chosen_so_far: set[int] | None,
    ) -> tuple[AppendResult, list[RecordedEvent]]:
        """Check one stream's batch and build its envelopes: its result, and its new events.

        A retried batch (its ids stored already, in order) has its first result and no new
        events. In a bulk append, ``chosen_so_far`` holds the ids chosen by the batches before
        this one: reusing one is refused. ``now`` is the batch's ``recorded_at_us``.
        The checks come in this order: stream id, expected version, events, retry, version.
        """
        if type(stream_id) is not str or not stream_id:
            raise ValidationError(
                f"Stream id {stream_id!r} must be a non-empty string.", field="stream_id"
            )
        if type(expected_version) is not int or expected_version < ANY:
            check_expected_version(stream_id, expected_version)
        stream = self._streams.get(stream_id, _NO_EVENTS)
        current = len(stream)
        if stream:  # the stream's own strings, however the caller spells them
            stream_id, stream_type = stream[0].stream_id, stream_type or stream[0].stream_type
        batch, chosen = self._builder.build(
            stream_id,
            stream_type,
            current + 1,
            position,
            now,
            events,
            metadata,
            correlation_id,
            causation_id,
        )
        if chosen:
            retried = retry_of(stream_id, chosen, self._by_id, self._log, self._batches)
            if retried is not None:
                return retried, []
            if chosen_so_far is not None:
                _refuse_reused(stream_id, chosen, chosen_so_far)
                chosen_so_far.update(chosen)
        if not version_matches(expected_version, current):
            raise ConcurrencyError(stream_id, describe_expected(expected_version), current)
        return result_of(batch), batch

    def _refuse_writes(self) -> None:
        if self._closed:
            raise StoreClosedError("The event store is closed; open a new one to write.")
        if self._failure is not None:
            raise StoreClosedError(
                f"The event store refuses writes after a durability failure ({self._failure}); "
                "fix the disk problem and restart the process to recover from the journal."
            ) from self._failure

    def _next_time(self) -> int:
        """The next batch's ``recorded_at_us``: the clock's time, or the last batch's if later."""
        if self._clock is utc_now:  # the default clock, read without building a datetime
            now = _time_ns() // 1000
        else:
            when = self._clock()
            if when.utcoffset() is None:
                raise ValidationError("The store's clock returned a naive datetime; use UTC.")
            now = to_epoch_us(when)
        # keep the log time-ordered so time ranges can bisect it
        return now if now > self._last_time else self._last_time

    def _insert(self, batch: list[RecordedEvent]) -> None:
        """Add a batch to the log, its stream and the id index (not yet visible to readers)."""
        first = batch[0]
        self._log.extend(batch)
        stream = self._streams.get(first.stream_id)
        if stream is None:
            self._streams[first.stream_id] = batch.copy()
        else:
            stream.extend(batch)
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

    # -- restoring (recovery) --------------------------------------------------------------

    def restore(self, batches: Iterable[Sequence[RecordedEvent]]) -> int:
        """Load batches already committed elsewhere (a journal, a snapshot), without checks.

        Each event becomes this store's envelope (decoded by its registry); listeners hear of
        each batch. Returns the number of events loaded.
        """
        envelope = self._envelope
        count = 0
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
        """Load committed events given as the log holds them, in order, without checks.

        ``batches`` gives the first and last positions of each batch of more than one event;
        every other event is a batch of its own. The events are built as this store's
        envelopes (``envelope_type(event_registry)``). For recovery, before the store is shared:
        a store with listeners refuses (use :meth:`restore`, which tells them). The events are
        visible on return; the secondary indexes follow lazily (or call
        :meth:`catch_up_indexes`). Returns how many events were loaded.
        """
        if not events:
            return 0
        if type(events[0]) is not self._envelope:
            raise ValidationError(
                "restore_run takes this store's envelopes (envelope_type(store.event_registry)).",
                field="events",
            )
        with self._lock:
            if self._visibility.in_use():
                raise ValidationError(
                    "restore_run loads a journal into a store nobody follows yet; "
                    "use restore(batches) on a store with listeners.",
                    field="events",
                )
            self._log.extend(events)
            self._by_id.update({event.event_id_int: event for event in events})
            for first, last in batches:
                self._batches.add(first, last)
            streams = self._streams
            for event in events:
                stream = streams.get(event.stream_id)
                if stream is None:
                    streams[event.stream_id] = [event]
                else:
                    stream.append(event)
            self._last_time = events[-1].recorded_at_us
            self._visibility.show(events[-1].position)
        return len(events)

    def catch_up_indexes(self) -> None:
        """Bring the secondary indexes up to date now (they otherwise follow lazily).

        After a large restore, so that the first query does not pay for indexing everything.
        """
        self._indexes.catch_up(self._log, self._visibility.position)

    # -- listening, following, closing -----------------------------------------------------

    def add_listener(self, listener: CommitListener) -> None:
        """Call ``listener`` with each batch, in order, in the committing thread, once visible.

        A listener runs before ``append`` returns (this is how inline projections give
        read-your-writes); it must not raise: wrap it (see ``EventBus``) to isolate failures.
        """
        # under the append lock: an append that saw no listener shows its batch under it
        with self._lock:
            self._visibility.add_listener(listener)

    def subscribe(self, after_position: int = 0, filter: EventFilter | None = None) -> Subscription:
        """Catch up from ``after_position``, then follow new events live, in global order.

        The subscription pulls at its own pace: a slow consumer lags but never blocks appends,
        and its ``position`` says where it is, so it can resume after a failure.
        """
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

    # -- reading ---------------------------------------------------------------------------

    def last_position(self) -> int:
        """The highest visible global position (0 when empty)."""
        return self._visibility.position

    def __len__(self) -> int:
        return self._visibility.position

    def stream_version(self, stream_id: str) -> int:
        """The current visible version of a stream (0 when it does not exist)."""
        return len(self._visible_stream(stream_id))

    def stream_ids(self) -> list[str]:
        """Every stream id with at least one visible event."""
        visible = self._visibility.position
        streams = list(self._streams.items())
        return [stream_id for stream_id, events in streams if events[0].position <= visible]

    def _visible_stream(self, stream_id: str) -> list[RecordedEvent]:
        """A stream's visible events: all of them, or a copy without those not yet visible."""
        events = self._streams.get(stream_id, _NO_EVENTS)
        if not events or events[-1].position <= self._visibility.position:
            return events
        end, visible = len(events), self._visibility.position
        while end and events[end - 1].position > visible:
            end -= 1
        return events[:end]

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
        _check_limit(limit)
        events = self._visible_stream(stream_id)
        if backwards:
            top = len(events) if from_version <= 0 else min(from_version, len(events))
            chosen = events[top - 1 :: -1] if top > 0 else []
            return chosen if limit is None else chosen[:limit]
        start = max(from_version, 1) - 1
        stop = len(events) if limit is None else min(len(events), start + limit)
        return events[start:stop]

    def read_all(
        self, after_position: int = 0, limit: int | None = None, filter: EventFilter | None = None
    ) -> list[RecordedEvent]:
        """Visible events after ``after_position``, in global order, optionally filtered."""
        _check_limit(limit)
        if filter is not None and (filter.event_types or filter.stream_types):
            return self.find(
                EventQuery(
                    event_types=sorted(filter.event_types) if filter.event_types else None,
                    stream_types=sorted(filter.stream_types) if filter.stream_types else None,
                    after_position=after_position,
                    limit=limit,
                )
            )
        visible = self._visibility.position
        start = max(after_position, 0)
        stop = visible if limit is None else min(visible, start + limit)
        return self._log[start:stop]

    def get_event(self, event_id: uuid.UUID) -> RecordedEvent | None:
        """The visible event with this id, if any."""
        event = self._by_id.get(event_id.int) if isinstance(event_id, uuid.UUID) else None
        return event if event is not None and event.position <= self._visibility.position else None

    def find(self, query: EventQuery) -> list[RecordedEvent]:
        """Events matching every criterion of ``query``, in global order, up to its limit.

        Served by indexes: the most selective index gives candidates, the others are checked
        on each candidate; a time range is a bisection on the time-ordered log. Pass the last
        position you saw as ``after_position`` to page.
        """
        _check_limit(query.limit)
        return list(self._indexes.search(self._log, self._visibility.position, query, query.limit))

    def count(self, query: EventQuery) -> int:
        """How many events :meth:`find` would return without a limit."""
        return sum(
            1 for _ in self._indexes.search(self._log, self._visibility.position, query, None)
        )

    # -- legacy: statistics and trends, off the ports (see _counters_legacy) ---------------

    def statistics(self, event_type: str, since: datetime, until: datetime) -> EventStatistics:
        """Counts of ``event_type`` by hour, day and the first two indexed metadata fields."""
        self._legacy_counters.catch_up(self._log, self._visibility.position)
        return self._legacy_counters.statistics(event_type, since, until, self._scan_type)

    def trends(
        self, event_type: str, since: datetime, until: datetime, interval: str = "day"
    ) -> dict[str, int]:
        """Counts of ``event_type`` per hour, day, week or month in a time range."""
        self._legacy_counters.catch_up(self._log, self._visibility.position)
        return self._legacy_counters.trends(event_type, since, until, interval, self._scan_type)

    def _scan_type(self, event_type: str, since: datetime, until: datetime) -> list[RecordedEvent]:
        return self.find(EventQuery(event_types=[event_type], since=since, until=until, limit=None))


def _refuse_reused(stream_id: str, chosen: list[int], chosen_so_far: set[int]) -> None:
    reused = chosen_so_far.intersection(chosen)
    if reused:
        raise DuplicateEventIdError(
            stream_id,
            [uuid.UUID(int=i) for i in sorted(reused)],
            "also appear in another stream's batch of the same bulk append",
        )


def _check_limit(limit: int | None) -> None:
    if limit is not None and (type(limit) is not int or limit < 0):
        raise ValidationError(f"limit={limit!r} must be None or an int >= 0.", field="limit")


_NO_EVENTS: list[RecordedEvent] = []
_time_ns = time.time_ns
