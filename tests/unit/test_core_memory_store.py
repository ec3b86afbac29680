"""What the in-memory store offers beyond the contract: close, restore, lookups, configuration."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from eventram import (
    ANY,
    NO_STREAM,
    AppendRequest,
    Event,
    EventQuery,
    EventRegistry,
    InMemoryEventStore,
    NewEvent,
    RecordedEvent,
    StoreClosedError,
    ValidationError,
)
from tests.contract.event_store_contract import ManualClock
from tests.contract.events import CartOpened, ItemAdded

OWNER_FIELDS = ("organization_id", "user_id")


def test_a_closed_store_refuses_writes_and_keeps_serving_reads() -> None:
    store = InMemoryEventStore()
    store.append("cart-1", [CartOpened(customer="ann")], NO_STREAM)

    store.close()

    with pytest.raises(StoreClosedError, match="closed"):
        store.append("cart-1", [ItemAdded(sku="a")], 1)
    with pytest.raises(StoreClosedError):
        store.append_many([AppendRequest(stream_id="cart-2", events=[ItemAdded(sku="b")])])
    assert store.closed
    assert [e.position for e in store.read_all()] == [1]
    assert store.stream_version("cart-1") == 1


def test_a_clock_without_a_time_zone_is_refused_and_nothing_is_written() -> None:
    store = InMemoryEventStore(clock=lambda: datetime(2024, 3, 1))

    with pytest.raises(ValidationError, match="naive"):
        store.append("cart-1", [CartOpened(customer="ann")], NO_STREAM)

    assert store.last_position() == 0


def test_get_event_finds_a_stored_event_by_id() -> None:
    store = InMemoryEventStore()
    new = NewEvent(data=ItemAdded(sku="a"))
    store.append("cart-1", [CartOpened(customer="ann"), new], NO_STREAM)

    found = store.get_event(new.event_id)

    assert found is not None
    assert (found.position, found.data) == (2, ItemAdded(sku="a"))
    assert store.get_event(uuid.uuid4()) is None


def test_stream_ids_and_len_describe_what_is_stored() -> None:
    store = InMemoryEventStore()
    store.append("cart-1", [CartOpened(customer="ann")])
    store.append("cart-2", [CartOpened(customer="bob"), ItemAdded(sku="a")])

    assert sorted(store.stream_ids()) == ["cart-1", "cart-2"]
    assert len(store) == 3


@pytest.mark.parametrize("listening", [True, False], ids=["with a listener", "quietly"])
def test_restore_loads_committed_batches_and_appends_continue_after_them(listening: bool) -> None:
    source = InMemoryEventStore()
    first_batch = [NewEvent(data=CartOpened(customer="ann")), NewEvent(data=ItemAdded(sku="a"))]
    source.append("cart-1", first_batch, NO_STREAM)
    source.append("cart-2", [CartOpened(customer="bob")], NO_STREAM)
    batches: list[Sequence[RecordedEvent]] = [source.read_stream("cart-1"), source.read_all(2)]
    heard: list[int] = []
    copy = InMemoryEventStore()
    if listening:
        copy.add_listener(lambda batch: heard.extend(e.position for e in batch))

    loaded = copy.restore(batches)
    assert copy.last_position() == 3
    result = copy.append("cart-1", [ItemAdded(sku="b")], 2)

    assert loaded == 3
    assert copy.read_all()[:3] == source.read_all()
    assert (result.version, result.position) == (3, 4)
    assert copy.append("cart-1", first_batch, ANY).position == 2  # stored ids are still known
    assert heard == ([1, 2, 3, 4] if listening else [])
    assert [e.position for e in copy.find(EventQuery(event_types=["test.CartOpened"]))] == [1, 3]
    assert [e.version for e in copy.read_stream("cart-1")] == [1, 2, 3]


def test_metadata_changed_by_the_caller_after_append_does_not_change_the_store() -> None:
    store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
    metadata = {"organization_id": "org-1", "note": "original"}

    store.append("cart-1", [CartOpened(customer="ann")], metadata=metadata)
    metadata["note"] = "changed"
    metadata["organization_id"] = "org-2"

    (event,) = store.read_all()
    assert dict(event.metadata) == {"organization_id": "org-1", "note": "original"}
    assert store.count(EventQuery(metadata={"organization_id": "org-1"})) == 1


def test_indexed_metadata_fields_are_configurable() -> None:
    clock = ManualClock()
    store = InMemoryEventStore(metadata_fields=("tenant", "actor", "region"), clock=clock)
    store.append("cart-1", [ItemAdded(sku="a")], metadata={"tenant": "t-1", "actor": "a-1"})
    store.append("cart-2", [ItemAdded(sku="b")], metadata={"tenant": "t-2", "region": "eu"})

    assert [e.position for e in store.find(EventQuery(metadata={"region": "eu"}))] == [2]
    with pytest.raises(ValidationError, match="organization_id"):
        store.find(EventQuery(metadata={"organization_id": "t-1"}))


def test_events_recorded_with_a_utc_clock_are_in_utc() -> None:
    store = InMemoryEventStore()
    before = datetime.now(UTC)

    store.append("cart-1", [CartOpened(customer="ann")])

    (event,) = store.read_all()
    assert event.recorded_at.utcoffset() == timedelta(0)
    assert event.recorded_at >= before


def test_events_with_the_same_indexed_metadata_share_one_dict_and_others_keep_their_own() -> None:
    store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
    owner = {"organization_id": "org-1", "user_id": "u-1"}
    store.append("cart-1", [CartOpened(customer="ann")], metadata=dict(owner))
    store.append_many(
        [
            AppendRequest(
                stream_id="cart-2", events=[CartOpened(customer="bo")], metadata=dict(owner)
            ),
            AppendRequest(
                stream_id="cart-3",
                events=[CartOpened(customer="cy")],
                metadata={**owner, "ip": "10.0.0.1"},
            ),
            AppendRequest(
                stream_id="cart-4",
                events=[CartOpened(customer="di")],
                metadata={"organization_id": "org-1", "ip": "10.0.0.2"},
            ),
        ]
    )

    first, second, extra, other = store.read_all()
    assert first.metadata is second.metadata
    assert first.metadata == owner
    assert extra.metadata == {**owner, "ip": "10.0.0.1"}
    assert other.metadata == {"organization_id": "org-1", "ip": "10.0.0.2"}
    assert store.count(EventQuery(metadata={"user_id": "u-1"})) == 3


def test_a_bulk_append_mixing_new_streams_longer_batches_and_existing_streams_keeps_order() -> None:
    store = InMemoryEventStore()
    store.append("old", [CartOpened(customer="ann")])

    bulk = store.append_many(
        [
            AppendRequest(stream_id="new-1", events=[CartOpened(customer="bo")]),
            AppendRequest(stream_id="new-2", events=[CartOpened(customer="cy")]),
            AppendRequest(stream_id="old", events=[ItemAdded(sku="a")], expected_version=1),
            AppendRequest(
                stream_id="new-3", events=[CartOpened(customer="di"), ItemAdded(sku="b")]
            ),
            AppendRequest(stream_id="new-4", events=[CartOpened(customer="ed")]),
        ]
    )

    assert bulk.ok
    assert [(e.stream_id, e.version, e.position) for e in store.read_all()] == [
        ("old", 1, 1),
        ("new-1", 1, 2),
        ("new-2", 1, 3),
        ("old", 2, 4),
        ("new-3", 1, 5),
        ("new-3", 2, 6),
        ("new-4", 1, 7),
    ]
    assert [(r.version, r.first_position, r.position) for r in bulk.results.values()] == [
        (1, 2, 2),
        (1, 3, 3),
        (2, 4, 4),
        (2, 5, 6),
        (1, 7, 7),
    ]
    assert [e.version for e in store.read_stream("old")] == [1, 2]
    assert store.stream_version("new-3") == 2


def test_a_registry_that_encodes_its_own_way_encodes_every_appended_event() -> None:
    calls: list[str] = []

    class Counting(EventRegistry):
        def encode(self, event: Event) -> bytes:
            calls.append(type(event).__name__)
            return super().encode(event)

    store = InMemoryEventStore(event_registry=Counting())
    store.append("cart-1", [CartOpened(customer="ann")])
    store.append("cart-1", [ItemAdded(sku="a")])
    store.append_many([AppendRequest(stream_id="cart-2", events=[CartOpened(customer="bo")])])

    assert calls == ["CartOpened", "ItemAdded", "CartOpened"]
    assert [e.data for e in store.read_all()] == [
        CartOpened(customer="ann"),
        ItemAdded(sku="a"),
        CartOpened(customer="bo"),
    ]
