"""The envelope: what a stored event carries, how it reads back, and fresh event ids."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from eventram import NO_STREAM, InMemoryEventStore, NewEvent
from eventram.envelope import from_epoch_us, new_event_int, to_epoch_us
from tests.contract.event_store_contract import ManualClock
from tests.contract.events import ItemAdded

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


@given(st.datetimes(timezones=st.just(UTC)))
def test_a_time_kept_in_microseconds_reads_back_as_the_same_utc_datetime(when: datetime) -> None:
    assert from_epoch_us(to_epoch_us(when)) == when
    assert from_epoch_us(to_epoch_us(when)).utcoffset() == timedelta(0)


def test_times_at_the_edges_of_the_fast_conversion_read_back_exactly() -> None:
    edge = (1 << 32) * 1_000_000
    for us in (edge - 1, edge, edge + 1, -edge - 1, -edge, -edge + 1, 0, 1, -1):
        assert from_epoch_us(us) == EPOCH + timedelta(microseconds=us)


def test_an_envelope_gives_its_id_as_a_uuid_and_its_time_as_a_utc_datetime() -> None:
    when = datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    store = InMemoryEventStore(clock=ManualClock(when))
    new = NewEvent(data=ItemAdded(sku="tea"))
    store.append("cart-1", [new], NO_STREAM)

    (event,) = store.read_stream("cart-1")

    assert event.event_id == new.event_id
    assert isinstance(event.event_id, uuid.UUID)
    assert event.recorded_at == when
    assert event.recorded_at.tzinfo is UTC


def test_event_ids_as_integers_are_distinct_random_version_4_uuids() -> None:
    ids = [new_event_int() for _ in range(2_000)]

    assert len(set(ids)) == len(ids)
    assert {uuid.UUID(int=i).version for i in ids} == {4}
    assert {uuid.UUID(int=i).variant for i in ids} == {uuid.RFC_4122}


def test_event_ids_do_not_repeat_when_the_application_seeds_random() -> None:
    random.seed(7)
    first = [new_event_int() for _ in range(100)]
    random.seed(7)
    again = [new_event_int() for _ in range(100)]

    assert not set(first) & set(again)
