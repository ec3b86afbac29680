"""Disk errors on append, for real: a file size limit (a full disk) and a read-only directory.

Each case runs in a child process (the limit or the dropped privileges must not touch the test
runner). The append that fails raises ``JournalWriteError``, nothing of it becomes visible, reads
keep working, writes work again once the problem is gone, and the journal on disk stays sound.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eventram.store.durable import open_store
from tests.integration.journal_crash import REPO

_PRELUDE = """
import json, os, resource, signal, sys
from pathlib import Path
from eventram import JournalWriteError
from eventram.store.durable import open_store
from tests.contract.events import ItemAdded

def fill_until_refused(store):
    acked, error, i, size = 0, None, 0, 0
    while error is None and i < 100_000:
        i += 1
        try:
            acked = store.append(f"s-{i % 3}", [ItemAdded(sku=f"{i:>40}")]).position
            size = os.path.getsize(store.journal.path)
        except JournalWriteError as exc:
            error = exc
    try:  # the same append again, while the problem lasts
        store.append(f"s-{i % 3}", [ItemAdded(sku=f"{i:>40}")])
        again = None
    except JournalWriteError as exc:
        again = exc.errno
    return {
        "acked": acked,
        "errno": error.errno if error else None,
        "path": error.path if error else None,
        "message": str(error),
        "again": again,
        "visible": store.last_position(),
        "read_all": len(store.read_all()),
        "size_before_refusal": size,
    }
"""

_FILE_SIZE_LIMIT = (
    _PRELUDE
    + """
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # exceeding the limit fails the write (EFBIG)
store = open_store(sys.argv[1], fsync=sys.argv[2])
_, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[3]), hard))
outcome = fill_until_refused(store)
outcome["size_after_refusal"] = os.path.getsize(outcome["path"])
resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))
outcome["after"] = store.append("after", [ItemAdded(sku="after")]).position
store.close()
print(json.dumps(outcome))
"""
)

_READ_ONLY_DIRECTORY = (
    _PRELUDE
    + """
if os.getuid() == 0:  # root ignores permissions: become nobody
    try:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    except OSError as exc:
        print(json.dumps({"skip": f"cannot drop root privileges: {exc}"}))
        sys.exit(0)
journal = Path(sys.argv[1]) / "journal"
store = open_store(sys.argv[1], fsync="always", segment_size=4096)
os.chmod(journal, 0o555)  # the next segment cannot be created
outcome = fill_until_refused(store)
os.chmod(journal, 0o755)
outcome["after"] = store.append("after", [ItemAdded(sku="after")]).position
store.close()
last = sorted(journal.iterdir())[-1]
os.chmod(last, 0o444)  # a read-only last segment: the next start cannot append to it
try:
    open_store(sys.argv[1])
    outcome["reopen"] = None
except JournalWriteError as exc:
    outcome["reopen"] = exc.errno
os.chmod(last, 0o644)
print(json.dumps(outcome))
"""
)


def _run(code: str, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    outcome: dict[str, Any] = json.loads(done.stdout)
    return outcome


def _assert_sound_after_restart(data_dir: Path, outcome: dict[str, Any]) -> None:
    store = open_store(data_dir)
    try:
        assert store.recovery is not None
        assert store.recovery.dropped_bytes == 0, "a partial frame was left in the journal"
        events = store.read_all()
        assert [e.position for e in events] == list(range(1, outcome["after"] + 1))
        assert events[-1].stream_id == "after"
    finally:
        store.close()


@pytest.mark.parametrize("fsync", ["always", "interval"])
def test_a_full_disk_refuses_the_append_and_leaves_the_journal_sound(
    tmp_path: Path, fsync: str
) -> None:
    # given a child whose files may not grow past 20,000 bytes
    # when it appends until refused, retries, then appends again once the limit is lifted
    outcome = _run(_FILE_SIZE_LIMIT, str(tmp_path), fsync, "20000")
    # then the refused append raised JournalWriteError naming the segment, showed nothing,
    # the retry was refused too, reads kept working, and writes resumed without a gap
    assert outcome["errno"] == errno.EFBIG
    assert outcome["path"].endswith(".jrnl")
    # the refused frame was written in part (up to the limit), then cut back to the last frame
    assert outcome["size_before_refusal"] < 20000
    assert outcome["size_after_refusal"] == outcome["size_before_refusal"]
    assert "Nothing was written" in outcome["message"]
    assert outcome["again"] == errno.EFBIG
    assert outcome["visible"] == outcome["read_all"] == outcome["acked"] > 0
    assert outcome["after"] == outcome["acked"] + 1
    _assert_sound_after_restart(tmp_path, outcome)


@pytest.fixture
def world_reachable_dir() -> Iterator[Path]:
    """A directory an unprivileged child can own (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="eventram-eacces-"))
    try:
        if os.getuid() == 0:
            os.chown(path, 65534, 65534)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def test_a_directory_without_write_permission_refuses_the_append_that_needs_a_new_segment(
    world_reachable_dir: Path,
) -> None:
    # given a child (never root) with 4 KiB segments whose journal directory turns read-only
    outcome = _run(_READ_ONLY_DIRECTORY, str(world_reachable_dir))
    if "skip" in outcome:
        pytest.skip(outcome["skip"])
    # then the append that needed a new segment was refused with EACCES, nothing was visible,
    # writes resumed once the permission came back, and a read-only segment refuses a start
    assert outcome["errno"] == errno.EACCES
    assert outcome["again"] == errno.EACCES
    assert outcome["visible"] == outcome["read_all"] == outcome["acked"] > 0
    assert outcome["after"] == outcome["acked"] + 1
    assert outcome["reopen"] == errno.EACCES
    _assert_sound_after_restart(world_reachable_dir, outcome)
