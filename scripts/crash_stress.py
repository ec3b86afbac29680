"""The long crash run: SIGKILL a journaling child at random moments, round after round.

    .venv/bin/python scripts/crash_stress.py --rounds 500 --threads 8

Each round starts a child that appends with fsync=always from several threads and prints what
was acknowledged, kills it with SIGKILL after a random delay, then reopens the data directory
and checks that every acknowledged append is present, no batch is partial and positions are
gap-free (the same checks as ``tests/integration/test_journal_crash.py``, many more rounds).
Exits 1 on the first broken promise.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.integration.journal_crash import check_journal, crash_round


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--max-delay", type=float, default=1.0, help="seconds before the kill")
    parser.add_argument("--segment-size", type=int, default=256 * 1024)
    parser.add_argument("--data-dir", type=Path, help="default: a fresh temporary directory")
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="eventram-crash-"))
    print(f"data directory: {data_dir}")
    started = time.monotonic()
    acknowledged = 0
    torn = 0
    for number in range(1, args.rounds + 1):
        acks = crash_round(
            data_dir,
            threads=args.threads,
            segment_size=args.segment_size,
            kill_after=rng.uniform(0.0, args.max_delay),
        )
        try:
            result = check_journal(data_dir, acks)
        except AssertionError as exc:
            print(f"round {number}: BROKEN: {exc}")
            return 1
        acknowledged += result.acknowledged
        torn += 1 if result.dropped_bytes else 0
        print(
            f"round {number}: {result.acknowledged} acknowledged, {result.events} events stored, "
            f"{result.dropped_bytes} torn bytes cut"
        )
    print(
        f"{args.rounds} rounds in {time.monotonic() - started:.0f}s: {acknowledged} acknowledged "
        f"appends all present; {torn} round(s) ended with a torn frame"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
