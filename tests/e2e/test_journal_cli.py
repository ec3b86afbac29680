"""``eventram journal inspect|verify|repair|tail``: through ``main`` and the installed script."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from eventram.cli import EXIT_CODES, main
from eventram.errors import JournalCorruptError, JournalLockedError, NotFoundError
from eventram.store.durable import open_store
from tests.integration.journal_support import fill, flip_byte, frames_of, truncate


@dataclass(frozen=True)
class Ran:
    """What a command printed and its exit code."""

    returncode: int
    stdout: str
    stderr: str


def _installed(*args: str) -> Ran:
    """Run the installed ``eventram`` console script in a child process."""
    script = shutil.which("eventram", path=str(Path(sys.executable).parent))
    command = [script] if script else [sys.executable, "-m", "eventram.cli"]
    done = subprocess.run(
        [*command, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    return Ran(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def eventram(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Ran]:
    """Run ``eventram ARGS`` in this process through ``main`` (the console script's entry)."""

    def run(*args: str, stdin: str = "") -> Ran:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main(list(args))
        out, err = capsys.readouterr()
        return Ran(code, out, err)

    return run


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory holding 40 batches (79 events) in several 4 KiB segments."""
    store = open_store(tmp_path, fsync="never", segment_size=4096)
    try:
        fill(store, 40)
    finally:
        store.close()
    return tmp_path


def test_inspect_shows_segments_frames_events_and_positions(
    data_dir: Path, eventram: Callable[..., Ran]
) -> None:
    done = _installed("journal", "inspect", str(data_dir), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["frames"] == 40
    assert summary["events"] == summary["last_position"] == 79
    assert summary["streams"] == 4
    assert summary["damage"] is None
    assert len(summary["segments"]) > 1
    assert summary["segments"][0]["first_position"] == 1
    assert summary["segments"][-1]["last_position"] == 79
    table = eventram("journal", "inspect", str(data_dir))
    assert table.returncode == 0
    assert "40 frames, 79 events in 4 streams, last position 79" in table.stdout


def test_verify_passes_a_sound_journal(data_dir: Path, eventram: Callable[..., Ran]) -> None:
    done = eventram("journal", "verify", str(data_dir))
    assert done.returncode == 0, done.stderr
    assert "journal sound" in done.stdout
    assert "positions 1..79" in done.stdout


def test_verify_fails_on_a_flipped_bit_naming_file_and_offset(data_dir: Path) -> None:
    bad = frames_of(data_dir)[10]
    flip_byte(bad.path, bad.offset + bad.size - 1)
    done = _installed("journal", "verify", str(data_dir))
    assert done.returncode == EXIT_CODES[JournalCorruptError]
    message = " ".join(done.stderr.split())
    assert f"at byte offset {bad.offset}" in message
    assert bad.path.name in message
    assert "the store will not start until it is repaired" in message


def test_verify_reports_a_torn_tail_as_damage_that_a_start_cuts(
    data_dir: Path, eventram: Callable[..., Ran]
) -> None:
    last = frames_of(data_dir)[-1]
    truncate(last.path, last.offset + 5)
    done = eventram("journal", "verify", str(data_dir))
    assert done.returncode == EXIT_CODES[JournalCorruptError]
    assert "the next start cuts it" in " ".join(done.stderr.split())


def test_repair_asks_first_and_changes_nothing_when_refused(
    data_dir: Path, eventram: Callable[..., Ran]
) -> None:
    bad = frames_of(data_dir)[10]
    flip_byte(bad.path, bad.offset + 9)
    before = bad.path.read_bytes()
    done = eventram("journal", "repair", str(data_dir), stdin="n\n")
    assert done.returncode == 130
    assert bad.path.read_bytes() == before


def test_repair_cuts_at_the_last_sound_frame_and_the_store_starts_again(
    data_dir: Path, eventram: Callable[..., Ran]
) -> None:
    # given a bit flipped in the eleventh frame
    frames = frames_of(data_dir)
    bad = frames[10]
    kept = bad.batches[0][0].position - 1
    flip_byte(bad.path, bad.offset + 9)
    # when repaired
    done = eventram("journal", "repair", str(data_dir), "--yes")
    # then it reports what it removed and where the backup is, and all before the damage is kept
    assert done.returncode == 0, done.stderr
    output = " ".join(done.stdout.split())
    assert f"kept: 10 frames, positions 1..{kept}" in output
    assert "removed: 29 sound frame(s) after the damage" in output
    backups = list((data_dir / "backups").iterdir())
    assert len(backups) == 1
    assert bad.path.name in {p.name for p in backups[0].iterdir()}
    assert eventram("journal", "verify", str(data_dir)).returncode == 0
    store = open_store(data_dir)
    try:
        assert store.last_position() == kept
    finally:
        store.close()


def test_repair_of_a_sound_journal_does_nothing(
    data_dir: Path, eventram: Callable[..., Ran]
) -> None:
    done = eventram("journal", "repair", str(data_dir), "--yes")
    assert done.returncode == 0
    assert "nothing to repair" in done.stdout
    assert not (data_dir / "backups").exists()


def test_repair_is_refused_while_a_store_writes_to_the_directory(
    data_dir: Path, eventram: Callable[..., Ran]
) -> None:
    bad = frames_of(data_dir)[-1]
    store = open_store(data_dir)
    try:
        flip_byte(bad.path, bad.offset + 9)  # damage only the operator's view; the lock wins
        done = eventram("journal", "repair", str(data_dir), "--yes")
    finally:
        store.close()
    assert done.returncode == EXIT_CODES[JournalLockedError]
    assert f"pid {os.getpid()}" in done.stderr


def test_tail_prints_the_latest_events_oldest_first(
    data_dir: Path, eventram: Callable[..., Ran]
) -> None:
    done = eventram("journal", "tail", str(data_dir), "-n", "3", "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["position"] for e in events] == [77, 78, 79]
    assert events[-1]["event_type"] == "test.CartOpened"
    assert events[-1]["data"] == {"customer": "c-39"}
    table = eventram("journal", "tail", str(data_dir), "-n", "2")
    assert table.returncode == 0
    assert "c-39" in table.stdout


def test_a_directory_without_a_journal_is_reported_not_found(
    tmp_path: Path, eventram: Callable[..., Ran]
) -> None:
    done = eventram("journal", "verify", str(tmp_path / "missing"))
    assert done.returncode == EXIT_CODES[NotFoundError]
    assert "was not found" in done.stderr
