"""The journaled store passes the EventStore contract, and every test's log survives a restart.

Each contract test runs on a store opened on a fresh data directory; when it ends, the store is
closed and opened again from the journal, and the replayed log must equal the log it had.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from eventram.store.durable import DurableStore, open_store
from eventram.store.journal.writer import FsyncPolicy
from tests.contract.event_store_contract import EventStoreContract, ManualClock

FIELDS = ("organization_id", "user_id")


def _open_and_check_restart(
    path: Path, clock: ManualClock, fsync: FsyncPolicy, segment_size: int
) -> Iterator[DurableStore]:
    store = open_store(
        path, fsync=fsync, segment_size=segment_size, clock=clock, metadata_fields=FIELDS
    )
    try:
        yield store
        logged = store.read_all()
    finally:
        store.close()
    reopened = open_store(
        path, fsync=fsync, segment_size=segment_size, clock=clock, metadata_fields=FIELDS
    )
    try:
        assert reopened.read_all() == logged
        assert reopened.recovery is not None
        assert reopened.recovery.dropped_bytes == 0
    finally:
        reopened.close()


class TestJournaledStoreWithFsyncAlways(EventStoreContract):
    @pytest.fixture
    def store(self, tmp_path: Path, clock: ManualClock) -> Iterator[DurableStore]:
        yield from _open_and_check_restart(tmp_path / "data", clock, "always", 64 * 1024 * 1024)


class TestJournaledStoreWithSmallSegments(EventStoreContract):
    """fsync=interval and 4 KiB segments, so most tests rotate segments several times."""

    @pytest.fixture
    def store(self, tmp_path: Path, clock: ManualClock) -> Iterator[DurableStore]:
        yield from _open_and_check_restart(tmp_path / "data", clock, "interval", 4096)
