"""InMemoryEventStore: streams, a global log, indexes and subscriptions, in memory.

Appends are serialised by one lock; each batch is journaled (when a journal is attached) before
it is inserted, and becomes visible to readers only when it is durable under the journal's
policy. Readers bound every read by the visible watermark, so they never see half a batch.

An append touches only the log, its stream and the event-id index. The secondary indexes (event
type, stream type, correlation/causation, metadata) follow the visible log
lazily: the first reader that needs them indexes what became visible since the last one, in one
pass, under an index lock (see ``_catch_up``); other readers take no lock. The reads themselves
(streams, the log, ``find``) are in ``_reading``; preparing a batch is in
``_append`` and ``_short_path``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from functools import partial
from operator import attrgetter
from typing import Protocol

from eventram.codec import EventRegistry, registry
from eventram.envelope import RecordedEvent, to_epoch_us
from eventram.errors import (
    StoreClosedError,
    ValidationError,
)
from eventram.store._append import BatchBuilder
from eventram.store._indexes import SecondaryIndexes
from eventram.store._reading import StoreReading
from eventram.store._short_path import Stream, result_of
from eventram.store.base import (
    ANY,
    AppendRequest,
    AppendResult,
    BulkResult,
    CommitListener,
    EventFilter,
    EventLike,
)
from eventram.store.subscription import Subscription

__all__ = ["InMemoryEventStore", "Journal", "split_batches"]

_logger = logging.getLogger("eventram.store")


class Journal(Protocol):
    """Where committed batches go before they become visible (see ``eventram.store.journal``)."""

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


utc_now: Callable[[], datetime] = partial(datetime.now, UTC)
"""The current time in UTC (a partial, so reading the clock costs no Python frame)."""


class InMemoryEventStore(StoreReading):
    """The event store, held in memory, optionally journaled to disk.

    ``metadata_fields`` are the metadata keys indexed for :meth:`find`. ``clock`` gives each
    batch its ``recorded_at``; the log stays time-ordered even if the clock steps back.
    """

    def __init__(
        self,
        *,
        metadata_fields: Sequence[str] = ("organization_id", "user_id"),
        journal: Journal | None = None,
        clock: Callable[[], datetime] = utc_now,
        event_registry: EventRegistry = registry,
    ) -> None:
        self._lock = threading.Lock()
        self._commit_lock = threading.RLock()
        self._changed = threading.Condition(threading.Lock())
        self._journal = journal
        self._journal_waits = journal is not None and journal.waits
        self._clock = clock
        self._log: list[RecordedEvent] = []
        self._streams: dict[str, Stream] = {}
        self._by_id: dict[int, RecordedEvent] = {}  # by event_id_int
        # first and last positions of every batch of more than one event (a position in no
        # such range is a batch of its own: most batches hold one event and cost nothing here)
        self._batch_firsts: list[int] = []
        self._batch_lasts: list[int] = []
        self._metadata_fields = tuple(metadata_fields)
        self._indexes = SecondaryIndexes(self._metadata_fields)
        self._builder = BatchBuilder(
            log=self._log,
            streams=self._streams,
            by_id=self._by_id,
            batch_firsts=self._batch_firsts,
            batch_lasts=self._batch_lasts,
            metadata_fields=self._metadata_fields,
            event_registry=event_registry,
        )
        self._prepare, self._one = self._builder.prepare, self._builder.one
        self._waiters = 0  # threads in wait_for_change: a commit notifies only if there are some
        self._pending: deque[list[RecordedEvent]] = deque()
        self._visible = 0
        self._last_time = _MIN_TIME  # recorded_at_us of the last batch inserted
        self._listeners: list[CommitListener] = []
        self._failure: BaseException | None = None
        self._closed = False

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
                self._check_writable()
            if self._clock is utc_now:  # what _next_time() does, without a call
                now = _time_ns() // 1000
                if now <= self._last_time:
                    now = self._last_time
            else:
                now = self._next_time()
            log = self._log
            position = len(log) + 1
            event = (
                self._one(
                    stream_id,
                    events[0],
                    expected_version,
                    stream_type,
                    metadata,
                    correlation_id,
                    causation_id,
                    now,
                    position,
                )
                if type(events) is list and len(events) == 1
                else None
            )
            if event is None:
                outcome = self._prepare(
                    stream_id,
                    events,
                    expected_version,
                    stream_type,
                    metadata,
                    correlation_id,
                    causation_id,
                    now,
                    position,
                )
                if type(outcome) is AppendResult:
                    return outcome
                batch: list[RecordedEvent] = outcome  # type: ignore[assignment]
            elif not self._journal_waits and not self._listeners and not self._pending:
                # the usual append: one event, visible at once (once written, if journaled),
                # nobody to tell (what _insert_one does, inline)
                if self._journal is not None:
                    self._journal.write(((event,),))  # raises before anything changes
                log.append(event)
                self._by_id[event.event_id_int] = event
                self._last_time = now
                version = event.version
                if version == 1:  # a new stream (the short path read its version)
                    self._streams[event.stream_id] = event
                else:
                    self._add_to_stream(event)
                self._visible = position
                if self._waiters:
                    self.wake()
                return AppendResult(event.stream_id, version, version, position, position)
            else:
                batch = [event]
            last = batch[-1]
            if self._journal is None:
                self._insert(batch)
                if not self._listeners and not self._pending:
                    self._show(last.position)
                    return result_of(batch)
                self._pending.append(batch)
            else:
                ticket = self._journal.write((batch,))
                self._insert(batch)
                self._pending.append(batch)
        if self._journal is not None:
            self._commit(ticket, last.position)
        else:
            self._publish(last.position)
        return result_of(batch)

    def append_many(self, requests: Sequence[AppendRequest]) -> BulkResult:
        """Append batches to many streams in one call: one journal frame, atomic per stream.

        A stream whose batch is refused (version, duplicate ids, bad input) gets its error in
        ``BulkResult.errors``; the other streams' batches are appended.
        """
        with self._lock:
            if self._closed or self._failure is not None:
                self._check_writable()
            bulk = self._builder.prepare_many(requests, self._next_time(), len(self._log) + 1)
            singles, result = bulk.singles, BulkResult(bulk.results, bulk.errors)
            if bulk.batches is None:
                if not singles:
                    return result
                if self._journal is None and not self._listeners and not self._pending:
                    self._insert_new_streams(singles)
                    self._show(singles[-1].position)
                    return result
            batches = bulk.all_batches()
            last = batches[-1][-1].position
            if self._journal is None:
                self._insert_all(batches)
                self._pending.extend(batches)
            else:
                ticket = self._journal.write(batches)
                self._insert_all(batches)
                self._pending.extend(batches)
        if self._journal is not None:
            self._commit(ticket, last)
        else:
            self._publish(last)
        return result

    def _check_writable(self) -> None:
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
        last = self._last_time
        # keep the log time-ordered so time ranges can bisect it (and share the int when equal)
        return last if now <= last else now

    def _insert(self, batch: list[RecordedEvent]) -> None:
        """Add a batch to the log, its stream and the id index (not yet visible to readers).

        The other indexes follow the visible log lazily (``_catch_up``).
        """
        first = batch[0]
        if len(batch) == 1:
            self._insert_one(first)
            return
        streams, stream_id = self._streams, first.stream_id
        stream = streams.get(stream_id)
        self._last_time = first.recorded_at_us
        self._batch_firsts.append(first.position)
        self._batch_lasts.append(batch[-1].position)
        self._log.extend(batch)
        if stream is None:
            streams[stream_id] = list(batch)
        elif type(stream) is list:
            stream.extend(batch)
        else:
            streams[stream_id] = [stream, *batch]  # type: ignore[list-item]
        by_id = self._by_id
        for event in batch:
            by_id[event.event_id_int] = event

    def _insert_one(self, event: RecordedEvent) -> None:
        """:meth:`_insert` a batch of one event."""
        self._log.append(event)
        self._by_id[event.event_id_int] = event
        self._last_time = event.recorded_at_us
        self._add_to_stream(event)

    def _add_to_stream(self, event: RecordedEvent) -> None:
        """Add an event after its stream's others (a lone envelope becomes a list)."""
        streams, stream_id = self._streams, event.stream_id
        stream = streams.get(stream_id)
        if stream is None:
            streams[stream_id] = event  # a stream of one event is the event: no list
        elif type(stream) is list:
            stream.append(event)
        else:
            streams[stream_id] = [stream, event]  # type: ignore[list-item]

    def _insert_new_streams(self, events: list[RecordedEvent]) -> None:
        """:meth:`_insert` one-event batches, each the first event of its stream, in C loops."""
        self._log.extend(events)
        self._by_id.update(zip(map(_event_id_int, events), events, strict=True))
        self._streams.update(zip(map(_stream_id, events), events, strict=True))
        self._last_time = events[-1].recorded_at_us

    def _insert_all(self, batches: list[list[RecordedEvent]]) -> None:
        """:meth:`_insert` each batch, in order."""
        insert = self._insert
        for batch in batches:
            insert(batch)

    def _commit(self, ticket: int, position: int) -> None:
        """Wait for durability, then make every batch up to ``position`` visible."""
        if self._journal is not None:
            try:
                self._journal.wait_durable(ticket)
            except BaseException as exc:
                self._failure = exc
                raise
        self._publish(position)

    def _publish(self, position: int) -> None:
        """Make every pending batch up to ``position`` visible, in order, and tell listeners."""
        if self._visible >= position and not self._listeners:
            return  # another commit showed it, and there is nobody to tell: no lock needed
        with self._commit_lock:
            pending = self._pending
            if not pending or pending[0][-1].position > position:
                return
            # a batch leaves ``pending`` only once visible: an append that finds nothing
            # pending may then make its own batch visible directly (see ``append``)
            if len(pending) == 1 or pending[1][-1].position > position:  # the usual: one batch
                batch = pending[0]
                self._show(batch[-1].position)
                pending.popleft()
                self._notify_listeners(batch)
                return
            published: list[list[RecordedEvent]] = []
            while pending and pending[0][-1].position <= position:  # deque: no indexing
                published.append(pending.popleft())
            # popped before they are visible: no append publishes them directly meanwhile,
            # as the commit lock is held until they are
            self._show(published[-1][-1].position)
            for batch in published:
                self._notify_listeners(batch)

    def _show(self, position: int) -> None:
        """Make the log visible up to ``position`` and wake the threads waiting for a change."""
        self._visible = position
        if self._waiters:
            self.wake()

    def _notify_listeners(self, batch: list[RecordedEvent]) -> None:
        # the batch is committed: a failing listener must neither fail the append nor starve
        # the listeners after it
        for listener in self._listeners:
            try:
                listener(batch)
            except Exception:
                _logger.exception(
                    "store listener %s failed on positions %d-%d; the batch stays committed",
                    getattr(listener, "__qualname__", repr(listener)),
                    batch[0].position,
                    batch[-1].position,
                )

    def restore(self, batches: Iterable[Sequence[RecordedEvent]]) -> int:
        """Load batches already committed elsewhere (a journal, a snapshot), without checks.

        Returns the number of events loaded. Used by recovery before the store is shared.
        """
        events: list[RecordedEvent] = []
        multi: list[tuple[int, int]] = []
        for batch in batches:
            events.extend(batch)
            if len(batch) > 1:
                multi.append((batch[0].position, batch[-1].position))
        count = self.restore_log(events, multi)
        self.catch_up_indexes()
        return count

    def restore_log(self, events: list[RecordedEvent], multi: Sequence[tuple[int, int]]) -> int:
        """:meth:`restore` events given as the log holds them, in order, without checks.

        ``multi`` gives the first and last positions of each batch of more than one event;
        every other event is a batch of its own. The events are visible on return, the
        secondary indexes follow lazily (or call :meth:`catch_up_indexes`). Returns how many
        events were loaded.
        """
        if not events:
            return 0
        with self._lock, self._commit_lock:
            if self._pending or self._listeners:  # a store already in use: the general path
                return self._restore_pending(split_batches(events, dict(multi)))
            log = self._log
            log.extend(events)
            self._by_id.update(zip(map(_event_id_int, events), events, strict=True))
            for first, last in multi:
                self._batch_firsts.append(first)
                self._batch_lasts.append(last)
            add_to_stream = self._add_to_stream
            for event in events:
                add_to_stream(event)
            self._last_time = events[-1].recorded_at_us
            self._show(log[-1].position)
        return len(events)

    def catch_up_indexes(self) -> None:
        """Bring the secondary indexes up to date now (they otherwise follow lazily).

        After a large restore, so that the first query does not pay for indexing everything.
        """
        self._catch_up(self._visible)

    def _restore_pending(self, batches: Iterable[Sequence[RecordedEvent]]) -> int:
        count = 0
        for batch in batches:
            events = list(batch)
            self._insert(events)
            self._pending.append(events)
            count += len(events)
        if self._pending:
            self._publish(self._pending[-1][-1].position)
        return count

    def add_listener(self, listener: CommitListener) -> None:
        """Call ``listener`` with each batch, in order, in the committing thread, once visible.

        A listener runs before ``append`` returns (this is how inline projections give
        read-your-writes); it must not raise: wrap it (see ``EventBus``) to isolate failures.
        """
        # the append lock too: an append that saw no listener publishes under it, directly
        with self._commit_lock, self._lock:
            self._listeners.append(listener)

    def close(self) -> None:
        """Refuse further writes, close the journal (if any) and wake every waiting subscriber."""
        with self._lock:  # no journal write is in progress once the lock is ours
            self._closed = True
        if self._journal is not None:
            self._journal.close()
        with self._changed:
            self._changed.notify_all()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    # -- following -------------------------------------------------------------------------

    def subscribe(self, after_position: int = 0, filter: EventFilter | None = None) -> Subscription:
        """Catch up from ``after_position``, then follow new events live, in global order.

        The subscription pulls at its own pace: a slow consumer lags but never blocks appends,
        and its ``position`` says where it is, so it can resume after a failure.
        """
        return Subscription(self, after_position, filter)

    def wait_for_change(self, position: int, timeout: float | None) -> bool:
        """Block until the visible position passes ``position`` (or the store closes)."""
        with self._changed:
            # counted before the check: a commit that moves ``_visible`` after the check sees
            # a waiter and notifies (see ``_publish``)
            self._waiters += 1
            try:
                if self._visible > position or self._closed:
                    return True
                self._changed.wait(timeout)
                return self._visible > position
            finally:
                self._waiters -= 1

    def wake(self) -> None:
        """Wake every thread waiting in :meth:`wait_for_change` (e.g. a closing subscription)."""
        with self._changed:
            self._changed.notify_all()

    def __len__(self) -> int:
        return self._visible


def split_batches(
    events: list[RecordedEvent], lasts: Mapping[int, int]
) -> Iterator[list[RecordedEvent]]:
    """The batches of a flat run of events; ``lasts`` maps a batch's first position to its last.

    Only batches of more than one event need be in ``lasts``: any other event is a batch.
    """
    i = 0
    while i < len(events):
        position = events[i].position
        count = lasts.get(position, position) - position + 1
        yield events[i : i + count]
        i += count


_event_id_int = attrgetter("event_id_int")
_stream_id = attrgetter("stream_id")
_time_ns = time.time_ns
_MIN_TIME = to_epoch_us(datetime.min.replace(tzinfo=UTC))
