"""Repository: load by replay or snapshot + tail, save with the expected version, a fresh cache."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import msgspec
import pytest

from eventram import (
    ANY,
    NO_STREAM,
    Aggregate,
    AppendResult,
    ConcurrencyError,
    Event,
    InMemoryEventStore,
    InMemorySnapshotStore,
    InvalidExpectedVersionError,
    NotFoundError,
    RecordedEvent,
    Repository,
    Snapshot,
    ValidationError,
    message_context,
)
from eventram.store.ports import EventLike
from tests.contract.events import Cart, CartCheckedOut, CartOpened, ItemAdded


class ReadSpy:
    """An event store that records the ``read_stream`` calls made through it."""

    def __init__(self, store: InMemoryEventStore) -> None:
        self.store = store
        self.reads: list[tuple[str, int]] = []

    def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        limit: int | None = None,
        *,
        backwards: bool = False,
    ) -> list[RecordedEvent]:
        self.reads.append((stream_id, from_version))
        return self.store.read_stream(stream_id, from_version, limit, backwards=backwards)

    def append(
        self,
        stream_id: str,
        events: Sequence[EventLike],
        expected_version: int = -3,
        *,
        stream_type: str = "",
        metadata: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> AppendResult:
        return self.store.append(
            stream_id,
            events,
            expected_version,
            stream_type=stream_type,
            metadata=metadata,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


@pytest.fixture
def carts(store: InMemoryEventStore) -> Repository[Cart]:
    return Repository(store, Cart)


def _open(carts: Repository[Cart], cart_id: str = "cart-1", *skus: str) -> Cart:
    cart = Cart.open(cart_id, "ann")
    for sku in skus:
        cart.add(sku)
    carts.save(cart)
    return cart


# -- load ------------------------------------------------------------------------------------


def test_load_replays_the_stream(store: InMemoryEventStore, carts: Repository[Cart]) -> None:
    store.append(
        "cart-1",
        [CartOpened(customer="ann"), ItemAdded(sku="tea", quantity=2), ItemAdded(sku="jam")],
        NO_STREAM,
    )

    cart = carts.load("cart-1")

    assert (cart.id, cart.version, cart.customer) == ("cart-1", 3, "ann")
    assert cart.items == {"tea": 2, "jam": 1}
    assert cart.pending_events == []


def test_loading_a_missing_aggregate_is_not_found(carts: Repository[Cart]) -> None:
    with pytest.raises(NotFoundError) as caught:
        carts.load("cart-404")

    assert (caught.value.kind, caught.value.key) == ("Cart", "cart-404")
    assert "cart-404" in str(caught.value)
    assert carts.get("cart-404") is None


# -- save ------------------------------------------------------------------------------------


def test_save_appends_the_pending_events_with_the_stream_type(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    cart = Cart.open("cart-1", "ann")
    cart.add("tea")

    result = carts.save(cart)

    assert result is not None
    assert (result.first_version, result.version) == (1, 2)
    assert cart.pending_events == []
    assert (cart.version, cart.saved_version) == (2, 2)
    assert [(e.stream_type, e.data) for e in store.read_stream("cart-1")] == [
        ("Cart", CartOpened(customer="ann")),
        ("Cart", ItemAdded(sku="tea")),
    ]


def test_saving_nothing_appends_nothing(store: InMemoryEventStore, carts: Repository[Cart]) -> None:
    _open(carts)
    cart = carts.load("cart-1")

    assert carts.save(cart) is None
    assert store.last_position() == 1


def test_a_new_aggregate_is_saved_only_if_its_stream_does_not_exist(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    _open(carts)

    with pytest.raises(ConcurrencyError) as caught:
        carts.save(Cart.open("cart-1", "bob"))

    assert caught.value.actual == 1
    assert [e.data for e in store.read_stream("cart-1")] == [CartOpened(customer="ann")]


def test_save_expects_the_version_the_aggregate_was_loaded_at(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    _open(carts, "cart-1", "tea")
    mine = carts.load("cart-1")
    theirs = Repository(store, Cart).load("cart-1")
    theirs.add("jam")
    Repository(store, Cart).save(theirs)

    mine.add("cake")
    with pytest.raises(ConcurrencyError) as caught:
        carts.save(mine)

    assert (caught.value.stream_id, caught.value.actual) == ("cart-1", 3)
    assert "version 2" in str(caught.value)
    assert [e.data for e in store.read_stream("cart-1", 3)] == [ItemAdded(sku="jam")]


def test_a_conflict_evicts_the_cached_aggregate_so_a_retry_sees_the_other_write(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    _open(carts, "cart-1", "tea")
    stale = carts.load("cart-1")
    store.append("cart-1", [ItemAdded(sku="jam")], 2)
    stale.add("cake")
    with pytest.raises(ConcurrencyError):
        carts.save(stale)

    retried = carts.load("cart-1")
    retried.add("cake")
    carts.save(retried)

    assert retried is not stale
    assert carts.load("cart-1").items == {"tea": 1, "jam": 1, "cake": 1}


def test_save_with_the_callers_expected_version_appends_when_the_stream_is_at_it(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    _open(carts, "cart-1", "tea")
    cart = carts.load("cart-1")
    cart.add("cake")

    result = carts.save(cart, expected_version=2)

    assert result is not None
    assert result.version == 3
    assert [e.data for e in store.read_stream("cart-1", 3)] == [ItemAdded(sku="cake")]


def test_save_with_a_stale_expected_version_raises_and_writes_nothing(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    _open(carts, "cart-1", "tea")
    cart = carts.load("cart-1")
    cart.add("cake")

    with pytest.raises(ConcurrencyError) as caught:
        carts.save(cart, expected_version=1)

    assert (caught.value.stream_id, caught.value.actual) == ("cart-1", 2)
    assert "version 1" in str(caught.value)
    assert store.stream_version("cart-1") == 2


def test_the_expected_version_is_checked_by_the_append_itself_not_by_the_load(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    _open(carts, "cart-1", "tea")
    cart = carts.load("cart-1")  # at version 2, as the caller expects
    store.append("cart-1", [ItemAdded(sku="jam")], 2)  # another writer, after the load
    cart.add("cake")

    with pytest.raises(ConcurrencyError) as caught:
        carts.save(cart, expected_version=2)

    assert caught.value.actual == 3
    assert [e.data for e in store.read_stream("cart-1", 3)] == [ItemAdded(sku="jam")]


@pytest.mark.parametrize("bad", [-1, ANY, True, "2"])
def test_an_expected_version_that_is_not_a_version_is_refused(
    store: InMemoryEventStore, carts: Repository[Cart], bad: object
) -> None:
    _open(carts, "cart-1", "tea")
    cart = carts.load("cart-1")
    cart.add("cake")

    with pytest.raises(InvalidExpectedVersionError):
        carts.save(cart, expected_version=bad)  # type: ignore[arg-type]

    assert store.stream_version("cart-1") == 2


def test_events_carry_the_message_context_and_extra_metadata(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    cart = Cart.open("cart-1", "ann")

    with message_context(
        correlation_id="corr-1", causation_id="cmd-1", metadata={"organization_id": "org-1"}
    ):
        carts.save(cart, metadata={"user_id": "u-1"})

    (event,) = store.read_stream("cart-1")
    assert (event.correlation_id, event.causation_id) == ("corr-1", "cmd-1")
    assert dict(event.metadata) == {"organization_id": "org-1", "user_id": "u-1"}


# -- the cache -------------------------------------------------------------------------------


def test_a_saved_aggregate_is_served_from_the_cache(carts: Repository[Cart]) -> None:
    saved = _open(carts, "cart-1", "tea")

    assert carts.load("cart-1") is saved


def test_a_cached_aggregate_is_brought_up_to_date_with_other_writers(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    saved = _open(carts, "cart-1", "tea")
    store.append("cart-1", [ItemAdded(sku="jam"), CartCheckedOut()], 2)

    loaded = carts.load("cart-1")

    assert loaded is saved
    assert loaded.version == 4
    assert loaded.items == {"tea": 1, "jam": 1}
    assert loaded.checked_out


def test_two_loads_without_a_save_never_share_an_instance(carts: Repository[Cart]) -> None:
    _open(carts)

    first = carts.load("cart-1")
    second = carts.load("cart-1")

    assert first is not second
    assert first.version == second.version == 1


def test_events_recorded_but_never_saved_do_not_leak_into_the_next_load(
    store: InMemoryEventStore, carts: Repository[Cart]
) -> None:
    cart = _open(carts, "cart-1", "tea")
    cart.add("never-saved")  # the caller kept the instance and recorded without saving

    loaded = carts.load("cart-1")

    assert loaded.items == {"tea": 1}
    assert loaded.version == store.stream_version("cart-1") == 2


def test_the_cache_forgets_the_least_recently_used_aggregates(store: InMemoryEventStore) -> None:
    carts: Repository[Cart] = Repository(store, Cart, cache_size=2)
    first = _open(carts, "cart-1")
    second = _open(carts, "cart-2")
    _open(carts, "cart-3")

    assert carts.load("cart-2") is second
    assert carts.load("cart-1") is not first


def test_a_zero_size_cache_always_replays(store: InMemoryEventStore) -> None:
    carts: Repository[Cart] = Repository(store, Cart, cache_size=0)
    saved = _open(carts)

    assert carts.load("cart-1") is not saved


def test_evict_drops_a_cached_aggregate(carts: Repository[Cart]) -> None:
    saved = _open(carts)

    carts.evict("cart-1")

    assert carts.load("cart-1") is not saved


# -- snapshots -------------------------------------------------------------------------------


def _snapshotting(
    store: InMemoryEventStore, snapshots: InMemorySnapshotStore, every: int = 3
) -> Repository[Cart]:
    return Repository(store, Cart, snapshots=snapshots, snapshot_every=every, cache_size=0)


def test_a_snapshot_is_taken_every_n_events(store: InMemoryEventStore) -> None:
    snapshots = InMemorySnapshotStore()
    carts = _snapshotting(store, snapshots)
    cart = Cart.open("cart-1", "ann")
    carts.save(cart)  # version 1
    assert snapshots.get("cart-1") is None

    for version, sku in enumerate(["a", "b", "c", "d", "e"], start=2):
        cart = carts.load("cart-1")
        cart.add(sku)
        carts.save(cart)
        taken = snapshots.get("cart-1")
        assert (taken.version if taken else None) == (None if version < 3 else version // 3 * 3)


def test_a_save_crossing_a_multiple_of_n_takes_a_snapshot(store: InMemoryEventStore) -> None:
    snapshots = InMemorySnapshotStore()
    carts = _snapshotting(store, snapshots, every=3)
    cart = Cart.open("cart-1", "ann")
    cart.add("a")
    carts.save(cart)  # version 2
    cart = carts.load("cart-1")
    cart.add("b")
    cart.add("c")

    carts.save(cart)  # 2 -> 4 crosses 3

    taken = snapshots.get("cart-1")
    assert taken is not None
    assert (taken.stream_id, taken.stream_type, taken.version) == ("cart-1", "Cart", 4)
    assert msgspec.msgpack.decode(taken.state)["items"] == {"a": 1, "b": 1, "c": 1}


def test_load_is_the_snapshot_plus_the_tail(store: InMemoryEventStore) -> None:
    snapshots = InMemorySnapshotStore()
    carts = _snapshotting(store, snapshots, every=4)
    cart = Cart.open("cart-1", "ann")
    for sku in "abc":
        cart.add(sku)
    carts.save(cart)  # version 4: snapshot
    store.append("cart-1", [ItemAdded(sku="d"), ItemAdded(sku="e")], 4)
    spy = ReadSpy(store)
    reader = Repository(spy, Cart, snapshots=snapshots, snapshot_every=4, cache_size=0)  # type: ignore[arg-type]

    loaded = reader.load("cart-1")

    assert spy.reads == [("cart-1", 5)]
    assert loaded.version == 6
    assert loaded.items == {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}
    assert loaded.customer == "ann"


def test_a_snapshot_stands_in_for_the_events_before_it(store: InMemoryEventStore) -> None:
    snapshots = InMemorySnapshotStore()
    store.append("cart-1", [CartOpened(customer="ann"), ItemAdded(sku="a")], NO_STREAM)
    state = {"customer": "from-snapshot", "items": {"z": 9}, "checked_out": False}
    snapshots.put(Snapshot("cart-1", "Cart", 2, msgspec.msgpack.encode(state)))
    store.append("cart-1", [ItemAdded(sku="b")], 2)

    loaded = _snapshotting(store, snapshots).load("cart-1")

    assert loaded.customer == "from-snapshot"
    assert loaded.items == {"z": 9, "b": 1}
    assert loaded.version == 3


def test_the_snapshot_store_keeps_only_the_newest_snapshot() -> None:
    snapshots = InMemorySnapshotStore()
    snapshots.put(Snapshot("cart-1", "Cart", 6, b"six"))
    snapshots.put(Snapshot("cart-1", "Cart", 3, b"three"))

    assert snapshots.get("cart-1") == Snapshot("cart-1", "Cart", 6, b"six")
    assert snapshots.get("cart-2") is None
    assert snapshots.all() == [Snapshot("cart-1", "Cart", 6, b"six")]


class NoSnapshots(Aggregate):
    """An aggregate that does not implement snapshot_state."""

    def apply(self, event: Event) -> None:
        pass


def test_snapshots_for_an_aggregate_without_snapshot_support_are_refused_up_front(
    store: InMemoryEventStore,
) -> None:
    with pytest.raises(ValidationError, match="NoSnapshots"):
        Repository(store, NoSnapshots, snapshots=InMemorySnapshotStore())


def test_a_snapshot_interval_below_one_is_refused(store: InMemoryEventStore) -> None:
    with pytest.raises(ValidationError, match="snapshot_every"):
        Repository(store, Cart, snapshots=InMemorySnapshotStore(), snapshot_every=0)
