"""A rebuild while writers write and readers read: readers always get answers, and after the
swap the read model equals a fresh replay. Uses the real indexed collections and query cache."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

from eventram import Event, InMemoryEventStore, Query, QueryBus, RecordedEvent
from eventram.cache import CachePolicy, LRUCache, QueryCacheMiddleware
from eventram.projection import (
    LiveVersions,
    Mode,
    Projection,
    ProjectionEngine,
    ProjectionHandle,
)
from eventram.readmodel import Collection, HashIndex, Search, SortedIndex, eq

ORGS = ("org-0", "org-1", "org-2")


class RwsOrderPlaced(Event, frozen=True):
    organization_id: str
    amount: Decimal


class RwsOrderShipped(Event, frozen=True):
    pass


def orders() -> Collection:
    return Collection(
        "orders",
        id_field="order_id",
        fields={"order_id": str, "organization_id": str, "status": str, "amount": Decimal},
        indexes=[HashIndex("status"), SortedIndex("amount")],
        partition_by="organization_id",
    )


def placed(state: Collection, event: RwsOrderPlaced, envelope: RecordedEvent) -> None:
    state.put(
        {
            "order_id": envelope.stream_id,
            "organization_id": event.organization_id,
            "status": "placed",
            "amount": event.amount,
        }
    )


def shipped(state: Collection, event: RwsOrderShipped, envelope: RecordedEvent) -> None:
    state.patch(envelope.stream_id, {"status": "shipped"})


def projection() -> Projection[Collection]:
    return Projection("orders", {RwsOrderPlaced: placed, RwsOrderShipped: shipped}, orders)


def write(store: InMemoryEventStore, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        order = f"order-{i}"
        store.append(order, [RwsOrderPlaced(organization_id=ORGS[i % 3], amount=Decimal(i % 50))])
        if i % 3 == 0:
            store.append(order, [RwsOrderShipped()])


def documents(collection: Collection) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for org in ORGS:
        cursor: str | None = None
        while True:
            page = collection.search(
                Search(filter=eq("organization_id", org), size=1000, cursor=cursor)
            )
            found.update({doc["order_id"]: doc for doc in page.items})
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    return found


def replay(store: InMemoryEventStore) -> dict[str, dict[str, Any]]:
    fresh = projection()
    state = fresh.new_state()
    for event in store.read_all():
        handler = fresh.handler_for(event.event_type)
        if handler is not None:
            handler(state, event.data, event)
    return documents(state)


class ShippedCount(Query, frozen=True):
    organization_id: str


@pytest.mark.parametrize("mode", [Mode.INLINE, Mode.ASYNC])
def test_queries_keep_answering_during_a_rebuild_and_the_swap_equals_a_fresh_replay(
    mode: Mode,
) -> None:
    store = InMemoryEventStore()
    write(store, 1500)
    engine = ProjectionEngine(store, chunk_size=100, poll_interval=0.01)
    handle: ProjectionHandle[Collection] = engine.register(projection(), mode)
    live = LiveVersions(handle, lambda state: {"orders": state})
    handler_calls: list[int] = []

    def count_shipped(query: ShippedCount) -> int:
        handler_calls.append(1)
        where = eq("organization_id", query.organization_id) & eq("status", "shipped")
        return handle.state.count(where)

    bus = QueryBus(
        {ShippedCount: count_shipped},
        [
            QueryCacheMiddleware(
                LRUCache(),
                {
                    ShippedCount: CachePolicy(
                        int,
                        live,
                        versions=lambda q: live.read(
                            lambda s: s.versions_for(eq("organization_id", q.organization_id))
                        ),
                    )
                },
            )
        ],
    )
    stop = threading.Event()
    failures: list[BaseException] = []
    answers: list[int] = []

    def reader() -> None:
        while not stop.is_set():
            try:
                answers.append(bus.ask(ShippedCount(organization_id="org-1")))
                answers.append(handle.state.search(Search(filter=eq("status", "placed"))).total)
            except BaseException as exc:
                failures.append(exc)
                return

    def writer() -> None:
        try:
            write(store, 300, start=10_000)
        except BaseException as exc:
            failures.append(exc)

    served_mid_rebuild: list[int] = []

    def progress(done: int, total: int) -> None:
        # half-way through, the live state must answer while the shadow is being filled
        if not served_mid_rebuild and done * 2 >= total:
            served_mid_rebuild.append(bus.ask(ShippedCount(organization_id="org-0")))

    with engine:
        engine.start()
        engine.wait_for(store.last_position(), timeout=10.0)
        threads = [threading.Thread(target=reader) for _ in range(2)]
        threads.append(threading.Thread(target=writer))
        for thread in threads:
            thread.start()

        report = engine.rebuild("orders", progress=progress)

        threads[-1].join()
        stop.set()
        for thread in threads[:-1]:
            thread.join()
        engine.wait_for(store.last_position(), timeout=10.0)

        assert failures == []
        assert len(answers) > 0
        assert len(served_mid_rebuild) == 1
        assert served_mid_rebuild[0] > 0
        assert report.generation == handle.generation == 1
        assert documents(handle.state) == replay(store)
        expected = sum(
            1
            for d in replay(store).values()
            if d["organization_id"] == "org-1" and d["status"] == "shipped"
        )
        assert bus.ask(ShippedCount(organization_id="org-1")) == expected
