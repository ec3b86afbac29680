"""SIGKILL at random moments while several threads append with fsync=always (and interval).

Each round starts a child on the same data directory, kills it, and checks from the journal
that every acknowledged append is there, no batch is partial, and positions are gap-free.
A longer run: ``scripts/crash_stress.py``.
"""

from __future__ import annotations

import random
from pathlib import Path

from tests.integration.journal_crash import check_journal, crash_round

ROUNDS = 20


def test_every_acknowledged_append_survives_sigkill_at_random_moments(tmp_path: Path) -> None:
    rng = random.Random()
    acknowledged = 0
    stored = 0
    for _ in range(ROUNDS):
        # given a child appending from four threads to the directory the last round left
        acks = crash_round(
            tmp_path, threads=4, segment_size=64 * 1024, kill_after=rng.uniform(0.0, 0.25)
        )
        # when it was killed, then the journal holds all it acknowledged, whole and in order
        result = check_journal(tmp_path, acks)
        assert result.events >= stored, "a restart lost events that an earlier round kept"
        stored = result.events
        acknowledged += result.acknowledged
    assert acknowledged > 0, "no append was acknowledged in any round: the test proved nothing"


def test_under_fsync_interval_a_process_crash_loses_nothing_acknowledged(tmp_path: Path) -> None:
    # interval promises a process crash loses nothing (frames are in the OS before an append
    # returns); only a power loss may lose the last interval
    rng = random.Random()
    acknowledged = 0
    for _ in range(ROUNDS // 2):
        acks = crash_round(
            tmp_path,
            threads=4,
            segment_size=64 * 1024,
            kill_after=rng.uniform(0.0, 0.25),
            fsync="interval",
        )
        acknowledged += check_journal(tmp_path, acks).acknowledged
    assert acknowledged > 0, "no append was acknowledged in any round: the test proved nothing"
