"""Rebuild: a shadow state from position 0, swapped in atomically, with progress."""

from __future__ import annotations

from typing import Any

import pytest

from eventram import (
    Event,
    EventQuery,
    InMemoryEventStore,
    ProjectionError,
    RecordedEvent,
    ValidationError,
)
from eventram.projection import (
    Mode,
    Projection,
    ProjectionEngine,
    ProjectionState,
    ProjectionStatus,
)


class RbItemAdded(Event, frozen=True):
    sku: str
    quantity: int


class RbItemRemoved(Event, frozen=True):
    sku: str


class Switch:
    """Lets a test break the projection's handler, as a code change would."""

    def __init__(self) -> None:
        self.broken = False


Stock = dict[str, int]


def stock(switch: Switch) -> Projection[Stock]:
    def added(state: Stock, event: RbItemAdded, envelope: RecordedEvent) -> None:
        if switch.broken:
            raise KeyError(event.sku)
        state[event.sku] = state.get(event.sku, 0) + event.quantity

    def removed(state: Stock, event: RbItemRemoved, envelope: RecordedEvent) -> None:
        state.pop(event.sku, None)

    return Projection("stock", {RbItemAdded: added, RbItemRemoved: removed}, dict[str, int])


def replay(store: InMemoryEventStore) -> Stock:
    """The state a fresh projection reaches over the whole store."""
    fresh = stock(Switch())
    state = fresh.new_state()
    for event in store.read_all():
        handler = fresh.handler_for(event.event_type)
        if handler is not None:
            handler(state, event.data, event)
    return state


def fill(store: InMemoryEventStore, n: int) -> None:
    for i in range(n):
        store.append(f"cart-{i % 5}", [RbItemAdded(sku=f"sku-{i % 13}", quantity=i)])
        if i % 17 == 0:
            store.append(f"cart-{i % 5}", [RbItemRemoved(sku=f"sku-{i % 13}")])


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.mark.parametrize("mode", [Mode.INLINE, Mode.ASYNC])
def test_a_rebuild_swaps_in_a_state_equal_to_a_fresh_replay(
    store: InMemoryEventStore, mode: Mode
) -> None:
    fill(store, 120)
    with ProjectionEngine(store, chunk_size=10, poll_interval=0.01) as engine:
        handle = engine.register(stock(Switch()), mode)
        engine.start()
        engine.wait_for(store.last_position(), timeout=5.0)
        old_state = handle.state

        report = engine.rebuild("stock")

        assert handle.state is not old_state
        assert handle.state == replay(store)
        assert handle.generation == report.generation == 1
        assert report.position == handle.position == store.last_position()
        assert report.events == len(
            store.find(EventQuery(event_types=["RbItemAdded", "RbItemRemoved"], limit=None))
        )


def test_progress_is_reported_in_positions_and_ends_complete(store: InMemoryEventStore) -> None:
    fill(store, 100)
    calls: list[tuple[int, int]] = []
    with ProjectionEngine(store, chunk_size=10) as engine:
        engine.register(stock(Switch()))
        engine.start()

        engine.rebuild("stock", progress=lambda done, total: calls.append((done, total)))

    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert all(d <= t for d, t in calls)
    assert calls[0] == (0, store.last_position())
    assert calls[-1] == (store.last_position(), store.last_position())
    assert len(calls) > 5


def test_the_status_shows_rebuilding_with_progress_while_it_runs(
    store: InMemoryEventStore,
) -> None:
    fill(store, 60)
    seen: list[ProjectionStatus] = []
    with ProjectionEngine(store, chunk_size=10) as engine:
        engine.register(stock(Switch()))
        engine.start()

        engine.rebuild("stock", progress=lambda done, total: seen.append(engine.status("stock")))
        after = engine.status("stock")

    assert seen[1].state is ProjectionState.REBUILDING
    assert seen[1].rebuild is not None
    assert 0 < seen[1].rebuild.done <= seen[1].rebuild.total
    assert after.state is ProjectionState.RUNNING
    assert after.rebuild is None
    assert after.generation == 1


def test_events_appended_during_a_rebuild_are_in_the_swapped_state(
    store: InMemoryEventStore,
) -> None:
    fill(store, 80)
    with ProjectionEngine(store, chunk_size=10) as engine:
        handle = engine.register(stock(Switch()))
        engine.start()
        appended: list[int] = []

        def write_meanwhile(done: int, total: int) -> None:
            if len(appended) < 3:
                result = store.append("late", [RbItemAdded(sku="late", quantity=1)])
                appended.append(result.position)

        engine.rebuild("stock", progress=write_meanwhile)
        store.append("late", [RbItemAdded(sku="late", quantity=10)])

        assert handle.state == replay(store)
        assert handle.state["late"] == 13


def test_a_failing_rebuild_leaves_the_live_state_serving(store: InMemoryEventStore) -> None:
    fill(store, 30)
    switch = Switch()
    with ProjectionEngine(store) as engine:
        handle = engine.register(stock(switch))
        engine.start()
        live = handle.state
        switch.broken = True

        with pytest.raises(ProjectionError, match="stock"):
            engine.rebuild("stock")

        status = engine.status("stock")
        assert handle.state is live
        assert handle.generation == 0
        assert status.state is ProjectionState.RUNNING
        assert status.rebuild_error is not None
        assert "KeyError" in status.rebuild_error


def test_rebuilding_a_failed_projection_with_fixed_code_brings_it_back(
    store: InMemoryEventStore,
) -> None:
    fill(store, 10)
    switch = Switch()
    with ProjectionEngine(store) as engine:
        handle = engine.register(stock(switch))
        engine.start()
        switch.broken = True
        store.append("cart-x", [RbItemAdded(sku="x", quantity=1)])
        assert engine.status("stock").state is ProjectionState.FAILED
        store.append("cart-x", [RbItemAdded(sku="x", quantity=2)])

        switch.broken = False
        engine.rebuild("stock")
        store.append("cart-x", [RbItemAdded(sku="x", quantity=4)])

        assert engine.status("stock").state is ProjectionState.RUNNING
        assert handle.failure is None
        assert handle.state == replay(store)
        assert handle.state["x"] == 7


def test_a_second_rebuild_of_the_same_projection_is_refused_while_one_runs(
    store: InMemoryEventStore,
) -> None:
    fill(store, 30)
    refused: list[Exception] = []
    with ProjectionEngine(store, chunk_size=10) as engine:
        engine.register(stock(Switch()))
        engine.start()

        def try_again(done: int, total: int) -> None:
            if not refused:
                with pytest.raises(ValidationError, match="already being rebuilt") as caught:
                    engine.rebuild("stock")
                refused.append(caught.value)

        engine.rebuild("stock", progress=try_again)
        engine.rebuild("stock")  # allowed again once the first has finished

    assert len(refused) == 1


def test_a_rebuild_in_the_background_reports_through_its_future(
    store: InMemoryEventStore,
) -> None:
    fill(store, 40)
    with ProjectionEngine(store) as engine:
        handle = engine.register(stock(Switch()))
        engine.start()

        report: Any = engine.rebuild_in_background("stock").result(timeout=10)

        assert report.generation == handle.generation == 1
        assert handle.state == replay(store)


def test_rebuilding_a_stopped_projection_does_not_start_it(store: InMemoryEventStore) -> None:
    fill(store, 10)
    with ProjectionEngine(store) as engine:
        handle = engine.register(stock(Switch()))

        engine.rebuild("stock")
        store.append("cart-y", [RbItemAdded(sku="y", quantity=1)])

        assert "y" not in handle.state
        assert engine.status("stock").state is ProjectionState.STOPPED
