"""Event statistics and trends from a counter table, over the memory and the journaled store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eventram import DurableStore, InMemoryEventStore, open_store
from tests.contract.event_counts_contract import EventCountsContract
from tests.contract.event_store_contract import ManualClock

FIELDS = ("organization_id", "user_id")


class TestEventCountsOverTheMemoryStore(EventCountsContract):
    @pytest.fixture
    def store(self, clock: ManualClock) -> InMemoryEventStore:
        return InMemoryEventStore(metadata_fields=FIELDS, clock=clock)


class TestEventCountsOverTheJournaledStore(EventCountsContract):
    @pytest.fixture
    def store(self, tmp_path: Path, clock: ManualClock) -> Iterator[DurableStore]:
        store = open_store(tmp_path / "data", fsync="interval", clock=clock, metadata_fields=FIELDS)
        try:
            yield store
        finally:
            store.close()
