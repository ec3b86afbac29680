"""A crash in the middle of a write leaves a torn tail: recovery cuts it, says so, goes on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from eventram import RecordedEvent
from eventram.store.durable import open_store
from eventram.store.journal.segment import HEADER_SIZE, SegmentHeader, segment_path
from tests.contract.events import ItemAdded
from tests.integration.journal_support import (
    copy_data_dir,
    fill,
    fill_bulk,
    frames_of,
    truncate,
)


def _build(source: Path, *, bulk: bool) -> list[RecordedEvent]:
    store = open_store(source, fsync="never")
    try:
        fill(store, 6)
        if bulk:
            fill_bulk(store, 3)
        else:
            store.append("last", [ItemAdded(sku="z")])
        return store.read_all()
    finally:
        store.close()


@pytest.mark.parametrize("bulk", [False, True], ids=["single-batch", "bulk-append"])
def test_a_torn_last_frame_is_cut_at_every_byte_offset(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, bulk: bool
) -> None:
    # given a journal whose last frame holds one batch (or a bulk append of three)
    source = tmp_path / "source"
    logged = _build(source, bulk=bulk)
    last = frames_of(source)[-1]
    kept = logged[: last.batches[0][0].position - 1]
    frame_bytes = last.path.read_bytes()[last.offset : last.offset + last.size]
    for cut in range(last.size):
        # torn bytes that happen to be all zeros (a CRC byte can be 0) read as preallocated
        # space: a clean end, nothing to cut
        torn = any(frame_bytes[:cut])
        work = copy_data_dir(source, tmp_path / "work")
        # when the file ends `cut` bytes into the last frame
        truncate(work / "journal" / last.path.name, last.offset + cut)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="eventram.journal"):
            store = open_store(work, fsync="never")
        # then the whole frame is gone, the rest is intact, and the warning counts the bytes
        try:
            assert store.read_all() == kept
            assert store.recovery is not None
            assert store.recovery.dropped_bytes == (cut if torn else 0)
            if torn:
                assert f"dropped {cut} byte(s)" in caplog.text
            else:
                assert caplog.text == ""
            store.append("after", [ItemAdded(sku="after")])
        finally:
            store.close()
        reopened = open_store(work, fsync="never")
        try:
            assert reopened.recovery is not None
            assert reopened.recovery.dropped_bytes == 0
            assert [e.position for e in reopened.read_all()] == list(range(1, len(kept) + 2))
            assert reopened.read_all()[-1].stream_id == "after"
        finally:
            reopened.close()


def test_zeros_after_the_last_frame_are_a_clean_end_and_appends_go_on_over_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given a journal followed by zeros (space preallocated, or allocated but never written)
    logged = _build(tmp_path, bulk=False)
    segment = frames_of(tmp_path)[-1].path
    with segment.open("ab") as f:
        f.write(bytes(4096))
    # when the store starts
    with caplog.at_level(logging.WARNING, logger="eventram.journal"):
        store = open_store(tmp_path)
    # then nothing is cut or reported, every event is there, and appends go on after them
    try:
        assert store.read_all() == logged
        assert store.recovery is not None
        assert store.recovery.dropped_bytes == 0
        assert caplog.text == ""
        store.append("after", [ItemAdded(sku="after")])
    finally:
        store.close()
    reopened = open_store(tmp_path)
    try:
        assert reopened.read_all()[:-1] == logged
        assert reopened.read_all()[-1].stream_id == "after"
    finally:
        reopened.close()


def test_a_torn_frame_followed_by_preallocated_zeros_is_cut(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # given a last frame of which only its first half reached the disk, zeros after it
    logged = _build(tmp_path, bulk=False)
    last = frames_of(tmp_path)[-1]
    data = bytearray(last.path.read_bytes())
    half = last.offset + last.size // 2
    data[half:] = bytes(len(data) - half + 65_536)
    last.path.write_bytes(bytes(data))
    # when the store starts
    with caplog.at_level(logging.WARNING, logger="eventram.journal"):
        store = open_store(tmp_path)
    # then the torn frame is cut with a warning and every earlier event is there
    try:
        dropped = sum(len(batch) for batch in last.batches)
        assert store.read_all() == logged[:-dropped]
        assert "torn frame" in caplog.text
    finally:
        store.close()


@pytest.mark.parametrize("header_bytes", [0, 1, HEADER_SIZE - 1, HEADER_SIZE])
def test_a_segment_torn_while_being_created_is_removed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, header_bytes: int
) -> None:
    # given a crash while the next segment's header was written (a full header of zeros too)
    logged = _build(tmp_path, bulk=False)
    journal = tmp_path / "journal"
    torn = segment_path(journal, 2)
    header = SegmentHeader(2, len(logged) + 1).encode()
    torn.write_bytes(header[:header_bytes] if header_bytes < HEADER_SIZE else bytes(HEADER_SIZE))
    # when the store starts
    with caplog.at_level(logging.WARNING, logger="eventram.journal"):
        store = open_store(tmp_path)
    # then the torn segment is gone and appends go on in the previous one
    try:
        assert store.read_all() == logged
        assert not torn.exists() or torn.stat().st_size == HEADER_SIZE
        store.append("after", [ItemAdded(sku="after")])
    finally:
        store.close()
    assert "torn" in caplog.text
    reopened = open_store(tmp_path)
    try:
        assert len(reopened.read_all()) == len(logged) + 1
    finally:
        reopened.close()
