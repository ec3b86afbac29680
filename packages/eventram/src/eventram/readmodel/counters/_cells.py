"""The buckets of a counter table: per partition, per level, bucket index -> key -> cell.

A cell is ``[count, sum_0, sum_1, ...]``. A bucket holding two cells or more also keeps their
total under the empty key, so a query that breaks nothing down reads one cell per bucket (the
total, or the bucket's only cell); most hour buckets hold one cell, and keep no total. A cell
whose count falls back to 0 is dropped, and so is a bucket left empty, so the table's size
follows the buckets and dimension values in use (a fact that moves is counted in its new cell
before it leaves its old one, so a bucket they share never empties in between). Callers hold
the table's lock.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from sortedcontainers import SortedList

from eventram.readmodel.timebuckets import Level, Piece

__all__ = ["EXACT", "Cell", "Cells", "Key", "Picked", "Row"]

EXACT = decimal.Context(
    prec=120, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow]
)
"""Decimal context of every sum: 120 digits, and any rounding raises instead of happening."""

Key = tuple[str, ...]
Cell = list[Any]
Picked = tuple[Level, int, list[tuple[Key, Cell]]]
"""One bucket read: its level, its index, and copies of the cells that matched."""
Row = tuple[str, int, int, list[str], int, list[Decimal]]
"""One stored cell as plain data: partition, level, bucket index, key, count, sums."""
Checks = Sequence[tuple[int, frozenset[str]]]


class _Partition:
    __slots__ = ("buckets", "order")

    def __init__(self) -> None:
        self.buckets: tuple[dict[int, dict[Key, Cell]], ...] = ({}, {}, {})
        self.order: tuple[SortedList, ...] = (SortedList(), SortedList(), SortedList())

    def bucket(self, level: int, index: int) -> dict[Key, Cell]:
        buckets = self.buckets[level]
        cells = buckets.get(index)
        if cells is None:
            cells = buckets[index] = {}
            self.order[level].add(index)
        return cells

    def drop(self, level: int, index: int) -> None:
        del self.buckets[level][index]
        self.order[level].remove(index)


def zero(width: int) -> Cell:
    """An empty cell: count 0 and ``width - 1`` zero sums."""
    return [0, *[Decimal(0)] * (width - 1)]


class Cells:
    """Every bucket of every partition of one table (see the module docstring)."""

    def __init__(self, width: int, partition_indexes: Sequence[int]) -> None:
        self.width = width
        self.partition_indexes = tuple(partition_indexes)
        self._partitions: dict[str, _Partition] = {}

    def partition_of(self, key: Key) -> str:
        """The partition holding ``key``: its partition values joined with ``|``."""
        indexes = self.partition_indexes
        if len(indexes) == 1:
            return key[indexes[0]]
        return "|".join([key[i] for i in indexes])

    def count(self, key: Key, amounts: Sequence[Decimal], hour: int, month: int, sign: int) -> None:
        """Add (``sign`` 1) or take away (-1) one fact in its hour, day and month buckets."""
        name = self.partition_of(key)
        partition = self._partitions.get(name)
        if partition is None:
            partition = self._partitions[name] = _Partition()
        move = EXACT.add if sign > 0 else EXACT.subtract
        for level, index in ((0, hour), (1, hour // 24), (2, month)):
            cells = partition.bucket(level, index)
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = zero(self.width)
                if len(cells) == 2:  # a second cell: the bucket starts keeping a total
                    cells[()] = list(next(c for k, c in cells.items() if k != key))
            total = cells.get(()) if key else None
            for counted in (cell,) if total is None else (cell, total):
                counted[0] += sign
                for i, amount in enumerate(amounts, 1):
                    counted[i] = move(counted[i], amount)
            if not cell[0]:
                del cells[key]
                if not cells:
                    partition.drop(level, index)
                elif total is not None and len(cells) == 2:  # one cell left: its own total
                    del cells[()]

    def _chosen(self, names: Sequence[str] | None) -> list[_Partition]:
        if names is None:
            return list(self._partitions.values())
        return [self._partitions[n] for n in names if n in self._partitions]

    def hour_bounds(self, names: Sequence[str] | None) -> tuple[int, int] | None:
        """The first hour and the hour after the last one used by the partitions (None: none)."""
        used = [p.order[0] for p in self._chosen(names) if p.order[0]]
        if not used:
            return None
        return min(o[0] for o in used), max(o[-1] for o in used) + 1

    def pick(
        self, pieces: Sequence[Piece], names: Sequence[str] | None, checks: Checks, totals: bool
    ) -> list[Picked]:
        """Copies of the matching, non-empty cells of each bucket of ``pieces``.

        With ``totals`` and no check left once the partitions are chosen, each bucket answers
        with its total cell alone.
        """
        use_totals = totals and not checks
        found: list[Picked] = []
        chosen = self._chosen(names)
        for level, start, stop in pieces:
            for partition in chosen:
                buckets = partition.buckets[level]
                for index in partition.order[level].irange(start, stop, (True, False)):
                    cells = buckets[index]
                    picked: list[tuple[Key, Cell]]
                    if use_totals:
                        total = cells.get(()) or next(iter(cells.values()))
                        picked = [((), list(total))] if total[0] else []
                    else:
                        picked = [
                            (key, list(cell))
                            for key, cell in cells.items()
                            if key and cell[0] and all(key[i] in ok for i, ok in checks)
                        ]
                    if picked:
                        found.append((level, index, picked))
        return found

    def rows(self) -> Iterator[Row]:
        """Every cell as plain data (for snapshots)."""
        for name, partition in self._partitions.items():
            for level, buckets in enumerate(partition.buckets):
                for index, bucket in buckets.items():
                    for key, cell in bucket.items():
                        yield name, level, index, list(key), cell[0], cell[1:]

    def put_row(self, row: Row, key: Key) -> None:
        """Put back one cell that :meth:`rows` gave (``key`` is its interned key)."""
        name, level, index, _, count, sums = row
        partition = self._partitions.get(name)
        if partition is None:
            partition = self._partitions[name] = _Partition()
        partition.bucket(level, index)[key] = [count, *sums]
