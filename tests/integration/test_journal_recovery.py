"""Recovery reports what it replayed and shows progress on the way."""

from __future__ import annotations

from pathlib import Path

from eventram.durable import open_store
from eventram.store.journal.segment import list_segments
from tests.integration.journal_support import fill


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
