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

__all__ = ["per_call", "rate", "retained_bytes"]

Body = Callable[[], object]


def rate(count: int, prepare: Callable[[], Body]) -> Sampler:
    """Operations per second: ``prepare()`` builds the state, its body does ``count`` ops."""

    def sample() -> float:
        body = prepare()
        started = time.perf_counter()
        body()
        elapsed = time.perf_counter() - started
        return count / elapsed

    return sample


def per_call(repeat: int, prepare: Callable[[], Body], scale: float = 1e3) -> Sampler:
    """Mean time of one call of the body over ``repeat`` calls, in ms (``scale`` = 1e3)."""

    def sample() -> float:
        body = prepare()
        started = time.perf_counter()
        for _ in range(repeat):
            body()
        elapsed = time.perf_counter() - started
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
