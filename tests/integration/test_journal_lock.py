"""One writer per data directory: a second one is refused with the holder named."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from eventram import JournalLockedError
from eventram.store.durable import open_store
from eventram.store.journal.ops import repair
from tests.contract.events import ItemAdded

_HOLDER = """
import sys
from eventram.store.durable import open_store
store = open_store(sys.argv[1])
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_second_store_on_the_same_directory_is_refused_naming_the_holder(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    try:
        with pytest.raises(JournalLockedError, match=f"pid {os.getpid()}") as caught:
            open_store(tmp_path)
        assert caught.value.directory == str(tmp_path)
        # the refused opener changed nothing: the first store still writes
        store.append("s", [ItemAdded(sku="a")])
    finally:
        store.close()
    reopened = open_store(tmp_path)
    try:
        assert reopened.last_position() == 1
    finally:
        reopened.close()


def test_another_process_is_refused_until_the_holder_dies_even_by_sigkill(tmp_path: Path) -> None:
    # given a child process that holds the directory
    child = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        # when this process opens it (or repairs it), then it is refused with the child's pid
        with pytest.raises(JournalLockedError, match=f"pid {child.pid}"):
            open_store(tmp_path)
        with pytest.raises(JournalLockedError):
            repair(tmp_path)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdin is not None:
            child.stdin.close()
        if child.stdout is not None:
            child.stdout.close()
    # when the holder was killed, then the kernel released the lock
    store = open_store(tmp_path)
    store.close()
