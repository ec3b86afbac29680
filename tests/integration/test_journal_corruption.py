"""Damage before the last frame refuses the start, names file and offset; repair cuts it."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventram import JournalCorruptError, JournalError, RecordedEvent
from eventram.store.durable import open_store
from eventram.store.journal.ops import BACKUP_DIR, inspect, repair
from eventram.store.journal.segment import MAGIC, SegmentHeader, segment_path
from tests.contract.events import ItemAdded
from tests.integration.journal_support import fill, flip_byte, frames_of, truncate


def _journal(data_dir: Path, batches: int = 10, segment_size: int = 1 << 20) -> list[RecordedEvent]:
    store = open_store(data_dir, fsync="never", segment_size=segment_size)
    try:
        return fill(store, batches)
    finally:
        store.close()


@pytest.mark.parametrize(
    ("field", "at"),
    [("crc", 1), ("length", 7), ("payload-start", 8), ("payload-middle", -2)],
)
def test_flipped_bits_in_a_middle_frame_refuse_the_start_and_repair_keeps_what_is_before(
    tmp_path: Path, field: str, at: int
) -> None:
    # given a journal of ten frames with bits flipped inside the sixth
    logged = _journal(tmp_path)
    frames = frames_of(tmp_path)
    bad = frames[5]
    offset = bad.offset + (at if at >= 0 else bad.size // -at)
    original = bad.path.read_bytes()
    flip_byte(bad.path, offset, 0x10)
    # when the store starts, then it refuses, naming the file, the frame's offset and the repair
    with pytest.raises(JournalCorruptError) as caught:
        open_store(tmp_path)
    assert caught.value.path == str(bad.path)
    assert caught.value.offset == bad.offset
    assert "eventram journal repair" in str(caught.value)
    # when the journal is repaired (the failed start let the directory lock go)
    report = repair(tmp_path)
    # then it says what it cut, kept the damaged file, and the store starts with all before it
    before = logged[: bad.batches[0][0].position - 1]
    assert report.damage is not None
    assert report.damage.offset == bad.offset
    assert report.kept_frames == 5
    assert report.kept_last_position == len(before)
    assert report.lost_frames == 4
    assert report.lost_events == sum(len(b) for f in frames[6:] for b in f.batches)
    assert report.lost_positions == (frames[6].batches[0][0].position, len(logged))
    assert report.removed_bytes == len(original) - bad.offset
    assert report.backup is not None
    assert report.backup.parent == tmp_path / BACKUP_DIR
    assert (report.backup / bad.path.name).read_bytes()[: bad.offset] == original[: bad.offset]
    store = open_store(tmp_path)
    try:
        assert store.read_all() == before
        store.append("after", [ItemAdded(sku="after")])
        assert store.last_position() == len(before) + 1
    finally:
        store.close()
    assert inspect(tmp_path).damage is None


def test_repair_of_a_sound_journal_changes_nothing(tmp_path: Path) -> None:
    logged = _journal(tmp_path)
    report = repair(tmp_path)
    assert report.damage is None
    assert report.backup is None
    assert report.kept_last_position == len(logged)
    assert not (tmp_path / BACKUP_DIR).exists()


def test_damage_in_an_earlier_segment_removes_the_later_segments_on_repair(tmp_path: Path) -> None:
    # given a journal of several small segments with the last frame of the first one cut short
    logged = _journal(tmp_path, batches=60, segment_size=4096)
    frames = frames_of(tmp_path)
    first_segment = [f for f in frames if f.segment == 1]
    later = [f for f in frames if f.segment > 1]
    assert later, "the journal should span several segments"
    last_of_first = first_segment[-1]
    truncate(last_of_first.path, last_of_first.offset + 10)
    # when the store starts, then it refuses: only the very end of the journal may be torn
    with pytest.raises(JournalCorruptError) as caught:
        open_store(tmp_path)
    assert caught.value.offset == last_of_first.offset
    # when repaired, then everything before the cut remains and the later segments are removed
    report = repair(tmp_path)
    assert len(report.removed_segments) == len({f.segment for f in later})
    assert report.lost_frames == len(later)
    store = open_store(tmp_path, segment_size=4096)
    try:
        assert store.read_all() == logged[: last_of_first.batches[0][0].position - 1]
    finally:
        store.close()


def test_a_missing_middle_segment_is_reported_as_a_gap(tmp_path: Path) -> None:
    _journal(tmp_path, batches=60, segment_size=4096)
    segment_path(tmp_path / "journal", 2).unlink()
    with pytest.raises(JournalCorruptError, match="segment 2 is missing") as caught:
        open_store(tmp_path)
    assert caught.value.path == str(segment_path(tmp_path / "journal", 3))
    assert caught.value.offset == 0


def test_a_damaged_segment_header_is_corruption(tmp_path: Path) -> None:
    _journal(tmp_path, batches=60, segment_size=4096)
    flip_byte(segment_path(tmp_path / "journal", 2), len(MAGIC) + 4)
    with pytest.raises(JournalCorruptError, match="header CRC mismatch"):
        open_store(tmp_path)


def test_a_segment_of_a_newer_format_version_is_refused(tmp_path: Path) -> None:
    _journal(tmp_path)
    with segment_path(tmp_path / "journal", 1).open("r+b") as f:
        f.write(SegmentHeader(1, 1, version=3).encode())
    with pytest.raises(JournalError, match="format version 3"):
        open_store(tmp_path)
