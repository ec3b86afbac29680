"""Adding cells up: overall, by dimension groups and per time interval, in one pass."""

from __future__ import annotations

from collections.abc import Sequence

from eventram.readmodel.counters._cells import EXACT, Cell, Picked, zero
from eventram.readmodel.counters._results import Totals
from eventram.readmodel.timebuckets import label

__all__ = ["Group", "Tally"]

Group = tuple[list[int], str]
"""The key positions of a group of dimensions, and its label (``"a"`` or ``"a|b"``)."""


class Tally:
    """Running totals of the cells read by one query."""

    def __init__(self, width: int, groups: Sequence[Group], intervals: Sequence[str]) -> None:
        self._width = width
        self._groups = [(idx[0] if len(idx) == 1 else None, idx) for idx, _ in groups]
        self._labels = [name for _, name in groups]
        self._intervals = list(intervals)
        self.total = zero(width)
        self._by: list[dict[str, Cell]] = [{} for _ in groups]
        self._per: list[dict[str, Cell]] = [{} for _ in intervals]

    def _into(self, found: dict[str, Cell], name: str, cell: Cell) -> None:
        acc = found.get(name)
        if acc is None:
            found[name] = list(cell)
            return
        acc[0] += cell[0]
        for i in range(1, self._width):
            acc[i] = EXACT.add(acc[i], cell[i])

    def add(self, picked: Sequence[Picked]) -> None:
        """Count the cells of the buckets read."""
        total, width = self.total, self._width
        for level, index, cells in picked:
            labels = [label(level, index, interval) for interval in self._intervals]
            for key, cell in cells:
                total[0] += cell[0]
                for i in range(1, width):
                    total[i] = EXACT.add(total[i], cell[i])
                for (single, indexes), found in zip(self._groups, self._by, strict=True):
                    name = (
                        key[single] if single is not None else "|".join([key[i] for i in indexes])
                    )
                    self._into(found, name, cell)
                for name, found in zip(labels, self._per, strict=True):
                    self._into(found, name, cell)

    def results(
        self, amounts: Sequence[str]
    ) -> tuple[Totals, dict[str, dict[str, Totals]], dict[str, dict[str, Totals]]]:
        """The total, the groups by label and the buckets per interval (empty ones left out)."""

        def totals(cell: Cell) -> Totals:
            return Totals(count=cell[0], sums=dict(zip(amounts, cell[1:], strict=True)))

        def named(found: dict[str, Cell]) -> dict[str, Totals]:
            return {k: totals(v) for k, v in sorted(found.items()) if v[0]}

        return (
            totals(self.total),
            {name: named(found) for name, found in zip(self._labels, self._by, strict=True)},
            {name: named(found) for name, found in zip(self._intervals, self._per, strict=True)},
        )
