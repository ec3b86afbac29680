"""The benchmark harness: what a suite receives, how figures are measured, compared and kept.

A suite is a module ``bench/suites/<name>.py`` with a function ``run(bench: Bench) -> None``.
It measures figures through :meth:`Bench.compare` (the harness runs ours and the anchor in
alternation, trial after trial, in this process) or hands in samples it took itself through
:meth:`Bench.record`. See ``bench/README.md``.
"""

from __future__ import annotations

import gc
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

__all__ = [
    "Bench",
    "Better",
    "Figure",
    "Sampler",
    "SkipSuite",
    "Stats",
]

Better = Literal["higher", "lower"]
"""Which way is better for a figure: throughput is ``higher``, time and bytes are ``lower``."""

Sampler = Callable[[], float]
"""One trial of one side of a figure: does its own (untimed) setup, returns one sample."""


class SkipSuite(Exception):  # noqa: N818 (a signal, not an error)
    """Raised by a suite (through :meth:`Bench.skip`) that cannot run here, with the reason."""


@dataclass(frozen=True)
class Stats:
    """Samples of one side of a figure, with their median and range."""

    samples: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.samples:
            raise ValueError("a figure needs at least one sample")

    @property
    def median(self) -> float:
        """The median sample."""
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        """The smallest sample."""
        return min(self.samples)

    @property
    def max(self) -> float:
        """The largest sample."""
        return max(self.samples)

    def to_dict(self) -> dict[str, Any]:
        """Median, range and samples, for the JSON record."""
        return {
            "median": self.median,
            "min": self.min,
            "max": self.max,
            "samples": list(self.samples),
        }


@dataclass(frozen=True)
class Figure:
    """One measured figure: ours, optionally an anchor, and the ratio we aim for.

    ``ratio`` is how many times better ours is than the anchor, on medians: ours / anchor when
    higher is better, anchor / ours when lower is better. ``target`` is the smallest acceptable
    ratio (4.0 means "at least 4x better", 0.5 "at least half as good", 1.0 "no worse").
    """

    name: str
    unit: str
    ours: Stats
    better: Better = "higher"
    anchor: Stats | None = None
    anchor_name: str = ""
    target: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        """How many times better ours is than the anchor (None without an anchor)."""
        if self.anchor is None:
            return None
        ours, anchor = self.ours.median, self.anchor.median
        numerator, denominator = (ours, anchor) if self.better == "higher" else (anchor, ours)
        if denominator == 0:
            return float("inf") if numerator > 0 else None
        return numerator / denominator

    @property
    def met(self) -> bool | None:
        """Whether the ratio reaches the target (None when there is no target)."""
        ratio = self.ratio
        if self.target is None or ratio is None:
            return None
        return ratio >= self.target

    def to_dict(self) -> dict[str, Any]:
        """The figure as plain data, for the JSON record."""
        anchor: dict[str, Any] | None = None
        if self.anchor is not None:
            anchor = {"name": self.anchor_name, **self.anchor.to_dict()}
        return {
            "name": self.name,
            "unit": self.unit,
            "better": self.better,
            "ours": self.ours.to_dict(),
            "anchor": anchor,
            "ratio": self.ratio,
            "target": self.target,
            "met": self.met,
            "note": self.note,
        }


@dataclass
class Bench:
    """What a suite receives: the settings of this run and the calls that make figures.

    ``quick`` asks for small sizes (a smoke test); ``trials`` is how many samples each side of
    each figure gets. ``context`` is free-form data the suite wants kept in its JSON record
    (sizes, configuration).
    """

    suite: str
    quick: bool = False
    trials: int = 5
    on_figure: Callable[[Figure], None] = lambda figure: None
    figures: list[Figure] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)

    def size(self, full: int, quick: int) -> int:
        """``full`` for a real run, ``quick`` under ``--quick``."""
        return quick if self.quick else full

    def skip(self, reason: str) -> NoReturn:
        """Stop this suite without error (a service or optional dependency is missing)."""
        raise SkipSuite(reason)

    def compare(
        self,
        name: str,
        *,
        unit: str,
        ours: Sampler,
        anchor: Sampler | None = None,
        anchor_name: str = "",
        better: Better = "higher",
        target: float | None = None,
        note: str = "",
        warmup: bool = True,
    ) -> Figure:
        """Measure ours (and the anchor) ``trials`` times, alternating, and record the figure.

        Each trial collects garbage first and swaps which side goes first, so drift and the
        other side's leftovers weigh on both alike. ``warmup`` runs each side once, unrecorded.
        """
        if anchor is not None and not anchor_name:
            raise ValueError(f"figure {name!r}: name the anchor (anchor_name=...)")
        sides: list[Sampler] = [ours] if anchor is None else [ours, anchor]
        if warmup:
            for sampler in sides:
                _sample(sampler)
        taken: list[list[float]] = [[] for _ in sides]
        for trial in range(self.trials):
            order = range(len(sides)) if trial % 2 == 0 else reversed(range(len(sides)))
            for index in order:
                taken[index].append(_sample(sides[index]))
        return self.record(
            name,
            unit=unit,
            ours=taken[0],
            anchor=taken[1] if anchor is not None else None,
            anchor_name=anchor_name,
            better=better,
            target=target,
            note=note,
        )

    def record(
        self,
        name: str,
        *,
        unit: str,
        ours: Sequence[float],
        anchor: Sequence[float] | None = None,
        anchor_name: str = "",
        better: Better = "higher",
        target: float | None = None,
        note: str = "",
    ) -> Figure:
        """Record a figure from samples the suite took itself (e.g. p50 and p99 of a run)."""
        if target is not None and anchor is None:
            raise ValueError(f"figure {name!r}: a target needs an anchor to compare with")
        figure = Figure(
            name=name,
            unit=unit,
            ours=Stats(tuple(ours)),
            better=better,
            anchor=Stats(tuple(anchor)) if anchor is not None else None,
            anchor_name=anchor_name,
            target=target,
            note=note,
        )
        self.figures.append(figure)
        self.on_figure(figure)
        return figure


def _sample(sampler: Sampler) -> float:
    gc.collect()
    value = float(sampler())
    gc.collect()
    return value
