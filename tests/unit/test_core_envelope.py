"""The envelope: what a stored event carries, how it reads back, and fresh event ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from eventram import NO_STREAM, InMemoryEventStore, NewEvent
from tests.contract.event_store_contract import ManualClock
from tests.contract.events import ItemAdded


def test_to_dict_gives_plain_data_with_utc_times_and_string_ids() -> None:
    store = InMemoryEventStore(clock=ManualClock(datetime(2024, 3, 1, 12, 30, tzinfo=UTC)))
    new = NewEvent(data=ItemAdded(sku="tea", quantity=2))
    store.append(
        "cart-1",
        [new],
        NO_STREAM,
        stream_type="Cart",
        metadata={"organization_id": "org-1"},
        correlation_id="corr-1",
        causation_id="cmd-1",
    )

    (event,) = store.read_stream("cart-1")

    assert event.to_dict() == {
        "event_id": str(new.event_id),
        "event_type": "test.ItemAdded",
        "stream_id": "cart-1",
        "stream_type": "Cart",
        "version": 1,
        "position": 1,
        "recorded_at": "2024-03-01T12:30:00Z",
        "correlation_id": "corr-1",
        "causation_id": "cmd-1",
        "metadata": {"organization_id": "org-1"},
        "data": {"sku": "tea", "quantity": 2},
    }


def test_new_events_get_distinct_random_version_4_ids() -> None:
    ids = [NewEvent(data=ItemAdded(sku="a")).event_id for _ in range(2_000)]

    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {4}
    assert {i.variant for i in ids} == {uuid.RFC_4122}


def test_a_stored_event_reads_back_as_an_equal_event_each_time() -> None:
    store = InMemoryEventStore()
    store.append("cart-1", [ItemAdded(sku="tea")], NO_STREAM)
    (event,) = store.read_stream("cart-1")

    assert event.data == ItemAdded(sku="tea")
    assert event.data == event.data
