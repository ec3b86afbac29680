"""Recovery restores every committed batch as it was, reports what it replayed, shows progress."""

from __future__ import annotations

import os
import struct
import uuid
from datetime import UTC, datetime
from pathlib import Path

import google_crc32c
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventram import (
    NO_STREAM,
    AppendRequest,
    AppendResult,
    EventQuery,
    NewEvent,
    RecordedEvent,
    registry,
)
from eventram.store.durable import open_store
from eventram.store.journal.frame import FRAME_HEADER
from eventram.store.journal.segment import SegmentHeader, create_segment, list_segments
from tests.contract.events import CartOpened, ItemAdded
from tests.integration.journal_support import fill, frames_of

OWNER_FIELDS = ("organization_id", "user_id")


def test_recovery_reports_progress_up_to_the_whole_journal(tmp_path: Path) -> None:
    # given a journal of several segments
    store = open_store(tmp_path, fsync="never", segment_size=4096)
    try:
        logged = fill(store, 80)
    finally:
        store.close()
    segments = list_segments(tmp_path / "journal")
    total = sum(path.stat().st_size for _, path in segments)
    assert len(segments) > 2
    # when the store starts with a progress callback
    calls: list[tuple[int, int]] = []
    store = open_store(tmp_path, progress=lambda done, all_: calls.append((done, all_)))
    # then progress rises to the journal's size, and the report adds up
    try:
        assert calls[-1] == (total, total)
        assert [done for done, _ in calls] == sorted(done for done, _ in calls)
        assert {all_ for _, all_ in calls} == {total}
        assert len(calls) >= len(segments)
        report = store.recovery
        assert report is not None
        assert (report.segments, report.frames, report.events) == (len(segments), 80, len(logged))
        assert report.last_position == len(logged) == store.last_position()
        assert report.bytes_read == total
        assert report.dropped_bytes == 0
        assert report.dropped_at is None
        assert report.tail.next_position == len(logged) + 1
    finally:
        store.close()


def test_an_empty_directory_starts_an_empty_journal(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new")
    try:
        assert store.last_position() == 0
        assert store.recovery is not None
        assert store.recovery.events == 0
        assert [index for index, _ in list_segments(tmp_path / "new" / "journal")] == [1]
    finally:
        store.close()


def _mixed_journal(data_dir: Path) -> tuple[list[RecordedEvent], AppendResult, list[NewEvent]]:
    """Single events, a three-event batch with chosen ids, and a bulk frame of several batches."""
    store = open_store(data_dir, fsync="never", metadata_fields=OWNER_FIELDS)
    try:
        store.append("cart-1", [CartOpened(customer="ann")], NO_STREAM, correlation_id="c-1")
        batch = [NewEvent(data=ItemAdded(sku=f"sku-{i}")) for i in range(3)]
        result = store.append("cart-1", batch, 1, correlation_id="c-2", causation_id="c-2")
        store.append_many(
            [
                AppendRequest(stream_id="cart-2", events=[CartOpened(customer="bob")]),
                AppendRequest(
                    stream_id="cart-3", events=[CartOpened(customer="cy"), ItemAdded(sku="x")]
                ),
            ]
        )
        store.append("cart-2", [ItemAdded(sku="y")], 1, metadata={"organization_id": "o-1"})
        return store.read_all(), result, batch
    finally:
        store.close()


def test_a_restart_restores_every_batch_as_it_was_committed(tmp_path: Path) -> None:
    # given a journal of one-event frames, a frame of a three-event batch and a bulk frame
    logged, result, batch = _mixed_journal(tmp_path)
    # when the store starts again
    store = open_store(tmp_path, fsync="never", metadata_fields=OWNER_FIELDS)
    try:
        # then the log, the streams and the indexes are what was appended
        assert store.read_all() == logged
        assert [e.version for e in store.read_stream("cart-1")] == [1, 2, 3, 4]
        assert [e.position for e in store.read_stream("cart-3")] == [6, 7]
        assert store.count(EventQuery(correlation_id="c-2")) == 3
        assert store.count(EventQuery(metadata={"organization_id": "o-1"})) == 1
        # and a retry of the three-event batch is recognised as the whole batch it was
        assert store.append("cart-1", batch, 1) == result
        assert store.last_position() == len(logged)
        # and the journal's frames read back as the batches that were committed
        batches = [[e.position for e in b] for f in frames_of(tmp_path) for b in f.batches]
        assert batches == [[1], [2, 3, 4], [5], [6, 7], [8]]
    finally:
        store.close()


def test_a_recovered_event_shares_one_id_string_when_correlation_and_causation_are_equal(
    tmp_path: Path,
) -> None:
    # given a batch whose correlation and causation ids are the same id
    _mixed_journal(tmp_path)
    # when it is read back from the journal
    store = open_store(tmp_path, fsync="never", metadata_fields=OWNER_FIELDS)
    try:
        (event, *_) = store.find(EventQuery(correlation_id="c-2"))
        # then it keeps one string for both, as an append does (memory, not only equality)
        assert event.causation_id is event.correlation_id
    finally:
        store.close()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sizes=st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=3), min_size=1, max_size=12))
