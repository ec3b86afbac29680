"""The journal reader: a frame whose CRC matches but whose payload is unsound is corruption.

Such a frame can only come from a faulty writer, never from a crash: whatever its shape (one
event or several batches), it must stop the reading and be reported with its file and offset,
never be decoded another way nor skipped.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import google_crc32c
import msgspec
import pytest

from eventram.store.journal.frame import FRAME_HEADER
from eventram.store.journal.reader import JournalReader
from eventram.store.journal.segment import HEADER_SIZE, SegmentHeader, segment_path


def _batch(position: int, *, metadata: Any = None, events: int = 1) -> tuple[Any, ...]:
    entries = [(uuid.uuid4().bytes, "ItemAdded", b"\x80", 1, None) for _ in range(events)]
    meta = {"organization_id": "org-1"} if metadata is None else metadata
    return (position, position, "cart-1", "Cart", 1_700_000_000_000_000, "c", "c", meta, entries)


def _frame(batches: list[tuple[Any, ...]]) -> bytes:
    """A frame whose CRC matches its payload, whatever the payload holds."""
    payload = msgspec.msgpack.encode(batches)
    length = len(payload).to_bytes(4, "little")
    crc = google_crc32c.value(length + payload)
    return FRAME_HEADER.pack(crc, len(payload)) + payload


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ([_batch(2, metadata=5)], "frame payload cannot be decoded"),
        ([_batch(2, metadata="org-1"), _batch(3)], "frame payload cannot be decoded"),
        ([_batch(2, events=0)], "frame holds an empty batch"),
        ([], "frame holds no batch"),
        ([_batch(7)], "frame starts at position 7, expected 2"),
        ([_batch(2), _batch(4)], "frame starts at position 4, expected 3"),
    ],
    ids=[
        "one-event-bad-metadata",
        "two-batches-bad-metadata",
        "empty-batch",
        "no-batch",
        "one-event-wrong-position",
        "two-batches-gap",
    ],
)
def test_a_frame_with_a_sound_crc_and_an_unsound_payload_is_reported_as_corruption(
    tmp_path: Path, bad: list[tuple[Any, ...]], why: str
) -> None:
    # given a segment: a sound one-event frame, the unsound frame, then a sound frame
    path = segment_path(tmp_path, 1)
    first = _frame([_batch(1)])
    path.write_bytes(
        SegmentHeader(1, 1).encode() + first + _frame(bad) + _frame([_batch(2), _batch(3)])
    )
    # when the journal is read
    reader = JournalReader(tmp_path)
    chunks = list(reader.chunks())
    # then only the frame before it is read, and the unsound frame is corruption at its offset
    assert [e.position for chunk in chunks for e in chunk.events] == [1]
    assert reader.damage is not None
    assert reader.damage.path == path
    assert reader.damage.offset == HEADER_SIZE + len(first)
    assert reader.damage.detail.startswith(why)
    assert not reader.damage.torn
    assert reader.next_position == 2
    assert reader.end == (1, HEADER_SIZE + len(first))
