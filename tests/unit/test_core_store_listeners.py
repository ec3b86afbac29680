"""Listeners are isolated from the append; recorded times are UTC; multi-type finds page lazily."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest

from eventram import EventQuery, InMemoryEventStore, RecordedEvent
from tests.contract.events import CartOpened, ItemAdded, ItemRemoved


def test_a_failing_listener_neither_fails_the_append_nor_starves_the_next_listener(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = InMemoryEventStore()
    seen: list[int] = []

    def broken(batch: Sequence[RecordedEvent]) -> None:
        raise RuntimeError("listener bug")

    store.add_listener(broken)
    store.add_listener(lambda batch: seen.extend(e.position for e in batch))
    with caplog.at_level(logging.ERROR, logger="eventram.store"):
        result = store.append("cart-1", [CartOpened(customer="ada")])
    assert result.position == 1
    assert seen == [1]
    assert store.read_stream("cart-1")[0].position == 1
    assert "listener" in caplog.text
    assert "positions 1-1" in caplog.text


def test_recorded_at_is_stored_in_utc_whatever_the_clock_offset() -> None:
    paris = timezone(timedelta(hours=2))
    store = InMemoryEventStore(clock=lambda: datetime(2026, 5, 1, 14, 0, tzinfo=paris))
    store.append("cart-1", [CartOpened(customer="ada")])
    recorded = store.read_stream("cart-1")[0]
    assert recorded.recorded_at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert recorded.recorded_at.utcoffset() == timedelta(0)
    assert recorded.to_dict()["recorded_at"] == "2026-05-01T12:00:00Z"


def test_finding_several_event_types_pages_through_them_in_global_order() -> None:
    store = InMemoryEventStore()
    for i in range(30):
        store.append(
            f"cart-{i}", [CartOpened(customer="c"), ItemAdded(sku="s"), ItemRemoved(sku="s")]
        )
    wanted = [CartOpened.event_type, ItemRemoved.event_type]
    pages: list[int] = []
    cursor = 0
    while page := store.find(EventQuery(event_types=wanted, after_position=cursor, limit=7)):
        pages.extend(e.position for e in page)
        cursor = page[-1].position
    expected = [e.position for e in store.read_all() if e.event_type in wanted]
    assert pages == expected
    assert len(pages) == 60
