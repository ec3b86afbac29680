"""The EventStore contract: every backend subclasses :class:`EventStoreContract`.

A backend's test class provides one fixture, ``store``, built with the contract's ``clock``
fixture so the time-range tests can place events at chosen instants::

    class TestInMemoryEventStore(EventStoreContract):
        @pytest.fixture
        def store(self, clock: ManualClock) -> InMemoryEventStore:
            return InMemoryEventStore(clock=clock)

The tests use only the public store API (the ``EventStore`` port plus ``count``), so a
journaled or PostgreSQL store passes the same suite. Event statistics and trends are a counter
table's (``event_counts_contract``).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

import pytest

from eventram import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    AppendRequest,
    ConcurrencyError,
    DuplicateEventIdError,
    EmptyBatchError,
    EventFilter,
    EventIndex,
    EventQuery,
    EventStore,
    InvalidExpectedVersionError,
    NewEvent,
    RecordedEvent,
    ValidationError,
)
from eventram.store.ports import CommitListener
from tests.contract.events import CartCheckedOut, CartOpened, ItemAdded, ItemRemoved, NotAnEvent

__all__ = ["T0", "ContractStore", "EventStoreContract", "ManualClock"]

T0 = datetime(2024, 3, 1, tzinfo=UTC)
"""The instant a fresh :class:`ManualClock` reads."""

LIVE_WAIT = 10.0
"""Upper bound for a live subscriber thread to receive an event (a hang guard, not a speed test)."""


class ManualClock:
    """A clock that reads what the test sets; pass it to a store as ``clock=``."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, now: datetime) -> None:
        """Read ``now`` from the next call on."""
        self.now = now

    def advance(self, **delta: float) -> datetime:
        """Move forward by a ``timedelta(**delta)`` and return the new time."""
        self.now += timedelta(**delta)
        return self.now


class ContractStore(EventStore, EventIndex, Protocol):
    """The ports the contract drives, and commit listeners."""

    def add_listener(self, listener: CommitListener) -> None:
        """Call ``listener`` with each batch, in order, once it is visible."""
        ...


def _new(*events: ItemAdded | ItemRemoved | CartOpened | CartCheckedOut) -> list[NewEvent]:
    return [NewEvent(data=e) for e in events]


def _items(n: int, prefix: str = "sku") -> list[ItemAdded]:
    return [ItemAdded(sku=f"{prefix}-{i}") for i in range(n)]


def _positions(events: Sequence[RecordedEvent]) -> list[int]:
    return [e.position for e in events]


def _snapshot(store: ContractStore) -> list[tuple[int, str, int, uuid.UUID]]:
    return [(e.position, e.stream_id, e.version, e.event_id) for e in store.read_all()]


