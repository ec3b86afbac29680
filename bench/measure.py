"""Samplers for the usual kinds of figures: a rate, a duration, retained memory.

Each helper takes a ``prepare`` function, runs it untimed, and measures only what it returns:
the body to time, or the object whose memory to count. Everything ``prepare`` built is dropped
after the sample, so trials do not feed on each other.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable

from bench.harness import Sampler

__all__ = ["CPU", "WALL", "Timer", "per_call", "rate", "retained_bytes"]

Body = Callable[[], object]
Timer = Callable[[], float]

WALL: Timer = time.perf_counter
"""Elapsed time: what a caller waits, including I/O and time the OS gave to other processes."""
CPU: Timer = time.process_time
"""CPU time of this process: for in-memory work, the same as ``WALL`` on an idle machine, and
much steadier on a busy one (time the OS gives to other processes is not counted)."""


def rate(count: int, prepare: Callable[[], Body], timer: Timer = WALL) -> Sampler:
    """Operations per second: ``prepare()`` builds the state, its body does ``count`` ops."""

    def sample() -> float:
        body = prepare()
        started = timer()
        body()
        elapsed = timer() - started
        return count / elapsed

    return sample


def per_call(
    repeat: int, prepare: Callable[[], Body], scale: float = 1e3, timer: Timer = WALL
) -> Sampler:
    """Mean time of one call of the body over ``repeat`` calls, in ms (``scale`` = 1e3)."""

    def sample() -> float:
        body = prepare()
        started = timer()
        for _ in range(repeat):
            body()
        elapsed = timer() - started
        return elapsed / repeat * scale

    return sample


def retained_bytes(count: int, build: Callable[[], object]) -> Sampler:
    """Bytes still allocated (tracemalloc) after ``build()``, per item, while its result lives.

    Temporaries that ``build`` frees are not counted; what the returned object keeps is.
    """

    def sample() -> float:
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            kept = build()
            gc.collect()
            after = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        del kept
        return (after - before) / count

    return sample
