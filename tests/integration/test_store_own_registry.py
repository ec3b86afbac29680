"""A store built with its own EventRegistry decodes every event it holds with that registry.

A schema-version-1 event is stored, the store is opened with a registry that knows version 2
and the upcaster from 1; every way of reading gives version 2. The default registry knows no
such upcaster: an envelope decoding with it raises ``DecodeError``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import msgspec
import pytest

from eventram import (
    Aggregate,
    Event,
    EventQuery,
    EventRegistry,
    InMemoryEventStore,
    RecordedEvent,
    Repository,
    open_store,
)
from eventram.envelope import to_epoch_us
from eventram.store.journal.writer import JournalTail, JournalWriter
from tests.contract.events import Cart


class PriceSet(Event, frozen=True):
    """A price in cents; version 1 stored it as a decimal string in ``amount``."""

    event_type = "test.PriceSet"
    schema_version = 2
    cents: int


def _registry_with_upcaster() -> EventRegistry:
    own = EventRegistry(discover=False)
    own.register(PriceSet)

    @own.upcaster("test.PriceSet", 1)
    def _amount_to_cents(data: dict[str, Any]) -> dict[str, Any]:
        return {"cents": round(float(data.pop("amount")) * 100)}

    return own


def _version_1_event(position: int) -> RecordedEvent:
    """``test.PriceSet`` as version 1 stored it, built without a store."""
    return RecordedEvent(
        position,
        position,
        "cart-1",
        Cart.stream_type,
        PriceSet.event_type,
        uuid4().int,
        to_epoch_us(datetime(2024, 3, 1, tzinfo=UTC)),
        "c-1",
        "c-1",
        {},
        msgspec.msgpack.encode({"amount": "12.50"}),
        1,
    )


class PricedCart(Aggregate):
    """A cart that keeps the last price set on it."""

    stream_type = Cart.stream_type

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.cents = 0

    def apply(self, event: Event) -> None:
        if isinstance(event, PriceSet):
            self.cents = event.cents


def _memory_store(_: Path) -> Iterator[InMemoryEventStore]:
    store = InMemoryEventStore(event_registry=_registry_with_upcaster())
    store.restore([[_version_1_event(1)], [_version_1_event(2)]])
    yield store


def _journaled_store(path: Path) -> Iterator[Any]:
    directory = path / "journal"
    directory.mkdir(parents=True)
    writer = JournalWriter(directory, fsync="always")
    writer.open(JournalTail(0, 0, 1))
    writer.write([[_version_1_event(1)], [_version_1_event(2)]])
    writer.close()
    store = open_store(path, event_registry=_registry_with_upcaster())
    try:
        yield store
    finally:
        store.close()


@pytest.fixture(params=[_memory_store, _journaled_store], ids=["memory", "journaled"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    factory: Callable[[Path], Iterator[Any]] = request.param
    yield from factory(tmp_path)


def test_read_stream_decodes_with_the_stores_registry(store: Any) -> None:
    assert [e.data for e in store.read_stream("cart-1")] == [PriceSet(cents=1250)] * 2


def test_read_all_decodes_with_the_stores_registry(store: Any) -> None:
    assert [e.data for e in store.read_all()] == [PriceSet(cents=1250)] * 2


def test_find_decodes_with_the_stores_registry(store: Any) -> None:
    found = store.find(EventQuery(event_types=[PriceSet.event_type], limit=None))

    assert [e.data for e in found] == [PriceSet(cents=1250)] * 2


def test_a_subscription_decodes_with_the_stores_registry(store: Any) -> None:
    subscription = store.subscribe()
    try:
        assert [e.data for e in subscription.next_batch(10)] == [PriceSet(cents=1250)] * 2
    finally:
        subscription.close()


def test_repository_load_decodes_with_the_stores_registry(store: Any) -> None:
    cart = Repository(store, PricedCart, cache_size=0).load("cart-1")

    assert (cart.version, cart.cents) == (2, 1250)


def test_an_appended_event_decodes_with_the_stores_registry(store: Any) -> None:
    store.append("cart-2", [PriceSet(cents=99)])

    assert store.read_stream("cart-2")[0].data == PriceSet(cents=99)
