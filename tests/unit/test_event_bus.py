"""EventBus: committed events to in-process subscribers; a failing subscriber is isolated."""

from __future__ import annotations

import logging

import pytest

from eventram import NO_STREAM, EventBus, InMemoryEventStore, RecordedEvent
from tests.contract.events import CartCheckedOut, CartOpened, ItemAdded


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def bus(store: InMemoryEventStore) -> EventBus:
    bus = EventBus()
    store.add_listener(bus.publish)
    return bus


def test_subscribers_get_committed_events_of_their_types_in_order(
    store: InMemoryEventStore, bus: EventBus
) -> None:
    added: list[int] = []
    everything: list[int] = []
    bus.subscribe(lambda e: added.append(e.position), ["test.ItemAdded"])
    bus.subscribe(lambda e: everything.append(e.position))

    store.append("cart-1", [CartOpened(customer="ann"), ItemAdded(sku="a")], NO_STREAM)
    store.append("cart-2", [ItemAdded(sku="b"), CartCheckedOut()], NO_STREAM)

    assert added == [2, 3]
    assert everything == [1, 2, 3, 4]


def test_a_subscriber_of_several_types_gets_each_of_them(
    store: InMemoryEventStore, bus: EventBus
) -> None:
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(e.event_type), ["test.CartOpened", "test.CartCheckedOut"])

    store.append("cart-1", [CartOpened(customer="ann"), ItemAdded(sku="a"), CartCheckedOut()])

    assert seen == ["test.CartOpened", "test.CartCheckedOut"]


def test_subscribers_run_before_the_append_returns(
    store: InMemoryEventStore, bus: EventBus
) -> None:
    seen: list[RecordedEvent] = []
    bus.subscribe(seen.append)

    result = store.append("cart-1", [CartOpened(customer="ann")], NO_STREAM)

    assert [e.position for e in seen] == [result.position]


def test_a_failing_subscriber_is_logged_and_the_others_still_run(
    store: InMemoryEventStore, bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="eventram.events")
    before: list[int] = []
    after: list[int] = []

    def explode(event: RecordedEvent) -> None:
        raise RuntimeError(f"cannot handle {event.position}")

    bus.subscribe(lambda e: before.append(e.position))
    bus.subscribe(explode)
    bus.subscribe(lambda e: after.append(e.position))

    result = store.append("cart-1", [CartOpened(customer="ann"), ItemAdded(sku="a")], NO_STREAM)

    assert result.position == 2
    assert before == after == [1, 2]
    assert bus.failures == 2
    assert store.read_all()[-1].position == 2
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "explode" in messages[0]
    assert "test.CartOpened" in messages[0]
    assert "position 1" in messages[0]
    assert "position 2" in messages[1]
    assert all(r.exc_info is not None for r in caplog.records)


def test_a_failing_subscriber_does_not_stop_later_appends(
    store: InMemoryEventStore, bus: EventBus
) -> None:
    seen: list[int] = []

    def fail_once(event: RecordedEvent) -> None:
        if event.position == 1:
            raise ValueError("first event")
        seen.append(event.position)

    bus.subscribe(fail_once)

    store.append("cart-1", [CartOpened(customer="ann")], NO_STREAM)
    store.append("cart-1", [ItemAdded(sku="a")], 1)

    assert seen == [2]
    assert store.last_position() == 2


def test_the_bus_logs_to_the_logger_it_is_given(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.event_bus.custom")
    caplog.set_level(logging.ERROR, logger="test.event_bus.custom")
    store = InMemoryEventStore()
    bus = EventBus(logger)
    store.add_listener(bus.publish)

    def explode(event: RecordedEvent) -> None:
        raise RuntimeError("boom")

    bus.subscribe(explode)
    store.append("cart-1", [CartOpened(customer="ann")])

    assert [r.name for r in caplog.records] == ["test.event_bus.custom"]
