"""The in-memory event store passes the EventStore contract."""

from __future__ import annotations

import pytest

from eventram import InMemoryEventStore
from tests.contract.event_store_contract import EventStoreContract, ManualClock


class TestInMemoryEventStore(EventStoreContract):
    @pytest.fixture
    def store(self, clock: ManualClock) -> InMemoryEventStore:
        return InMemoryEventStore(metadata_fields=("organization_id", "user_id"), clock=clock)
