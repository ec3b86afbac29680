"""Snapshots: restart from snapshot + journal tail equals a full replay; damage falls back."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import msgspec
import pytest

from eventram import RecordedEvent, Snapshot, SnapshotStore, ValidationError
from eventram.projection.snapshotfiles import FileSnapshotStore, SnapshotFiles
from eventram.store.durable import open_store
from tests.contract.events import CartOpened, ItemAdded, ItemRemoved
from tests.integration.journal_support import fill, flip_byte, truncate


class CartItems:
    """A small read model: the items in each cart, and the position it has seen."""

    def __init__(self) -> None:
        self.items: dict[str, list[str]] = {}
        self.position = 0

    def apply(self, events: Iterable[RecordedEvent]) -> CartItems:
        for event in events:
            data = event.data
            if isinstance(data, CartOpened):
                self.items.setdefault(event.stream_id, [])
            elif isinstance(data, ItemAdded):
                self.items.setdefault(event.stream_id, []).append(data.sku)
            elif isinstance(data, ItemRemoved):
                self.items[event.stream_id].remove(data.sku)
            self.position = event.position
        return self

    def dump(self) -> bytes:
        return msgspec.msgpack.encode(self.items)

    def restore(self, payload: bytes) -> None:
        self.items = msgspec.msgpack.decode(payload, type=dict[str, list[str]])


def test_a_restart_from_snapshot_and_tail_equals_a_full_replay(tmp_path: Path) -> None:
    # given a store with a read model snapshotted halfway, then more events
    files = SnapshotFiles(tmp_path / "snapshots", "cart-items")
    store = open_store(tmp_path, fsync="never")
    try:
        fill(store, 30)
        model = CartItems().apply(store.read_all())
        files.save(model.position, model.dump())
        fill(store, 25, prefix="later")
        store.append("cart-1", [ItemRemoved(sku="s-1-0")])
    finally:
        store.close()
    # when the store restarts and the read model loads its snapshot, then replays the tail
    store = open_store(tmp_path, fsync="never")
    try:
        restored = CartItems()
        loaded = files.restore_into(restored.restore, max_position=store.last_position())
        assert loaded is not None
        assert 0 < loaded.position < store.last_position()
        restored.position = loaded.position
        restored.apply(store.read_all(after_position=loaded.position))
        # then it equals a read model replayed from the start
        replayed = CartItems().apply(store.read_all())
        assert restored.items == replayed.items
        assert restored.position == replayed.position == store.last_position()
    finally:
        store.close()


def _three_snapshots(files: SnapshotFiles) -> list[Path]:
    return [files.save(position, f"state at {position}".encode()) for position in (10, 20, 30)]


@pytest.mark.parametrize("damage", ["payload-bit", "header-bit", "cut-short", "empty"])
def test_a_damaged_newest_snapshot_is_skipped_with_a_warning_for_the_previous_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, damage: str
) -> None:
    files = SnapshotFiles(tmp_path, "model")
    newest = _three_snapshots(files)[-1]
    size = newest.stat().st_size
    match damage:
        case "payload-bit":
            flip_byte(newest, size - 3)
        case "header-bit":
            flip_byte(newest, 12)
        case "cut-short":
            truncate(newest, size - 1)
        case "empty":
            truncate(newest, 0)
    with caplog.at_level(logging.WARNING, logger="eventram.snapshots"):
        loaded = files.load()
    assert loaded is not None
    assert (loaded.position, loaded.payload) == (20, b"state at 20")
    assert f"{newest} is damaged" in caplog.text


def test_with_every_snapshot_damaged_the_load_falls_back_to_a_full_replay(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = SnapshotFiles(tmp_path, "model")
    for path in _three_snapshots(files):
        flip_byte(path, path.stat().st_size - 1)
    with caplog.at_level(logging.WARNING, logger="eventram.snapshots"):
        assert files.load() is None
    assert caplog.text.count("is damaged") == 3


def test_a_snapshot_ahead_of_the_journal_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given snapshots up to position 30 and a journal that (after a repair) ends at 25
    files = SnapshotFiles(tmp_path, "model")
    _three_snapshots(files)
    with caplog.at_level(logging.WARNING, logger="eventram.snapshots"):
        loaded = files.load(max_position=25)
    assert loaded is not None
    assert loaded.position == 20
    assert "beyond the journal's end (25)" in caplog.text


def test_a_snapshot_its_reader_rejects_is_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = SnapshotFiles(tmp_path, "model")
    files.save(10, msgspec.msgpack.encode({"cart": ["a"]}))
    files.save(20, b"not msgpack of the expected shape \xc1")
    model = CartItems()
    with caplog.at_level(logging.WARNING, logger="eventram.snapshots"):
        loaded = files.restore_into(model.restore)
    assert loaded is not None
    assert loaded.position == 10
    assert model.items == {"cart": ["a"]}
    assert "could not be restored" in caplog.text


def test_only_the_newest_snapshots_are_kept_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    files = SnapshotFiles(tmp_path, "model", keep=2)
    (tmp_path / ".model@00000000000000000005.snap.1.1.tmp").write_bytes(b"crashed mid-write")
    _three_snapshots(files)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "model@00000000000000000020.snap",
        "model@00000000000000000030.snap",
    ]


def test_snapshot_names_and_settings_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        SnapshotFiles(tmp_path, "a/b")
    with pytest.raises(ValidationError):
        SnapshotFiles(tmp_path, "model", keep=0)
    with pytest.raises(ValidationError):
        SnapshotFiles(tmp_path, "model").save(-1, b"")


def test_aggregate_snapshots_survive_a_restart_through_files(tmp_path: Path) -> None:
    # given aggregate snapshots saved at position 40
    snapshots: SnapshotStore = FileSnapshotStore(tmp_path)  # the core port
    assert isinstance(snapshots, FileSnapshotStore)
    snapshots.put(Snapshot("cart-1", "Cart", 3, b"\x81\xa1a\x01"))
    snapshots.put(Snapshot("cart-2", "Cart", 7, b"\x80"))
    snapshots.put(Snapshot("cart-1", "Cart", 2, b"older"))  # older than the one held: ignored
    snapshots.save(40)
    # when a new process loads them
    reloaded = FileSnapshotStore(tmp_path)
    assert reloaded.load(max_position=40) == 40
    # then it holds the same snapshots
    assert reloaded.get("cart-1") == Snapshot("cart-1", "Cart", 3, b"\x81\xa1a\x01")
    assert reloaded.get("cart-2") == Snapshot("cart-2", "Cart", 7, b"\x80")
    assert FileSnapshotStore(tmp_path).load(max_position=39) == 0