def test_a_store_recovered_from_its_journal_equals_the_store_that_wrote_it(
    tmp_path_factory: pytest.TempPathFactory, sizes: list[list[int]]
) -> None:
    # given appends of batches of 1 to 4 events, one frame per call (bulk calls hold several)
    data_dir = tmp_path_factory.mktemp("journal")
    store = open_store(data_dir, fsync="never", metadata_fields=OWNER_FIELDS)
    try:
        for call, batch_sizes in enumerate(sizes):
            requests = [
                AppendRequest(
                    stream_id=f"s-{call}-{b}",
                    events=[ItemAdded(sku=f"{call}-{b}-{i}") for i in range(size)],
                    metadata={"organization_id": f"o-{b % 2}"},
                )
                for b, size in enumerate(batch_sizes)
            ]
            if len(requests) == 1:
                only = requests[0]
                store.append(only.stream_id, list(only.events), metadata=only.metadata)
            else:
                store.append_many(requests)
        written = store.read_all()
    finally:
        store.close()
    # when a store starts from the journal
    recovered = open_store(data_dir, fsync="never", metadata_fields=OWNER_FIELDS)
    try:
        # then it holds the same log, streams and index answers, and the frames' batches
        assert recovered.read_all() == written
        for stream_id in {e.stream_id for e in written}:
            assert recovered.read_stream(stream_id) == [
                e for e in written if e.stream_id == stream_id
            ]
        assert recovered.count(EventQuery(metadata={"organization_id": "o-1"})) == sum(
            1 for e in written if e.metadata.get("organization_id") == "o-1"
        )
        batches = [len(b) for f in frames_of(data_dir) for b in f.batches]
        assert batches == [size for batch_sizes in sizes for size in batch_sizes]
    finally:
        recovered.close()


def _old_frame(position: int, events: list[tuple[bytes, str, bytes]], when: datetime) -> bytes:
    """A frame as journals before microsecond times wrote it: the time a msgpack timestamp."""
    entries = [(event_id, event_type, body, 1, None) for event_id, event_type, body in events]
    payload = msgspec.msgpack.encode(
        [(position, 1, f"cart-{position}", "cart", when, "corr", "corr", {"o": "1"}, entries)]
    )
    length = struct.pack("<I", len(payload))
    crc = google_crc32c.extend(google_crc32c.value(length), payload)
    return FRAME_HEADER.pack(crc, len(payload)) + payload


def test_a_journal_written_with_msgpack_timestamps_still_recovers(tmp_path: Path) -> None:
    # given a segment of older frames: a one-event frame, then a frame of a two-event batch
    when = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    body = registry.encode(ItemAdded(sku="a"))
    ids = [uuid.uuid4() for _ in range(3)]
    directory = tmp_path / "journal"
    directory.mkdir()
    fd = create_segment(directory, SegmentHeader(1, 1), sync=True)
    try:
        os.write(fd, _old_frame(1, [(ids[0].bytes, "test.ItemAdded", body)], when))
        two = [(ids[1].bytes, "test.ItemAdded", body), (ids[2].bytes, "test.ItemAdded", body)]
        os.write(fd, _old_frame(2, two, when))
    finally:
        os.close(fd)
    # when a store starts on it
    store = open_store(tmp_path, fsync="never", metadata_fields=OWNER_FIELDS)
    try:
        # then every event is there with its time and id, the batch kept whole
        events = store.read_all()
        assert [(e.position, e.stream_id, e.version) for e in events] == [
            (1, "cart-1", 1),
            (2, "cart-2", 1),
            (3, "cart-2", 2),
        ]
        assert {e.recorded_at for e in events} == {when}
        assert [e.event_id for e in events] == ids
        assert [len(b) for f in frames_of(tmp_path) for b in f.batches] == [1, 2]
    finally:
        store.close()
