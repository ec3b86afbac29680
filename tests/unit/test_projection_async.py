"""Async projections: in order, idempotent by position, resumable, reporting lag, isolated."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from eventram import Event, InMemoryEventStore, ProjectionError, RecordedEvent
from eventram.projection import (
    InMemoryCheckpointStore,
    Mode,
    Projection,
    ProjectionEngine,
    ProjectionHandle,
    ProjectionState,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class AsyTick(Event, frozen=True):
    n: int


class AsyPoison(Event, frozen=True):
    pass


class AsyOther(Event, frozen=True):
    pass


Seen = list[tuple[int, int]]  # (position, n)


def ticks(name: str = "ticks") -> Projection[Seen]:
    def tick(state: Seen, event: AsyTick, envelope: RecordedEvent) -> None:
        state.append((envelope.position, event.n))

    def poison(state: Seen, event: AsyPoison, envelope: RecordedEvent) -> None:
        raise RuntimeError("poisoned")

    return Projection(name, {AsyTick: tick, AsyPoison: poison}, list[tuple[int, int]])


class Clock:
    """A settable clock for the store's recorded_at and the engine's idea of now."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> InMemoryEventStore:
    return InMemoryEventStore(clock=clock)


@pytest.fixture
def engine(store: InMemoryEventStore, clock: Clock) -> Iterator[ProjectionEngine]:
    with ProjectionEngine(store, batch_size=7, poll_interval=0.01, clock=clock) as running:
        yield running


def test_events_are_applied_in_global_order_across_streams(
    store: InMemoryEventStore, engine: ProjectionEngine
) -> None:
    for i in range(50):
        store.append(f"s-{i % 3}", [AsyTick(n=i)])
    handle = engine.register(ticks(), Mode.ASYNC)

    engine.start()
    engine.wait_for(store.last_position(), timeout=5.0)

    assert handle.state == [(i + 1, i) for i in range(50)]


def test_live_events_follow_the_catch_up(
    store: InMemoryEventStore, engine: ProjectionEngine
) -> None:
    store.append("s", [AsyTick(n=0)])
    handle = engine.register(ticks(), Mode.ASYNC)
    engine.start()

    last = store.append("s", [AsyTick(n=1), AsyTick(n=2)])
    engine.wait_for(last.position, timeout=5.0)

    assert [n for _, n in handle.state] == [0, 1, 2]
    assert engine.status("ticks").state is ProjectionState.RUNNING


def test_applying_a_batch_twice_applies_it_once(store: InMemoryEventStore) -> None:
    store.append("s", [AsyTick(n=1), AsyTick(n=2)])
    handle = ProjectionHandle(ticks(), Mode.ASYNC)
    batch = store.read_all()

    handle.apply(batch)
    handle.apply(batch)
    handle.apply(batch[:1])

    assert handle.state == [(1, 1), (2, 2)]


def test_a_restart_resumes_after_the_stored_checkpoint(store: InMemoryEventStore) -> None:
    checkpoints = InMemoryCheckpointStore()
    store.append("s", [AsyTick(n=1), AsyTick(n=2)])
    with ProjectionEngine(store, checkpoints, poll_interval=0.01) as first:
        first.register(ticks(), Mode.ASYNC)
        first.start()
        first.wait_for(2, timeout=5.0)
    assert checkpoints.load("ticks") == 2
    store.append("s", [AsyTick(n=3)])

    with ProjectionEngine(store, checkpoints, poll_interval=0.01) as second:
        handle = second.register(ticks(), Mode.ASYNC)
        second.start()
        second.wait_for(3, timeout=5.0)

    assert handle.state == [(3, 3)]
    assert checkpoints.load("ticks") == 3


def test_lag_counts_the_events_behind_and_the_age_of_the_oldest(
    store: InMemoryEventStore, engine: ProjectionEngine, clock: Clock
) -> None:
    engine.register(ticks(), Mode.ASYNC)
    store.append("s", [AsyTick(n=1)])
    clock.now = T0 + timedelta(seconds=20)
    store.append("s", [AsyTick(n=2), AsyTick(n=3)])
    clock.now = T0 + timedelta(seconds=30)

    before = engine.status("ticks")
    engine.start()
    engine.wait_for(3, timeout=5.0)
    after = engine.status("ticks")

    assert (before.lag_events, before.lag_seconds) == (3, 30.0)
    assert (after.lag_events, after.lag_seconds) == (0, 0.0)


def test_events_it_does_not_handle_do_not_leave_it_lagging(
    store: InMemoryEventStore, engine: ProjectionEngine
) -> None:
    handle = engine.register(ticks(), Mode.ASYNC)
    engine.start()
    store.append("s", [AsyTick(n=1)])
    last = store.append("s", [AsyOther(), AsyOther()])

    engine.wait_for(last.position, timeout=5.0)

    assert handle.position == last.position
    assert engine.status("ticks").lag_events == 0


def test_a_failing_handler_stops_only_its_projection(
    store: InMemoryEventStore, engine: ProjectionEngine
) -> None:
    failing = engine.register(ticks("fragile"), Mode.ASYNC)
    healthy = engine.register(
        Projection("counter", {AsyTick: _count, AsyPoison: _count}, list[int]), Mode.ASYNC
    )
    engine.start()
    store.append("s", [AsyTick(n=1)])
    poisoned = store.append("s", [AsyPoison()])
    last = store.append("s", [AsyTick(n=3)])

    engine.wait_for(last.position, timeout=5.0, names=["counter"])
    with pytest.raises(ProjectionError) as caught:
        failing.wait_for(last.position, timeout=5.0)

    assert caught.value.position == poisoned.position
    assert caught.value.event_type == "AsyPoison"
    assert failing.state == [(1, 1)]
    assert failing.position == poisoned.position - 1
    assert healthy.state == [1, 2, 3]
    status = engine.status("fragile")
    assert status.state is ProjectionState.FAILED
    assert status.failed_position == poisoned.position
    assert status.error is not None
    assert "poisoned" in status.error


def test_starting_a_failed_projection_again_retries_the_failed_event(
    store: InMemoryEventStore, engine: ProjectionEngine
) -> None:
    attempts: list[int] = []

    def flaky(state: list[int], event: AsyTick, envelope: RecordedEvent) -> None:
        attempts.append(envelope.position)
        if len(attempts) == 1:
            raise ConnectionError("downstream unavailable")
        state.append(event.n)

    handle = engine.register(Projection("flaky", {AsyTick: flaky}, list[int]), Mode.ASYNC)
    engine.start()
    store.append("s", [AsyTick(n=7)])
    with pytest.raises(ProjectionError):
        handle.wait_for(1, timeout=5.0)

    engine.start("flaky")
    handle.wait_for(1, timeout=5.0)

    assert handle.state == [7]
    assert attempts == [1, 1]


def test_a_long_backlog_in_many_batches_ends_in_the_same_state_as_inline(
    store: InMemoryEventStore, engine: ProjectionEngine
) -> None:
    for i in range(300):
        store.append(f"s-{i % 11}", [AsyTick(n=i), AsyOther()])
    inline = engine.register(ticks("inline"), Mode.INLINE)
    background = engine.register(ticks("background"), Mode.ASYNC)

    engine.start()
    engine.wait_for(store.last_position(), timeout=10.0)

    assert background.state == inline.state
    assert len(background.state) == 300


def _count(state: list[int], event: Event, envelope: RecordedEvent) -> None:
    state.append(len(state) + 1)
