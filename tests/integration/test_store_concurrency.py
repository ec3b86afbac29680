"""The in-memory store under many threads: nothing lost, nothing duplicated, no half batch seen.

The interpreter's thread switch interval is shortened during these tests so that threads
interleave between reading a stream's version and appending, which is where conflicts happen.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from eventram import (
    ANY,
    Aggregate,
    Command,
    CommandBus,
    ConcurrencyError,
    CorrelationMiddleware,
    Event,
    EventFilter,
    EventQuery,
    InMemoryEventStore,
    NewEvent,
    RecordedEvent,
    Repository,
    RetryOnConflictMiddleware,
)
from tests.contract.events import ItemAdded, ItemRemoved

SCALE = int(os.environ.get("EVENTRAM_STRESS", "1"))
"""Multiplies the work per thread (``EVENTRAM_STRESS=10`` for a long run outside make test)."""

THREADS = 8
APPENDS = 5_000 * SCALE
HOT_STREAMS = 4


@pytest.fixture(autouse=True)
def frequent_thread_switches() -> Iterator[None]:
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _run(workers: list[Callable[[], None]]) -> None:
    """Run workers in threads; re-raise the first error any of them raised."""
    errors: list[BaseException] = []

    def guard(work: Callable[[], None]) -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guard, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def test_concurrent_appends_lose_nothing_duplicate_nothing_and_keep_each_stream_in_order() -> None:
    store = InMemoryEventStore()
    sent: dict[int, list[tuple[str, NewEvent, int, int]]] = {w: [] for w in range(THREADS)}
    conflicts = [0] * THREADS

    def writer(w: int) -> Callable[[], None]:
        def work() -> None:
            for i in range(APPENDS):
                stream = f"hot-{i % HOT_STREAMS}" if i % 2 == 0 else f"own-{w}-{i % 7}"
                event = NewEvent(data=ItemAdded(sku=f"{w}:{i}", quantity=i))
                while True:
                    version = store.stream_version(stream)
                    try:
                        result = store.append(stream, [event], version)
                        break
                    except ConcurrencyError:
                        conflicts[w] += 1
                if i % 50 == 0:  # an idempotent retry, as after a lost acknowledgement
                    assert store.append(stream, [event], version) == result
                sent[w].append((stream, event, result.version, result.position))

        return work

    _run([writer(w) for w in range(THREADS)])

    log = store.read_all()
    total = THREADS * APPENDS
    assert len(log) == total
    assert [e.position for e in log] == list(range(1, total + 1))
    assert len({e.event_id for e in log}) == total
    assert {e.event_id for e in log} == {ev.event_id for w in sent for _, ev, _, _ in sent[w]}
    assert sum(conflicts) > 0, "no conflict happened: the test did not exercise contention"
    for stream in {e.stream_id for e in log}:
        events = store.read_stream(stream)
        assert [e.version for e in events] == list(range(1, len(events) + 1))
        positions = [e.position for e in events]
        assert positions == sorted(positions)
    for w, appended in sent.items():
        for stream, event, version, position in appended:
            (stored,) = store.read_stream(stream, version, 1)
            assert (stored.event_id, stored.position) == (event.event_id, position)
        for stream in {s for s, _, _, _ in appended}:
            mine = [
                int(e.data.quantity)  # type: ignore[attr-defined]
                for e in store.read_stream(stream)
                if str(e.data.sku).startswith(f"{w}:")  # type: ignore[attr-defined]
            ]
            assert mine == sorted(mine), f"thread {w}'s events in {stream} are out of order"


class CounterIncremented(Event, frozen=True):
    """A counter went up by one."""

    event_type = "test.concurrency.CounterIncremented"


class Counter(Aggregate):
    """The smallest aggregate with state: how many increments it has seen."""

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.value = 0

    def apply(self, event: Event) -> None:
        if isinstance(event, CounterIncremented):
            self.value += 1

    def increment(self) -> None:
        self.record(CounterIncremented())


class Increment(Command, frozen=True, kw_only=True):
    """Add one to a counter."""

    counter_id: str


def test_commands_retried_on_conflict_through_the_bus_lose_no_update() -> None:
    store = InMemoryEventStore()
    counters: Repository[Counter] = Repository(store, Counter, cache_size=100)
    retry = RetryOnConflictMiddleware(attempts=1_000, base_delay=0.0)

    def increment(command: Increment) -> int:
        counter = counters.get(command.counter_id) or Counter(command.counter_id)
        counter.increment()
        # yield between deciding and saving, as a handler doing I/O would: another thread
        # then saves the same counter first often enough for every run to see conflicts
        time.sleep(0)
        result = counters.save(counter)
        assert result is not None
        return result.version

    bus = CommandBus({Increment: increment}, [retry, CorrelationMiddleware()])
    per_thread = 600 * SCALE
    sent: dict[str, int] = {}
    lock = threading.Lock()

    def work(w: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(per_thread):
                counter_id = f"counter-{(w + i) % HOT_STREAMS}"
                bus.handle(Increment(counter_id=counter_id))
                with lock:
                    sent[counter_id] = sent.get(counter_id, 0) + 1

        return run

    _run([work(w) for w in range(THREADS)])

    assert retry.retries > 0, "no conflict happened: the test did not exercise the retry path"
    assert sum(sent.values()) == THREADS * per_thread
    for counter_id, count in sent.items():
        assert counters.load(counter_id).value == count
        assert store.stream_version(counter_id) == count
        fresh: Repository[Counter] = Repository(store, Counter, cache_size=0)
        assert fresh.load(counter_id).value == count


BATCH = 3


def test_readers_running_during_appends_never_see_half_a_batch() -> None:
    store = InMemoryEventStore()
    writers_done = threading.Event()
    batches_per_writer = 1_500 * SCALE
    writers = 4
    checks = {"log": 0, "stream": 0, "find": 0, "subscription": 0}

    def writer(w: int) -> Callable[[], None]:
        def run() -> None:
            for i in range(batches_per_writer):
                stream = f"cart-{i % 5}" if i % 3 else f"own-{w}"
                kind: type[ItemAdded] | type[ItemRemoved] = ItemAdded if i % 2 else ItemRemoved
                events = [kind(sku=f"{w}:{i}:{j}") for j in range(BATCH)]
                store.append(stream, events, ANY, stream_type=f"type-{i % 2}")

        return run

    def until_done(check: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            while not writers_done.is_set():
                check()
            check()

        return run

    def read_log() -> None:
        log = store.read_all()
        assert len(log) % BATCH == 0, f"read_all ended inside a batch at {len(log)}"
        assert not log or log[-1].version % BATCH == 0
        assert store.last_position() % BATCH == 0
        checks["log"] += 1

    def read_streams() -> None:
        for stream in ("cart-1", "cart-2", "own-0"):
            assert store.stream_version(stream) % BATCH == 0
            assert len(store.read_stream(stream)) % BATCH == 0
            backwards = store.read_stream(stream, 0, backwards=True)
            assert not backwards or backwards[0].version % BATCH == 0
        checks["stream"] += 1

    def read_indexes() -> None:
        assert len(store.find(EventQuery(stream_types=["type-1"], limit=None))) % BATCH == 0
        assert store.count(EventQuery(event_types=[ItemAdded.event_type])) % BATCH == 0
        checks["find"] += 1

    def follow() -> None:
        subscription = store.subscribe(filter=EventFilter(stream_types=frozenset({"type-0"})))
        expected = writers * batches_per_writer // 2 * BATCH
        seen: list[RecordedEvent] = []
        while len(seen) < expected:
            event = subscription.next(timeout=30.0)
            assert event is not None, f"subscription stalled after {len(seen)} events"
            seen.append(event)
        positions = [e.position for e in seen]
        assert positions == sorted(set(positions))
        assert seen == store.find(EventQuery(stream_types=["type-0"], limit=None))
        checks["subscription"] += 1

    readers = [until_done(c) for c in (read_log, read_streams, read_indexes)]
    reader_threads: list[Callable[[], None]] = [*readers, follow]

    def write_all() -> None:
        try:
            _run([writer(w) for w in range(writers)])
        finally:
            writers_done.set()

    _run([write_all, *reader_threads])

    assert store.last_position() == writers * batches_per_writer * BATCH
    assert all(n > 0 for n in checks.values()), checks
