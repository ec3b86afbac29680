"""Adding cells up: overall, by dimension groups and per time interval, in one pass."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import localcontext

from eventram.readmodel.counters._cells import EXACT, Cell, Picked, zero
from eventram.readmodel.counters._results import Totals
from eventram.readmodel.timebuckets import label

__all__ = ["Group", "Tally"]

Group = tuple[list[int], str]
"""The key positions of a group of dimensions, and its label (``"a"`` or ``"a|b"``)."""


class Tally:
    """Running totals of the cells read by one query.

    Sums are added in the :data:`EXACT` context, set once per :meth:`add` (a ``+=`` in it costs
    less than a call to ``EXACT.add``), so no sum is ever rounded.
    """

    def __init__(self, width: int, groups: Sequence[Group], intervals: Sequence[str]) -> None:
        self._width = range(width)
        self._labels = [name for _, name in groups]
        self._intervals = list(intervals)
        self._everything: dict[str, Cell] = {"": zero(width)}
        self._by: list[dict[str, Cell]] = [{} for _ in groups]
        self._groups = [
            (idx[0] if len(idx) == 1 else None, idx, found)
            for (idx, _), found in zip(groups, self._by, strict=True)
        ]
        self._per: list[dict[str, Cell]] = [{} for _ in intervals]

    def add(self, picked: Sequence[Picked]) -> None:
        """Count the cells of the buckets read: into the total, each group and each interval."""
        width, total = self._width, self._everything[""]
        with localcontext(EXACT):
            for level, index, cells in picked:
                buckets = [
                    (found, label(level, index, interval))
                    for interval, found in zip(self._intervals, self._per, strict=True)
                ]
                for key, cell in cells:
                    for i in width:
                        total[i] += cell[i]
                    for one, idx, found in self._groups:
                        name = key[one] if one is not None else "|".join([key[i] for i in idx])
                        acc = found.get(name)
                        if acc is None:
                            found[name] = list(cell)
                        else:
                            for i in width:
                                acc[i] += cell[i]
                    for found, name in buckets:
                        acc = found.get(name)
                        if acc is None:
                            found[name] = list(cell)
                        else:
                            for i in width:
                                acc[i] += cell[i]

    def results(
        self, amounts: Sequence[str]
    ) -> tuple[Totals, dict[str, dict[str, Totals]], dict[str, dict[str, Totals]]]:
        """The total, the groups by label and the buckets per interval (empty ones left out)."""

        def totals(cell: Cell) -> Totals:
            return Totals(count=cell[0], sums=dict(zip(amounts, cell[1:], strict=True)))

        def named(found: dict[str, Cell]) -> dict[str, Totals]:
            return {k: totals(v) for k, v in sorted(found.items()) if v[0]}

        return (
            totals(self._everything[""]),
            {name: named(found) for name, found in zip(self._labels, self._by, strict=True)},
            {name: named(found) for name, found in zip(self._intervals, self._per, strict=True)},
        )