class EventStoreContract:
    """What every event store promises (ARCHITECTURE.md section 2); subclass and add ``store``."""

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock()

    # -- expected versions -----------------------------------------------------------------

    def test_first_append_with_no_stream_starts_the_stream_at_version_one(
        self, store: ContractStore
    ) -> None:
        result = store.append("cart-1", [CartOpened(customer="ann")], NO_STREAM)

        assert (result.stream_id, result.first_version, result.version) == ("cart-1", 1, 1)
        assert (result.first_position, result.position) == (1, 1)
        assert store.stream_version("cart-1") == 1

    def test_append_with_the_exact_current_version_succeeds(self, store: ContractStore) -> None:
        store.append("cart-1", [CartOpened(customer="ann")], NO_STREAM)

        result = store.append("cart-1", _items(2), 1)

        assert (result.first_version, result.version) == (2, 3)
        assert [e.version for e in store.read_stream("cart-1")] == [1, 2, 3]

    def test_expected_version_zero_accepts_a_missing_stream(self, store: ContractStore) -> None:
        result = store.append("cart-1", _items(1), 0)

        assert result.version == 1

    def test_append_with_stale_expected_version_writes_nothing(self, store: ContractStore) -> None:
        store.append("cart-1", _items(3), NO_STREAM)
        before = _snapshot(store)

        with pytest.raises(ConcurrencyError) as caught:
            store.append("cart-1", _items(2, "late"), 1)

        error = caught.value
        assert (error.stream_id, error.actual) == ("cart-1", 3)
        assert "cart-1" in str(error)
        assert "version 1" in str(error)
        assert "version 3" in str(error)
        assert _snapshot(store) == before
        assert store.stream_version("cart-1") == 3
        assert store.last_position() == 3

    def test_expected_version_ahead_of_the_stream_is_a_conflict(self, store: ContractStore) -> None:
        store.append("cart-1", _items(2), NO_STREAM)

        with pytest.raises(ConcurrencyError) as caught:
            store.append("cart-1", _items(1, "x"), 5)

        assert caught.value.actual == 2
        assert store.stream_version("cart-1") == 2

    def test_no_stream_on_an_existing_stream_is_a_conflict(self, store: ContractStore) -> None:
        store.append("cart-1", _items(1), NO_STREAM)

        with pytest.raises(ConcurrencyError) as caught:
            store.append("cart-1", _items(1, "again"), NO_STREAM)

        assert caught.value.actual == 1
        assert "no stream" in str(caught.value)
        assert store.stream_version("cart-1") == 1

    def test_stream_exists_on_a_missing_stream_is_a_conflict(self, store: ContractStore) -> None:
        with pytest.raises(ConcurrencyError) as caught:
            store.append("cart-1", _items(1), STREAM_EXISTS)

        assert caught.value.actual == 0
        assert store.stream_version("cart-1") == 0
        assert store.read_all() == []

    def test_stream_exists_on_an_existing_stream_appends(self, store: ContractStore) -> None:
        store.append("cart-1", _items(1), NO_STREAM)

        result = store.append("cart-1", _items(1, "more"), STREAM_EXISTS)

        assert result.version == 2

    def test_any_appends_whatever_the_stream_version(self, store: ContractStore) -> None:
        first = store.append("cart-1", _items(1), ANY)
        second = store.append("cart-1", _items(2, "more"), ANY)

        assert (first.version, second.first_version, second.version) == (1, 2, 3)

    def test_append_defaults_to_any(self, store: ContractStore) -> None:
        store.append("cart-1", _items(1))
        result = store.append("cart-1", _items(1, "more"))

        assert result.version == 2

    @pytest.mark.parametrize("value", [-4, -100, 1.0, "1", None, True])
    def test_invalid_expected_version_is_refused_and_writes_nothing(
        self, store: ContractStore, value: object
    ) -> None:
        store.append("cart-1", _items(1), NO_STREAM)

        with pytest.raises(InvalidExpectedVersionError) as caught:
            store.append("cart-1", _items(1, "x"), value)  # type: ignore[arg-type]

        assert caught.value.stream_id == "cart-1"
        assert "cart-1" in str(caught.value)
        assert repr(value) in str(caught.value)
        assert store.stream_version("cart-1") == 1
        assert store.last_position() == 1

    # -- bad batches -----------------------------------------------------------------------

    def test_empty_batch_is_refused_with_the_stream_named(self, store: ContractStore) -> None:
        with pytest.raises(EmptyBatchError) as caught:
            store.append("cart-1", [], ANY)

        assert caught.value.stream_id == "cart-1"
        assert "cart-1" in str(caught.value)
        assert store.read_all() == []

    def test_a_non_event_object_in_a_batch_refuses_the_whole_batch(
        self, store: ContractStore
    ) -> None:
        store.append("cart-1", _items(1), NO_STREAM)
        before = _snapshot(store)
        batch: list[object] = [ItemAdded(sku="ok"), NotAnEvent("bad"), ItemAdded(sku="ok-2")]

        with pytest.raises(ValidationError) as caught:
            store.append("cart-1", batch, 1)  # type: ignore[arg-type]

        assert "cart-1" in str(caught.value)
        assert "NotAnEvent" in str(caught.value)
        assert _snapshot(store) == before

    def test_a_plain_dict_is_not_an_event(self, store: ContractStore) -> None:
        with pytest.raises(ValidationError):
            store.append("cart-1", [{"sku": "a"}], ANY)  # type: ignore[list-item]

        assert store.stream_version("cart-1") == 0

    def test_empty_stream_id_is_refused(self, store: ContractStore) -> None:
        with pytest.raises(ValidationError):
            store.append("", _items(1), ANY)

        assert store.read_all() == []

    def test_duplicate_event_ids_inside_one_batch_are_refused(self, store: ContractStore) -> None:
        event_id = uuid.uuid4()
        batch = [
            NewEvent(data=ItemAdded(sku="a"), event_id=event_id),
            NewEvent(data=ItemAdded(sku="b")),
            NewEvent(data=ItemAdded(sku="c"), event_id=event_id),
        ]

        with pytest.raises(DuplicateEventIdError) as caught:
            store.append("cart-1", batch, NO_STREAM)

        assert caught.value.event_ids == (event_id,)
        assert str(event_id) in str(caught.value)
        assert "cart-1" in str(caught.value)
        assert store.read_all() == []

    # -- atomic batches and positions ------------------------------------------------------

    def test_a_batch_takes_consecutive_versions_and_positions(self, store: ContractStore) -> None:
        store.append("cart-1", _items(2), NO_STREAM)
        store.append("cart-2", _items(3), NO_STREAM)

        result = store.append("cart-1", _items(3, "more"), 2)

        assert (result.first_version, result.version) == (3, 5)
        assert (result.first_position, result.position) == (6, 8)
        assert _positions(store.read_stream("cart-1")) == [1, 2, 6, 7, 8]

    def test_positions_are_global_one_based_and_gap_free(self, store: ContractStore) -> None:
        for i in range(10):
            store.append(f"cart-{i % 3}", _items(i % 4 + 1, str(i)), ANY)

        events = store.read_all()

        assert _positions(events) == list(range(1, len(events) + 1))
        assert store.last_position() == len(events) == sum(i % 4 + 1 for i in range(10))

    def test_failed_appends_leave_no_gap_in_positions(self, store: ContractStore) -> None:
        store.append("cart-1", _items(1), NO_STREAM)
        with pytest.raises(ConcurrencyError):
            store.append("cart-1", _items(1, "x"), NO_STREAM)
        with pytest.raises(EmptyBatchError):
            store.append("cart-2", [], ANY)

        result = store.append("cart-2", _items(1, "y"), NO_STREAM)

        assert result.position == 2
        assert _positions(store.read_all()) == [1, 2]

    def test_empty_store_has_position_zero_and_missing_streams_version_zero(
        self, store: ContractStore
    ) -> None:
        assert store.last_position() == 0
        assert store.stream_version("nowhere") == 0
        assert store.read_all() == []

    # -- idempotent retries ----------------------------------------------------------------

    def test_retrying_the_same_batch_returns_the_first_result_and_stores_nothing(
        self, store: ContractStore
    ) -> None:
        batch = _new(CartOpened(customer="ann"), ItemAdded(sku="a"))
        first = store.append("cart-1", batch, NO_STREAM)
        store.append("cart-2", _items(1), NO_STREAM)
        before = _snapshot(store)

        again = store.append("cart-1", batch, NO_STREAM)

        assert again == first
        assert _snapshot(store) == before

    def test_a_retry_is_recognised_even_after_the_stream_moved_on(
        self, store: ContractStore
    ) -> None:
        batch = _new(ItemAdded(sku="a"))
        first = store.append("cart-1", batch, NO_STREAM)
        store.append("cart-1", _items(2, "later"), 1)

        again = store.append("cart-1", batch, NO_STREAM)

        assert again == first
        assert store.stream_version("cart-1") == 3

    def test_an_event_id_already_stored_by_another_batch_is_refused(
        self, store: ContractStore
    ) -> None:
        stored = NewEvent(data=ItemAdded(sku="a"))
        store.append("cart-1", [stored], NO_STREAM)
        before = _snapshot(store)

        with pytest.raises(DuplicateEventIdError) as caught:
            store.append("cart-1", [NewEvent(data=ItemAdded(sku="b")), stored], 1)

        assert caught.value.event_ids == (stored.event_id,)
        assert str(stored.event_id) in str(caught.value)
        assert _snapshot(store) == before

    def test_a_partial_retry_is_refused(self, store: ContractStore) -> None:
        batch = _new(ItemAdded(sku="a"), ItemAdded(sku="b"))
        store.append("cart-1", batch, NO_STREAM)

        with pytest.raises(DuplicateEventIdError):
            store.append("cart-1", batch[:1], NO_STREAM)

        assert store.stream_version("cart-1") == 2

    def test_a_retry_in_another_order_is_refused(self, store: ContractStore) -> None:
        batch = _new(ItemAdded(sku="a"), ItemAdded(sku="b"))
        store.append("cart-1", batch, NO_STREAM)

        with pytest.raises(DuplicateEventIdError):
            store.append("cart-1", batch[::-1], NO_STREAM)

        assert store.stream_version("cart-1") == 2

    def test_stored_event_ids_sent_to_another_stream_are_refused(
        self, store: ContractStore
    ) -> None:
        batch = _new(ItemAdded(sku="a"))
        store.append("cart-1", batch, NO_STREAM)

        with pytest.raises(DuplicateEventIdError) as caught:
            store.append("cart-2", batch, NO_STREAM)

        assert "cart-2" in str(caught.value)
        assert store.stream_version("cart-2") == 0

    # -- the envelope ----------------------------------------------------------------------

    def test_recorded_events_carry_the_whole_envelope(
        self, store: ContractStore, clock: ManualClock
    ) -> None:
        opened = NewEvent(data=CartOpened(customer="ann"), metadata={"user_id": "u-2"})
        store.append(
            "cart-1",
            [opened, NewEvent(data=ItemAdded(sku="a", quantity=2))],
            NO_STREAM,
            stream_type="Cart",
            metadata={"organization_id": "org-1", "user_id": "u-1"},
            correlation_id="corr-1",
            causation_id="cmd-1",
        )

        first, second = store.read_stream("cart-1")

        assert first.event_id == opened.event_id
        assert (first.stream_id, first.stream_type, first.version) == ("cart-1", "Cart", 1)
        assert first.event_type == "test.CartOpened"
        assert first.data == CartOpened(customer="ann")
        assert second.data == ItemAdded(sku="a", quantity=2)
        assert (first.correlation_id, first.causation_id) == ("corr-1", "cmd-1")
        assert dict(first.metadata) == {"organization_id": "org-1", "user_id": "u-2"}
        assert dict(second.metadata) == {"organization_id": "org-1", "user_id": "u-1"}
        assert first.recorded_at == clock.now
        assert first.recorded_at.utcoffset() == timedelta(0)

    def test_later_batches_keep_the_stream_type_of_the_stream(self, store: ContractStore) -> None:
        store.append("cart-1", _items(1), NO_STREAM, stream_type="Cart")

        store.append("cart-1", _items(1, "more"), 1)

        assert [e.stream_type for e in store.read_stream("cart-1")] == ["Cart", "Cart"]

    # -- read_stream -----------------------------------------------------------------------

    def test_reading_a_missing_stream_returns_nothing(self, store: ContractStore) -> None:
        store.append("cart-1", _items(1), NO_STREAM)

        assert store.read_stream("cart-404") == []
        assert store.read_stream("cart-404", backwards=True) == []

    def test_read_stream_from_a_version_with_a_limit(self, store: ContractStore) -> None:
        store.append("cart-1", _items(5), NO_STREAM)
        store.append("cart-2", _items(2), NO_STREAM)

        events = store.read_stream("cart-1", 2, 3)

        assert [e.version for e in events] == [2, 3, 4]
        assert {e.stream_id for e in events} == {"cart-1"}
        assert [e.version for e in store.read_stream("cart-1", 4)] == [4, 5]
        assert store.read_stream("cart-1", 6) == []
        assert store.read_stream("cart-1", 1, 0) == []

    def test_read_stream_backwards_from_the_end_or_a_version(self, store: ContractStore) -> None:
        store.append("cart-1", _items(5), NO_STREAM)

        assert [e.version for e in store.read_stream("cart-1", 0, backwards=True)] == [
            5,
            4,
            3,
            2,
            1,
        ]
        assert [e.version for e in store.read_stream("cart-1", 4, 2, backwards=True)] == [4, 3]
        assert [e.version for e in store.read_stream("cart-1", 99, 2, backwards=True)] == [5, 4]

    def test_read_stream_with_a_negative_limit_is_refused(self, store: ContractStore) -> None:
        with pytest.raises(ValidationError):
            store.read_stream("cart-1", 1, -1)

    # -- read_all --------------------------------------------------------------------------

    def test_read_all_after_a_position_with_a_limit(self, store: ContractStore) -> None:
        store.append("cart-1", _items(4), NO_STREAM)
        store.append("cart-2", _items(4), NO_STREAM)

        assert _positions(store.read_all(3, 4)) == [4, 5, 6, 7]
        assert _positions(store.read_all(6)) == [7, 8]
        assert store.read_all(8) == []
        assert store.read_all(0, 0) == []

    def test_read_all_filters_by_event_type_and_stream_type(self, store: ContractStore) -> None:
        store.append("cart-1", [CartOpened(customer="a"), ItemAdded(sku="x")], stream_type="Cart")
        store.append("order-1", [ItemAdded(sku="y"), ItemRemoved(sku="y")], stream_type="Order")
        store.append("cart-2", [ItemRemoved(sku="z")], stream_type="Cart")

        added = store.read_all(filter=EventFilter(event_types=frozenset({"test.ItemAdded"})))
        carts = store.read_all(filter=EventFilter(stream_types=frozenset({"Cart"})))
        both = store.read_all(
            filter=EventFilter(
                event_types=frozenset({"test.ItemAdded", "test.ItemRemoved"}),
                stream_types=frozenset({"Order"}),
            )
        )

        assert _positions(added) == [2, 3]
        assert _positions(carts) == [1, 2, 5]
        assert _positions(both) == [3, 4]
        assert _positions(store.read_all(2, 1, EventFilter(stream_types=frozenset({"Cart"})))) == [
            5
        ]

    def test_read_all_with_an_empty_filter_reads_everything(self, store: ContractStore) -> None:
        store.append("cart-1", [CartOpened(customer="a"), ItemAdded(sku="x")], stream_type="Cart")
        empty = EventFilter(event_types=frozenset(), stream_types=frozenset())

        events = store.read_all(filter=empty)

        assert _positions(events) == [1, 2]
        assert all(empty.matches(e) for e in events)

    def test_a_filter_matches_what_read_all_returns(self, store: ContractStore) -> None:
        store.append("cart-1", [CartOpened(customer="a"), ItemAdded(sku="x")], stream_type="Cart")
        store.append("order-1", [ItemAdded(sku="y")], stream_type="Order")
        only = EventFilter(event_types=frozenset({"test.ItemAdded"}), stream_types=None)

        assert store.read_all(filter=only) == [e for e in store.read_all() if only.matches(e)]

    def test_negative_limits_are_refused(self, store: ContractStore) -> None:
        store.append("cart-1", _items(2), NO_STREAM)

        with pytest.raises(ValidationError):
            store.read_all(0, -1)
        with pytest.raises(ValidationError):
            store.find(EventQuery(limit=-1))

    # -- find and count --------------------------------------------------------------------

    def _populate(self, store: ContractStore) -> None:
        """Nine events over three streams with varied types, ids and metadata."""
        org_a = {"organization_id": "org-a", "user_id": "u-1"}
        org_b = {"organization_id": "org-b", "user_id": "u-2"}
        store.append(
            "cart-1",
            [CartOpened(customer="ann"), ItemAdded(sku="x")],
            stream_type="Cart",
            metadata=org_a,
            correlation_id="c-1",
            causation_id="cmd-1",
        )  # positions 1, 2
        store.append(
            "order-1",
            [ItemAdded(sku="y"), ItemRemoved(sku="y")],
            stream_type="Order",
            metadata=org_b,
            correlation_id="c-2",
            causation_id="cmd-2",
        )  # 3, 4
        store.append(
            "cart-1",
            [ItemAdded(sku="z"), CartCheckedOut()],
            metadata={"organization_id": "org-a", "user_id": "u-3"},
            correlation_id="c-1",
            causation_id="cmd-3",
        )  # 5, 6
        store.append(
            "cart-2",
            [CartOpened(customer="bob"), ItemAdded(sku="w"), ItemAdded(sku="v")],
            stream_type="Cart",
            metadata=org_b,
        )  # 7, 8, 9

    def test_find_by_event_type(self, store: ContractStore) -> None:
        self._populate(store)

        assert _positions(store.find(EventQuery(event_types=["test.ItemAdded"]))) == [2, 3, 5, 8, 9]
        assert _positions(
            store.find(EventQuery(event_types=["test.CartOpened", "test.CartCheckedOut"]))
        ) == [
            1,
            6,
            7,
        ]
        assert store.find(EventQuery(event_types=["test.Unknown"])) == []

    def test_find_by_stream_type(self, store: ContractStore) -> None:
        self._populate(store)

        assert _positions(store.find(EventQuery(stream_types=["Order"]))) == [3, 4]
        assert _positions(store.find(EventQuery(stream_types=["Cart"]))) == [1, 2, 5, 6, 7, 8, 9]

    def test_find_by_correlation_and_causation_id(self, store: ContractStore) -> None:
        self._populate(store)

        assert _positions(store.find(EventQuery(correlation_id="c-1"))) == [1, 2, 5, 6]
        assert _positions(store.find(EventQuery(causation_id="cmd-2"))) == [3, 4]
        assert store.find(EventQuery(correlation_id="c-404")) == []

    def test_find_by_metadata_fields(self, store: ContractStore) -> None:
        self._populate(store)

        assert _positions(store.find(EventQuery(metadata={"organization_id": "org-b"}))) == [
            3,
            4,
            7,
            8,
            9,
        ]
        assert _positions(store.find(EventQuery(metadata={"user_id": "u-3"}))) == [5, 6]

    def test_combined_filters_intersect(self, store: ContractStore) -> None:
        self._populate(store)

        found = store.find(
            EventQuery(
                event_types=["test.ItemAdded"],
                stream_types=["Cart"],
                metadata={"organization_id": "org-a"},
            )
        )
        narrower = store.find(
            EventQuery(event_types=["test.ItemAdded"], correlation_id="c-1", causation_id="cmd-3")
        )
        empty = store.find(
            EventQuery(event_types=["test.ItemRemoved"], metadata={"organization_id": "org-a"})
        )

        assert _positions(found) == [2, 5]
        assert _positions(narrower) == [5]
        assert empty == []

    def test_find_pages_with_a_limit_and_an_after_position_cursor(
        self, store: ContractStore
    ) -> None:
        self._populate(store)
        pages: list[list[int]] = []
        cursor = 0

        while page := store.find(EventQuery(stream_types=["Cart"], after_position=cursor, limit=3)):
            pages.append(_positions(page))
            cursor = page[-1].position

        assert pages == [[1, 2, 5], [6, 7, 8], [9]]

    def test_find_without_criteria_returns_the_log_in_order(self, store: ContractStore) -> None:
        self._populate(store)

        assert _positions(store.find(EventQuery(limit=None))) == list(range(1, 10))
        assert _positions(store.find(EventQuery(limit=4))) == [1, 2, 3, 4]
        assert store.find(EventQuery(limit=0)) == []

    def test_find_on_an_unindexed_metadata_field_is_refused(self, store: ContractStore) -> None:
        self._populate(store)

        with pytest.raises(ValidationError) as caught:
            store.find(EventQuery(metadata={"favourite_colour": "blue"}))

        assert "favourite_colour" in str(caught.value)

    def test_find_with_a_naive_datetime_is_refused(self, store: ContractStore) -> None:
        with pytest.raises(ValidationError):
            store.find(EventQuery(since=datetime(2024, 1, 1)))

    def test_count_matches_find_without_a_limit(self, store: ContractStore) -> None:
        self._populate(store)

        assert store.count(EventQuery()) == 9
        assert store.count(EventQuery(event_types=["test.ItemAdded"])) == 5
        assert (
            store.count(EventQuery(stream_types=["Cart"], metadata={"organization_id": "org-b"}))
            == 3
        )
        assert store.count(EventQuery(correlation_id="c-404")) == 0

    # -- time ranges -----------------------------------------------------------------------

    def _at(self, store: ContractStore, clock: ManualClock, when: datetime, **meta: str) -> None:
        clock.set(when)
        store.append(f"cart-{when.isoformat()}", [ItemAdded(sku="t")], metadata=meta or None)

    def test_find_by_time_range_includes_both_ends(
        self, store: ContractStore, clock: ManualClock
    ) -> None:
        for minutes in (0, 10, 20, 30, 40):
            self._at(store, clock, T0 + timedelta(minutes=minutes))

        found = store.find(
            EventQuery(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=30))
        )

        assert _positions(found) == [2, 3, 4]
        assert _positions(store.find(EventQuery(since=T0 + timedelta(minutes=35)))) == [5]
        assert _positions(store.find(EventQuery(until=T0 + timedelta(minutes=5)))) == [1]
        assert store.find(EventQuery(since=T0 + timedelta(hours=1))) == []
        assert store.count(EventQuery(since=T0 + timedelta(minutes=20))) == 3

    def test_time_range_combines_with_other_filters(
        self, store: ContractStore, clock: ManualClock
    ) -> None:
        for minutes, org in ((0, "org-a"), (10, "org-b"), (20, "org-a"), (30, "org-a")):
            self._at(store, clock, T0 + timedelta(minutes=minutes), organization_id=org)

        found = store.find(
            EventQuery(
                metadata={"organization_id": "org-a"},
                since=T0 + timedelta(minutes=5),
                until=T0 + timedelta(minutes=25),
            )
        )

        assert _positions(found) == [3]

    def test_a_clock_stepping_back_keeps_the_log_time_ordered(
        self, store: ContractStore, clock: ManualClock
    ) -> None:
        self._at(store, clock, T0 + timedelta(minutes=10))
        self._at(store, clock, T0)  # the clock stepped back

        times = [e.recorded_at for e in store.read_all()]

        assert times == sorted(times)
        assert _positions(store.find(EventQuery(since=T0 + timedelta(minutes=10)))) == [1, 2]

    # -- subscriptions ---------------------------------------------------------------------

    def _take(self, subscription: Iterator[RecordedEvent], n: int) -> list[RecordedEvent]:
        return [next(subscription) for _ in range(n)]

    def test_a_subscription_catches_up_then_follows_live(self, store: ContractStore) -> None:
        store.append("cart-1", _items(3), NO_STREAM)
        subscription = store.subscribe()

        caught_up = self._take(subscription, 3)
        store.append("cart-2", _items(2, "live"), NO_STREAM)
        live = self._take(subscription, 2)

        assert _positions(caught_up) == [1, 2, 3]
        assert _positions(live) == [4, 5]
        assert [e.stream_id for e in live] == ["cart-2", "cart-2"]

    def test_a_waiting_subscriber_wakes_up_for_a_new_event(self, store: ContractStore) -> None:
        subscription = store.subscribe()
        received: list[RecordedEvent] = []
        consumer = threading.Thread(target=lambda: received.append(next(subscription)), daemon=True)
        consumer.start()

        store.append("cart-1", [CartOpened(customer="ann")], NO_STREAM)
        consumer.join(LIVE_WAIT)

        assert not consumer.is_alive(), "the subscriber never received the live event"
        assert _positions(received) == [1]

    def test_a_subscription_starts_after_the_given_position(self, store: ContractStore) -> None:
        store.append("cart-1", _items(5), NO_STREAM)

        assert _positions(self._take(store.subscribe(after_position=3), 2)) == [4, 5]

    def test_a_filtered_subscription_yields_only_matching_events_in_order(
        self, store: ContractStore
    ) -> None:
        self._populate(store)
        subscription = store.subscribe(
            filter=EventFilter(event_types=frozenset({"test.CartOpened", "test.ItemRemoved"}))
        )

        first = self._take(subscription, 3)
        store.append("order-2", [ItemAdded(sku="q"), ItemRemoved(sku="q")], stream_type="Order")
        live = self._take(subscription, 1)

        assert _positions(first) == [1, 4, 7]
        assert _positions(live) == [11]

    def test_a_subscription_never_skips_across_many_streams(self, store: ContractStore) -> None:
        subscription = store.subscribe()
        for i in range(60):
            store.append(f"cart-{i % 7}", _items(i % 3 + 1, str(i)), ANY)
        total = store.last_position()

        events = self._take(subscription, total)

        assert _positions(events) == list(range(1, total + 1))
        assert events == store.read_all()

    def test_a_slow_subscriber_does_not_block_appends(self, store: ContractStore) -> None:
        subscription = store.subscribe()
        store.append("cart-1", _items(1), NO_STREAM)
        self._take(subscription, 1)

        for i in range(2000):  # the subscriber reads nothing meanwhile
            store.append(f"cart-{i}", [ItemAdded(sku=str(i))], ANY)

        assert store.last_position() == 2001
        assert _positions(self._take(subscription, 2000)) == list(range(2, 2002))

    def test_a_subscriber_that_failed_resumes_from_its_last_position(
        self, store: ContractStore
    ) -> None:
        store.append("cart-1", _items(6), NO_STREAM)
        subscription = store.subscribe()
        handled: list[int] = []

        def handle(event: RecordedEvent) -> None:
            if event.position == 4:
                raise RuntimeError("the consumer crashed")
            handled.append(event.position)

        def consume() -> None:
            for event in subscription:
                handle(event)

        with pytest.raises(RuntimeError):
            consume()
        store.append("cart-1", _items(1, "later"), 6)
        resumed = store.subscribe(after_position=handled[-1])

        assert handled == [1, 2, 3]
        assert _positions(self._take(resumed, 4)) == [4, 5, 6, 7]

    # -- bulk append -----------------------------------------------------------------------

    def test_append_many_appends_each_stream_atomically(self, store: ContractStore) -> None:
        store.append("cart-1", _items(1), NO_STREAM)

        bulk = store.append_many(
            [
                AppendRequest(stream_id="cart-1", events=_items(2, "a"), expected_version=1),
                AppendRequest(
                    stream_id="cart-2", events=_items(3, "b"), expected_version=NO_STREAM
                ),
                AppendRequest(stream_id="cart-3", events=_items(1, "c"), stream_type="Cart"),
            ]
        )

        assert bulk.ok
        assert bulk.errors == {}
        assert bulk.results["cart-1"].version == 3
        assert bulk.results["cart-2"].version == 3
        assert bulk.results["cart-3"].version == 1
        assert _positions(store.read_all()) == list(range(1, 8))
        assert [e.version for e in store.read_stream("cart-2")] == [1, 2, 3]
        assert store.read_stream("cart-3")[0].stream_type == "Cart"

    def test_append_many_reports_errors_per_stream_and_keeps_the_others(
        self, store: ContractStore
    ) -> None:
        store.append("cart-1", _items(2), NO_STREAM)
        before = store.read_stream("cart-1")

        bulk = store.append_many(
            [
                AppendRequest(stream_id="cart-1", events=_items(1, "a"), expected_version=1),
                AppendRequest(
                    stream_id="cart-2", events=_items(2, "b"), expected_version=NO_STREAM
                ),
                AppendRequest(stream_id="cart-3", events=[]),
                AppendRequest(
                    stream_id="cart-4", events=_items(1, "d"), expected_version=STREAM_EXISTS
                ),
            ]
        )

        assert not bulk.ok
        assert set(bulk.errors) == {"cart-1", "cart-3", "cart-4"}
        assert isinstance(bulk.errors["cart-1"], ConcurrencyError)
        assert isinstance(bulk.errors["cart-3"], EmptyBatchError)
        assert isinstance(bulk.errors["cart-4"], ConcurrencyError)
        assert set(bulk.results) == {"cart-2"}
        assert store.read_stream("cart-1") == before
        assert [e.version for e in store.read_stream("cart-2")] == [1, 2]
        assert store.stream_version("cart-3") == store.stream_version("cart-4") == 0
        assert _positions(store.read_all()) == [1, 2, 3, 4]

    def test_append_many_refuses_a_stream_named_twice(self, store: ContractStore) -> None:
        bulk = store.append_many(
            [
                AppendRequest(stream_id="cart-1", events=_items(1, "a")),
                AppendRequest(stream_id="cart-1", events=_items(1, "b")),
            ]
        )

        assert isinstance(bulk.errors["cart-1"], ValidationError)
        assert store.stream_version("cart-1") <= 1
        assert [e.data for e in store.read_stream("cart-1")] in ([], [ItemAdded(sku="a-0")])

    def test_append_many_refuses_an_event_id_shared_by_two_streams(
        self, store: ContractStore
    ) -> None:
        shared = NewEvent(data=ItemAdded(sku="s"))

        bulk = store.append_many(
            [
                AppendRequest(stream_id="cart-1", events=[shared]),
                AppendRequest(stream_id="cart-2", events=[shared]),
            ]
        )

        assert set(bulk.results) == {"cart-1"}
        assert isinstance(bulk.errors["cart-2"], DuplicateEventIdError)
        assert store.stream_version("cart-2") == 0

    def test_append_many_retry_returns_the_first_results(self, store: ContractStore) -> None:
        requests = [
            AppendRequest(
                stream_id="cart-1", events=_new(*_items(2, "a")), expected_version=NO_STREAM
            ),
            AppendRequest(
                stream_id="cart-2", events=_new(*_items(1, "b")), expected_version=NO_STREAM
            ),
        ]
        first = store.append_many(requests)

        again = store.append_many(requests)

        assert again.results == first.results
        assert again.ok
        assert store.last_position() == 3

    def test_append_many_with_nothing_to_do_changes_nothing(self, store: ContractStore) -> None:
        bulk = store.append_many([])

        assert bulk.ok
        assert bulk.results == {}
        assert store.last_position() == 0

    # -- listeners -------------------------------------------------------------------------

    def test_listeners_get_each_batch_in_order_once_it_is_visible(
        self, store: ContractStore
    ) -> None:
        seen: list[list[int]] = []
        visible_when_called: list[bool] = []

        def listener(batch: Sequence[RecordedEvent]) -> None:
            seen.append(_positions(batch))
            visible_when_called.append(store.last_position() >= batch[-1].position)

        store.add_listener(listener)
        store.append("cart-1", _items(2), NO_STREAM)
        store.append("cart-2", _items(1), NO_STREAM)
        store.append_many(
            [
                AppendRequest(stream_id="cart-3", events=_items(2, "a")),
                AppendRequest(stream_id="cart-4", events=_items(1, "b")),
            ]
        )

        assert seen == [[1, 2], [3], [4, 5], [6]]
        assert all(visible_when_called)

    def test_listeners_are_called_in_registration_order(self, store: ContractStore) -> None:
        calls: list[str] = []
        store.add_listener(lambda batch: calls.append("first"))
        store.add_listener(lambda batch: calls.append("second"))

        store.append("cart-1", _items(1), NO_STREAM)

        assert calls == ["first", "second"]

    def test_listeners_hear_nothing_of_failed_appends_or_retries(
        self, store: ContractStore
    ) -> None:
        batches: list[Sequence[RecordedEvent]] = []
        batch = _new(ItemAdded(sku="a"))
        store.append("cart-1", batch, NO_STREAM)
        store.add_listener(batches.append)

        store.append("cart-1", batch, NO_STREAM)  # an idempotent retry
        with pytest.raises(ConcurrencyError):
            store.append("cart-1", _items(1, "b"), NO_STREAM)

        assert batches == []
