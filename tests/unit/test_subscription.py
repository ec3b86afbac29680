"""Subscription: timeouts, closing, batches, lag, and long stretches of filtered-out events."""

from __future__ import annotations

import threading
import time

import pytest

from eventram import ANY, NO_STREAM, EventFilter, InMemoryEventStore, RecordedEvent, Subscription
from tests.contract.events import CartOpened, ItemAdded, ItemRemoved

HANG_GUARD = 10.0
"""Bound on waiting for another thread (guards against a hang; not a speed assertion)."""


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


def _items(store: InMemoryEventStore, n: int, stream: str = "cart-1") -> None:
    store.append(stream, [ItemAdded(sku=str(i)) for i in range(n)], ANY)


def test_next_with_a_timeout_returns_none_when_nothing_comes(store: InMemoryEventStore) -> None:
    subscription = store.subscribe()

    assert subscription.next(timeout=0.0) is None
    assert subscription.next(timeout=0.01) is None
    assert subscription.position == 0


def test_position_is_the_last_position_handed_out(store: InMemoryEventStore) -> None:
    _items(store, 3)
    subscription = store.subscribe()

    first = subscription.next(timeout=0)

    assert first is not None
    assert subscription.position == first.position == 1
    assert subscription.lag() == 2


def test_closing_wakes_a_waiting_subscriber(store: InMemoryEventStore) -> None:
    subscription = store.subscribe()
    got: list[RecordedEvent | None] = []
    waiter = threading.Thread(target=lambda: got.append(subscription.next()))
    waiter.start()
    time.sleep(0.05)  # give the waiter time to block (it passes either way; this exercises wake)

    subscription.close()
    waiter.join(HANG_GUARD)

    assert not waiter.is_alive(), "close() did not wake the waiting subscriber"
    assert got == [None]


def test_a_closed_subscription_ends_iteration(store: InMemoryEventStore) -> None:
    _items(store, 2)
    subscription = store.subscribe()
    subscription.close()

    assert list(subscription) == []


def test_closing_the_store_ends_every_subscription(store: InMemoryEventStore) -> None:
    _items(store, 2)
    subscription = store.subscribe()
    consumed: list[int] = []

    def consume() -> None:
        consumed.extend(e.position for e in subscription)

    consumer = threading.Thread(target=consume)
    consumer.start()
    time.sleep(0.05)  # let the consumer catch up and block before the store closes
    store.close()
    consumer.join(HANG_GUARD)

    assert not consumer.is_alive(), "closing the store did not end the subscription"
    assert consumed == [1, 2][: len(consumed)]


def test_next_batch_returns_what_is_there_up_to_a_maximum(store: InMemoryEventStore) -> None:
    _items(store, 5)
    subscription = store.subscribe()

    first = subscription.next_batch(max_events=3)
    rest = subscription.next_batch(max_events=10)
    nothing = subscription.next_batch(max_events=10, timeout=0.0)

    assert [e.position for e in first] == [1, 2, 3]
    assert [e.position for e in rest] == [4, 5]
    assert nothing == []
    assert subscription.position == 5
    assert subscription.lag() == 0


def test_next_batch_waits_for_the_first_event_only(store: InMemoryEventStore) -> None:
    subscription = store.subscribe()
    batches: list[list[RecordedEvent]] = []
    waiter = threading.Thread(
        target=lambda: batches.append(subscription.next_batch(10, timeout=HANG_GUARD))
    )
    waiter.start()

    _items(store, 2)
    waiter.join(HANG_GUARD)

    assert not waiter.is_alive()
    assert [e.position for e in batches[0]][:1] == [1]


def test_catch_up_crosses_more_events_than_one_read(store: InMemoryEventStore) -> None:
    for stream in range(5):
        _items(store, 7, f"cart-{stream}")
    subscription = Subscription(store, 0, None, batch_size=4)

    positions = [e.position for e in subscription.next_batch(1000)]

    assert positions == list(range(1, 36))


def test_a_filter_skips_long_stretches_of_other_events(store: InMemoryEventStore) -> None:
    store.append("cart-1", [CartOpened(customer="ann")], NO_STREAM)
    for i in range(25):
        _items(store, 100, f"bulk-{i}")
    store.append("cart-1", [ItemRemoved(sku="0")], 1)
    subscription = Subscription(
        store, 0, EventFilter(event_types=frozenset({"test.ItemRemoved"})), batch_size=10
    )

    event = subscription.next(timeout=0)

    assert event is not None
    assert (event.position, event.event_type) == (2502, "test.ItemRemoved")
    assert subscription.next(timeout=0) is None


def test_a_filtered_subscription_waits_for_a_matching_live_event(
    store: InMemoryEventStore,
) -> None:
    subscription = store.subscribe(filter=EventFilter(stream_types=frozenset({"Cart"})))
    got: list[RecordedEvent | None] = []
    waiter = threading.Thread(target=lambda: got.append(subscription.next(timeout=HANG_GUARD)))
    waiter.start()

    _items(store, 3, "order-1")
    store.append("cart-1", [CartOpened(customer="ann")], stream_type="Cart")
    waiter.join(HANG_GUARD)

    assert not waiter.is_alive()
    assert [e.position if e else None for e in got] == [4]


def test_many_subscribers_follow_independently(store: InMemoryEventStore) -> None:
    _items(store, 4)
    fast, slow = store.subscribe(), store.subscribe()

    fast_positions = [e.position for e in fast.next_batch(10)]
    slow_first = slow.next(timeout=0)

    assert fast_positions == [1, 2, 3, 4]
    assert slow_first is not None
    assert slow_first.position == 1
    assert (fast.lag(), slow.lag()) == (0, 3)
