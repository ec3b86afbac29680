"""Segments grow with zeros ahead of their frames; readers take those zeros for a clean end."""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventram.store.durable import open_store
from eventram.store.journal.ops import inspect
from eventram.store.journal.scan import next_sound_frame, zeros_from
from eventram.store.journal.segment import HEADER_SIZE, list_segments
from tests.contract.events import ItemAdded
from tests.integration.journal_support import frames_of


def _append(data_dir: Path, count: int, start: int = 0, fsync: str = "always") -> None:
    store = open_store(data_dir, fsync=fsync)  # type: ignore[arg-type]
    try:
        for i in range(start, start + count):
            store.append(f"s-{i % 5}", [ItemAdded(sku=f"sku-{i}")])
    finally:
        store.close()


@pytest.mark.parametrize("fsync", ["always", "interval", "never"])
def test_a_segment_is_preallocated_with_zeros_after_its_last_frame(
    tmp_path: Path, fsync: str
) -> None:
    # given a few appends (written with write calls or through the memory map)
    _append(tmp_path, 20, fsync=fsync)
    # then the segment file is larger than its frames, and zero after them
    (_, path), *_ = list_segments(tmp_path / "journal")
    data = path.read_bytes()
    end = frames_of(tmp_path)[-1].offset + frames_of(tmp_path)[-1].size
    assert len(data) > end
    assert zeros_from(data, end)
    # and inspect tells the bytes in use from the bytes on disk
    summary = inspect(tmp_path)
    (segment,) = summary.segments
    assert segment.size == end
    assert segment.file_size == len(data)
    assert summary.bytes == end


@pytest.mark.parametrize("fsync", ["always", "interval"])
def test_after_a_restart_appends_go_on_where_the_frames_end_not_at_the_file_end(
    tmp_path: Path, fsync: str
) -> None:
    # given a preallocated journal, reopened
    _append(tmp_path, 20, fsync=fsync)
    # when more events are appended after the restart
    _append(tmp_path, 20, start=20, fsync=fsync)
    # then the new frames follow the old ones with nothing between them, and all are read back
    frames = frames_of(tmp_path)
    assert [frame.batches[0][0].position for frame in frames] == list(range(1, 41))
    assert all(a.offset + a.size == b.offset for a, b in pairwise(frames))
    assert frames[0].offset == HEADER_SIZE
    store = open_store(tmp_path)
    try:
        assert [e.data for e in store.read_all()] == [ItemAdded(sku=f"sku-{i}") for i in range(40)]
    finally:
        store.close()


def test_segments_never_grow_past_the_size_limit_with_their_zeros(tmp_path: Path) -> None:
    # given a small segment size
    store = open_store(tmp_path, fsync="never", segment_size=4096)
    try:
        for i in range(200):
            store.append("s", [ItemAdded(sku=f"sku-{i}")])
    finally:
        store.close()
    # then every segment file stays within it
    segments = list_segments(tmp_path / "journal")
    assert len(segments) > 1
    assert all(os.path.getsize(path) <= 4096 for _, path in segments)


def _frame_bytes(tmp_path: Path) -> tuple[bytes, list[int]]:
    """The frames of a small journal (no header) and their offsets in those bytes."""
    _append(tmp_path, 6)
    frames = frames_of(tmp_path)
    data = frames[0].path.read_bytes()
    start, end = frames[0].offset, frames[-1].offset + frames[-1].size
    return data[start:end], [frame.offset - start for frame in frames]


@settings(max_examples=60, deadline=None)
@given(
    garbage=st.binary(min_size=0, max_size=40).filter(lambda b: b.strip(b"\0") == b or not b),
    zeros=st.integers(min_value=0, max_value=70_000),
)
def test_the_resync_scan_skips_zeros_and_garbage_to_the_first_sound_frame(
    tmp_path_factory: pytest.TempPathFactory, garbage: bytes, zeros: int
) -> None:
    # given garbage, a run of zeros, then sound frames, then more zeros
    directory = tmp_path_factory.mktemp("scan")
    frames, offsets = _frame_bytes(directory)
    prefix = garbage + bytes(zeros)
    data = prefix + frames + bytes(zeros)
    # when the next sound frame is searched from the start
    found = next_sound_frame(data, 0)
    # then it is the first real frame, and from just after it the second one
    assert found == len(prefix) + offsets[0]
    assert next_sound_frame(data, found + 1) == len(prefix) + offsets[1]
    # and nothing is found in the zeros after the last frame
    assert next_sound_frame(data, len(prefix) + len(frames)) is None
    assert zeros_from(data, len(prefix) + len(frames))
