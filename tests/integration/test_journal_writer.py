"""The journal writer: fsync policies, group commit, rotation, and the settings it refuses."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from eventram import NewEvent, RecordedEvent, StoreClosedError, ValidationError, registry
from eventram.envelope import to_epoch_us
from eventram.store.durable import open_store
from eventram.store.journal.reader import JournalReader
from eventram.store.journal.segment import list_segments
from eventram.store.journal.writer import JournalTail, JournalWriter
from tests.contract.events import ItemAdded

HANG_GUARD = 10.0
"""Upper bound to wait for the background sync (a guard against hangs, not a speed test)."""


def _batch(position: int) -> list[RecordedEvent]:
    """One recorded event at ``position`` of stream ``s``, built without a store."""
    event = ItemAdded(sku=f"s-{position}")
    return [
        RecordedEvent(
            position,
            position,
            "s",
            "",
            registry.check(event),
            uuid4().int,
            to_epoch_us(datetime.now(UTC)),
            None,
            None,
            {},
            registry.encode(event),
        )
    ]


def test_one_fsync_makes_every_frame_written_before_it_durable(tmp_path: Path) -> None:
    # given two frames written, neither synced yet
    writer = JournalWriter(tmp_path, fsync="always")
    writer.open(JournalTail(0, 0, 1))
    try:
        first = writer.write([_batch(1)])
        second = writer.write([_batch(2)])
        assert writer.frames_durable == 0
        # when the later one is waited for, then one fsync covered both (group commit)
        writer.wait_durable(second)
        syncs = writer.syncs
        writer.wait_durable(first)
        assert writer.syncs == syncs
        assert writer.frames_durable == 2
    finally:
        writer.close()


def test_concurrent_appends_with_fsync_always_are_all_durable_and_share_fsyncs(
    tmp_path: Path,
) -> None:
    # given 16 threads appending with fsync=always
    store = open_store(tmp_path, fsync="always")
    per_thread = 25

    def work(n: int) -> None:
        for i in range(per_thread):
            store.append(f"t-{n}", [ItemAdded(sku=f"{n}-{i}")])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then every append returned durable, and never more fsyncs than frames
    try:
        assert store.journal.frames_durable == store.journal.frames_written == 16 * per_thread
        assert store.journal.syncs <= store.journal.frames_written
        assert store.last_position() == 16 * per_thread
    finally:
        store.close()


def test_with_fsync_interval_the_background_thread_syncs_what_was_written(tmp_path: Path) -> None:
    store = open_store(tmp_path, fsync="interval", interval_ms=5)
    try:
        store.append("s", [ItemAdded(sku="a")])
        deadline = time.monotonic() + HANG_GUARD
        while store.journal.frames_durable < 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert store.journal.frames_durable == 1
        assert store.journal.syncs >= 1
    finally:
        store.close()


def test_with_fsync_never_nothing_is_synced_until_close(tmp_path: Path) -> None:
    store = open_store(tmp_path, fsync="never")
    store.append("s", [ItemAdded(sku="a")])
    store.append("s", [ItemAdded(sku="b")])
    assert store.journal.syncs == 0
    assert store.journal.fsync_seconds == 0.0
    store.close()
    assert store.journal.syncs == 1
    assert store.journal.fsync_seconds > 0.0
    assert store.journal.frames_durable == 2


def test_segments_rotate_at_the_size_limit_and_each_header_knows_its_first_position(
    tmp_path: Path,
) -> None:
    store = open_store(tmp_path, fsync="always", segment_size=4096)
    try:
        for i in range(100):
            store.append(f"s-{i % 7}", [NewEvent(data=ItemAdded(sku=f"{i:>40}"))])
    finally:
        store.close()
    segments = list_segments(tmp_path / "journal")
    assert len(segments) > 3
    assert all(path.stat().st_size <= 4096 for _, path in segments)
    reader = JournalReader(tmp_path / "journal")
    positions = [b[0].position for f in reader.frames() for b in f.batches]
    assert positions == list(range(1, 101))
    assert reader.damage is None


def test_a_closed_store_refuses_writes_and_closing_twice_is_harmless(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.close()
    store.close()
    with pytest.raises(StoreClosedError):
        store.append("s", [ItemAdded(sku="a")])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"fsync": "sometimes"}, "fsync"),
        ({"interval_ms": 0}, "interval_ms"),
        ({"segment_size": 100}, "segment_size"),
    ],
)
def test_bad_settings_are_refused_before_anything_is_opened(
    tmp_path: Path, options: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        open_store(tmp_path / "data", **options)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert not (tmp_path / "data").exists()
