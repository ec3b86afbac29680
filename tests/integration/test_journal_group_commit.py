"""Group commit under fsync=always: many writers share fsyncs, and a failed fsync strands nobody."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from eventram import JournalWriteError, StoreClosedError
from eventram.store.durable import open_store
from eventram.store.journal import writer as writer_module
from tests.contract.events import ItemAdded

HANG_GUARD = 20.0
"""Seconds to wait for a writer thread (a guard against hangs, not a speed test)."""

THREADS = 12
PER_THREAD = 40


def _run_writers(store_append: object) -> dict[int, list[object]]:
    """Append from THREADS threads at once; return each thread's results (an error ends one)."""
    outcomes: dict[int, list[object]] = {n: [] for n in range(THREADS)}
    start = threading.Barrier(THREADS)

    def work(n: int) -> None:
        start.wait()
        for i in range(PER_THREAD):
            try:
                result = store_append(f"w-{n}", [ItemAdded(sku=f"{n}-{i}")])  # type: ignore[operator]
            except (JournalWriteError, StoreClosedError) as exc:
                outcomes[n].append(exc)
                return
            outcomes[n].append(result)

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG_GUARD)
    assert not any(thread.is_alive() for thread in threads), "a writer was left waiting"
    return outcomes


def test_writers_waiting_on_one_another_share_fsyncs_and_all_return_durable(
    tmp_path: Path,
) -> None:
    # given many threads appending at once with fsync=always
    store = open_store(tmp_path, fsync="always")
    try:
        outcomes = _run_writers(store.append)
        # then every append returned, every frame is durable, and fsyncs were shared
        assert all(len(results) == PER_THREAD for results in outcomes.values())
        journal = store.journal
        assert journal.frames_durable == journal.frames_written == THREADS * PER_THREAD
        assert journal.syncs < journal.frames_written
        assert store.last_position() == THREADS * PER_THREAD
    finally:
        store.close()


def test_a_failed_fsync_wakes_every_waiting_writer_with_the_error_and_refuses_later_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a disk whose fsync starts failing (EIO) after some successful rounds
    store = open_store(tmp_path, fsync="always")
    real_sync = writer_module._sync_data
    rounds = {"ok": 0}
    gate = threading.Lock()

    def failing_sync(fd: int) -> None:
        with gate:
            rounds["ok"] += 1
            if rounds["ok"] > 5:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
        real_sync(fd)

    monkeypatch.setattr(writer_module, "_sync_data", failing_sync)
    try:
        # when many writers append at once
        outcomes = _run_writers(store.append)
        # then no writer is left waiting, each stopped on the disk error (or after it)
        errors = [results[-1] for results in outcomes.values()]
        assert all(isinstance(error, (JournalWriteError, StoreClosedError)) for error in errors)
        assert any(isinstance(error, JournalWriteError) for error in errors)
        # and what was acknowledged before the failure is readable, nothing more is visible
        acknowledged = sum(len(results) - 1 for results in outcomes.values())
        assert store.last_position() == acknowledged
        # and later writes are refused with a message that says what to do
        with pytest.raises(StoreClosedError, match="restart"):
            store.append("after", [ItemAdded(sku="late")])
    finally:
        monkeypatch.setattr(writer_module, "_sync_data", real_sync)
        store.close()
