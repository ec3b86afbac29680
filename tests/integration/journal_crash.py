"""The crash harness: a child that appends and prints what was acknowledged, and the checks.

The child (``python -m tests.integration.journal_crash DATA_DIR THREADS SEGMENT_SIZE [FSYNC]``)
opens the store with ``fsync=always`` (or the policy given) and appends from several threads;
after each append returns it prints ``first_position last_position batch_id``. Each event
carries its batch id, its index in the batch and the batch size, so a check can tell a partial
batch from a whole one. Used by ``test_journal_crash.py`` (a few dozen rounds) and
``scripts/crash_stress.py`` (as many as you like).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

from eventram import AppendRequest, Event, NewEvent, RecordedEvent
from eventram.store.durable import open_store

__all__ = ["Acknowledged", "RoundResult", "Tick", "check_journal", "crash_round"]

REPO = Path(__file__).resolve().parents[2]
START_GUARD = 60.0
"""Upper bound for the child to open its store (a guard against hangs, not a speed test)."""


class Tick(Event, frozen=True):
    """One event of a crash-test batch: which batch, where in it, and how long it is."""

    event_type = "test.journal.Tick"
    batch: str
    index: int
    size: int


@dataclass(frozen=True)
class Acknowledged:
    """An append the child saw return: its positions and its batch id."""

    first: int
    last: int
    batch: str


@dataclass(frozen=True)
class RoundResult:
    """What one crash round left: events in the store, acknowledged appends, torn bytes cut."""

    events: int
    acknowledged: int
    dropped_bytes: int


def _ticks(size: int) -> tuple[str, list[NewEvent]]:
    batch = uuid4().hex
    return batch, [NewEvent(data=Tick(batch=batch, index=k, size=size)) for k in range(size)]


def child(data_dir: str, threads: int, segment_size: int, fsync: str = "always") -> None:
    """Append forever from ``threads`` threads, printing each acknowledged append."""
    store = open_store(data_dir, fsync=fsync, segment_size=segment_size)  # type: ignore[arg-type]
    out = threading.Lock()

    def say(line: str) -> None:
        with out:
            sys.stdout.write(line)
            sys.stdout.flush()

    def work(n: int) -> None:
        rng = random.Random()
        i = 0
        while True:
            i += 1
            if rng.random() < 0.1:
                batches = [_ticks(rng.randint(1, 3)) for _ in range(2)]
                bulk = store.append_many(
                    [
                        AppendRequest(stream_id=f"w{n}-bulk-{k}-{i}", events=events)
                        for k, (_, events) in enumerate(batches)
                    ]
                )
                for k, (batch, _) in enumerate(batches):
                    r = bulk.results[f"w{n}-bulk-{k}-{i}"]
                    say(f"{r.first_position} {r.position} {batch}\n")
                continue
            batch, events = _ticks(rng.randint(1, 4))
            r = store.append(f"w{n}-{i % 5}", events)
            say(f"{r.first_position} {r.position} {batch}\n")

    for n in range(threads):
        threading.Thread(target=work, args=(n,), daemon=True).start()
    say("ready\n")
    threading.Event().wait()


def crash_round(
    data_dir: Path, *, threads: int, segment_size: int, kill_after: float, fsync: str = "always"
) -> list[Acknowledged]:
    """Run the child, SIGKILL it ``kill_after`` seconds after it is ready; return its acks."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.integration.journal_crash",
            str(data_dir),
            str(threads),
            str(segment_size),
            fsync,
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    lines: list[bytes] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line == b"ready\n":
                ready.set()
            else:
                lines.append(line)

    reader = threading.Thread(target=read)
    reader.start()
    try:
        if not ready.wait(START_GUARD):
            raise AssertionError(f"the crash child never became ready: {proc.stderr!r}")
        time.sleep(kill_after)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join()
        stderr = proc.stderr.read() if proc.stderr is not None else b""
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    if stderr.strip():
        raise AssertionError(f"the crash child failed: {stderr.decode(errors='replace')}")
    acks = []
    for line in lines:
        if line.endswith(b"\n"):  # a line cut by the kill was not seen whole: not acknowledged
            first, last, batch = line.split()
            acks.append(Acknowledged(int(first), int(last), batch.decode()))
    return acks


def check_journal(data_dir: Path, acknowledged: list[Acknowledged]) -> RoundResult:
    """Reopen ``data_dir`` and check every promise; raise ``AssertionError`` on a broken one."""
    store = open_store(data_dir, fsync="never")
    try:
        events = store.read_all()
        dropped = store.recovery.dropped_bytes if store.recovery is not None else 0
    finally:
        store.close()
    positions = [e.position for e in events]
    assert positions == list(range(1, len(events) + 1)), "positions are not gap-free"
    ticks = [_tick(e) for e in events]
    batches: dict[str, list[tuple[RecordedEvent, Tick]]] = {}
    for event, tick in zip(events, ticks, strict=True):
        batches.setdefault(tick.batch, []).append((event, tick))
    for batch, members in batches.items():
        first, size = members[0][0], members[0][1].size
        assert [t.index for _, t in members] == list(range(size)), f"batch {batch} is partial"
        assert len({e.stream_id for e, _ in members}) == 1, f"batch {batch} spans streams"
        assert [e.position for e, _ in members] == list(
            range(first.position, first.position + size)
        ), f"batch {batch} is not contiguous"
    for ack in acknowledged:
        assert ack.last <= len(events), f"acknowledged position {ack.last} was lost"
        stored = {t.batch for t in ticks[ack.first - 1 : ack.last]}
        assert stored == {ack.batch}, (
            f"acknowledged batch {ack.batch} at {ack.first}..{ack.last} is not what is stored"
        )
    return RoundResult(len(events), len(acknowledged), dropped)


def _tick(event: RecordedEvent) -> Tick:
    data = event.data
    assert isinstance(data, Tick), f"unexpected event {event.event_type} at {event.position}"
    return data


if __name__ == "__main__":
    child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:5])
