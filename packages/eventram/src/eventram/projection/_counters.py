"""CounterTable: counts and Decimal sums by dimensions and time buckets, kept incrementally.

Each counted entity (a payment) contributes one *fact*: its time, its dimension values
(status, currency, ...) and its amounts. Putting a new fact for an entity first retracts its
previous one, so a payment going from ``pending`` to ``completed`` moves from one status to
the other instead of being counted twice. Facts are added to hour, day and month buckets,
partitioned by one dimension (the tenant), so a statistics query costs the buckets it reads.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import product
from typing import Any

from sortedcontainers import SortedList

from eventram.errors import ValidationError
from eventram.projection._buckets import (
    Level,
    bucket_start,
    coarsest_for,
    decompose,
    hour_of,
    hour_range,
    label,
    month_of,
    utc,
)
from eventram.projection._counter_results import Breakdown, Fact, Totals, Trend

__all__ = ["Breakdown", "CounterTable", "Fact", "Totals", "Trend"]

UNKNOWN = "unknown"
_NO_AMOUNTS: Mapping[str, Decimal] = {}
Key = tuple[str, ...]
Cell = list[Any]  # [count, sum_0, sum_1, ...]
Stored = tuple[datetime, Key, tuple[Decimal, ...], int, int]  # at, key, amounts, hour, month


class _Partition:
    """One partition's buckets: per level, bucket index -> dimension key -> cell.

    Buckets and cells are kept once created (a cell back at count 0 is skipped by reads), so
    a fact moving back and forth never reshapes the sorted index of buckets.
    """

    __slots__ = ("buckets", "order")

    def __init__(self) -> None:
        self.buckets: tuple[dict[int, dict[Key, Cell]], ...] = ({}, {}, {})
        self.order: tuple[SortedList, ...] = (SortedList(), SortedList(), SortedList())


class CounterTable:
    """Incremental counters; see the module docstring. Thread-safe (one lock, short holds).

    ``name`` prefixes its version keys: ``"<name>"`` moves on every change and
    ``"<name>/<partition>"`` on changes to that partition, for exact cache invalidation.
    """

    def __init__(
        self,
        name: str,
        dimensions: Sequence[str],
        amounts: Sequence[str] = (),
        *,
        partition_by: str | Sequence[str] | None = None,
    ) -> None:
        parts = (
            ()
            if partition_by is None
            else (partition_by,)
            if isinstance(partition_by, str)
            else tuple(partition_by)
        )
        if any(p not in dimensions for p in parts):
            raise ValidationError(
                f"partition_by={partition_by!r} must name dimensions among {list(dimensions)}.",
                field="partition_by",
            )
        if len(set(dimensions)) != len(dimensions) or len(set(amounts)) != len(amounts):
            raise ValidationError(
                "Dimensions and amounts must not repeat a field.", field="dimensions"
            )
        self.name = name
        self.dimensions = tuple(dimensions)
        self.amounts = tuple(amounts)
        self.partition_by = parts
        self._part_indexes = tuple(self.dimensions.index(p) for p in parts)
        self._width = 1 + len(self.amounts)
        self._partitions: dict[str, _Partition] = {}
        self._facts: dict[str, Stored] = {}
        self._keys: dict[Key, Key] = {}
        self._version = 0
        self._partition_versions: dict[str, int] = {}
        self._lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------------

    def add(self, fact: Fact) -> None:
        """Count a fact that never changes (an event counted once)."""
        stored = self._encode(fact)
        with self._lock:
            self._count(stored, 1)
            self._bump(stored[1])

    def put(self, entity: str, fact: Fact) -> None:
        """Make ``fact`` the contribution of ``entity``, retracting its previous one."""
        stored = self._encode(fact)
        with self._lock:
            previous = self._facts.get(entity)
            if previous is not None:
                self._count(previous, -1)
                self._bump(previous[1])
            self._facts[entity] = stored
            self._count(stored, 1)
            self._bump(stored[1])

    def remove(self, entity: str) -> bool:
        """Retract the contribution of ``entity``; return whether it had one."""
        with self._lock:
            previous = self._facts.pop(entity, None)
            if previous is None:
                return False
            self._count(previous, -1)
            self._bump(previous[1])
            return True

    def fact(self, entity: str) -> Fact | None:
        """The current contribution of ``entity``, if any."""
        stored = self._facts.get(entity)
        if stored is None:
            return None
        at, key, amounts, _, _ = stored
        return Fact(
            at,
            dict(zip(self.dimensions, key, strict=True)),
            dict(zip(self.amounts, amounts, strict=True)) if amounts else {},
        )

    def _encode(self, fact: Fact) -> Stored:
        dims = fact.dimensions
        key = tuple([dims.get(d, UNKNOWN) for d in self.dimensions])
        if self.amounts:
            given = fact.amounts or _NO_AMOUNTS
            amounts = tuple([Decimal(given.get(a, 0)) for a in self.amounts])
        else:
            amounts = ()
        return self._encode_values(fact.at, key, amounts)

    def _encode_values(self, at: datetime, key: Key, amounts: tuple[Decimal, ...]) -> Stored:
        key = self._keys.setdefault(key, key)  # one tuple per distinct combination
        at = utc(at)
        return at, key, amounts, hour_of(at), month_of(at)

    def _partition_of(self, key: Key) -> str:
        indexes = self._part_indexes
        if len(indexes) == 1:
            return key[indexes[0]]
        return "|".join([key[i] for i in indexes])

    def _count(self, stored: Stored, sign: int) -> None:
        _, key, amounts, hour, month = stored
        name = self._partition_of(key)
        partition = self._partitions.get(name)
        if partition is None:
            partition = self._partitions[name] = _Partition()
        for level, index in ((0, hour), (1, hour // 24), (2, month)):
            buckets = partition.buckets[level]
            cells = buckets.get(index)
            if cells is None:
                cells = buckets[index] = {}
                partition.order[level].add(index)
                cells[()] = self._zero()  # the bucket's total, under the empty key
            for cell_key in (key, ()):
                cell = cells.get(cell_key)
                if cell is None:
                    cell = cells[cell_key] = self._zero()
                cell[0] += sign
                if sign > 0:
                    for i, amount in enumerate(amounts, 1):
                        cell[i] += amount
                else:
                    for i, amount in enumerate(amounts, 1):
                        cell[i] -= amount

    def _bump(self, key: Key) -> None:
        self._version += 1
        if self._part_indexes:
            partition = self._partition_of(key)
            self._partition_versions[partition] = self._partition_versions.get(partition, 0) + 1

    # -- versions --------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Bumped by every change."""
        return self._version

    def partition_version(self, partition: str) -> int:
        """Bumped by every change to one partition."""
        return self._partition_versions.get(partition, 0)

    def versions_for(self, partition: str | None = None) -> dict[str, int]:
        """The versions a query over one partition (or over all, when None) depends on.

        With several partition fields a partition is named by their values joined with ``|``.
        """
        if partition is None or not self._part_indexes:
            return {self.name: self._version}
        return {f"{self.name}/{partition}": self.partition_version(partition)}

    def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
        """The current version of each key (-1 for a key this table does not have)."""
        found: dict[str, int] = {}
        prefix = self.name + "/"
        for key in keys:
            if key == self.name:
                found[key] = self._version
            elif key.startswith(prefix):
                found[key] = self.partition_version(key[len(prefix) :])
            else:
                found[key] = -1
        return found

    # -- reading ---------------------------------------------------------------------------

    def breakdown(
        self,
        since: datetime,
        until: datetime,
        *,
        where: Mapping[str, str | Collection[str]] | None = None,
        by: Sequence[str | Sequence[str]] = (),
    ) -> Breakdown:
        """Totals of the facts in ``[since, until)`` matching ``where``, overall and by fields.

        The range is widened to whole hours. ``by`` names dimensions (or tuples of dimensions,
        labelled ``"a|b"``) to break the totals down by. Cost: the buckets read, never the facts.
        """
        h0, h1 = hour_range(since, until)
        groups = [self._group(field) for field in by]
        total = self._zero()
        split: list[dict[str, Cell]] = [{} for _ in groups]
        plan = [
            (idx[0] if len(idx) == 1 else None, idx, found)
            for (idx, _), found in zip(groups, split, strict=True)
        ]
        width = range(self._width)
        for _, _, cells in self._scan(h0, h1, Level.MONTH, where, totals=not groups):
            for key, cell in cells:
                for i in width:
                    total[i] += cell[i]
                for single, indexes, found in plan:
                    name = (
                        key[single] if single is not None else "|".join([key[i] for i in indexes])
                    )
                    acc = found.get(name)
                    if acc is None:
                        found[name] = list(cell)
                    else:
                        for i in width:
                            acc[i] += cell[i]
        return Breakdown(
            since=bucket_start(Level.HOUR, h0),
            until=bucket_start(Level.HOUR, h1),
            total=self._totals(total),
            by={
                label_: {k: self._totals(v) for k, v in sorted(found.items())}
                for (_, label_), found in zip(groups, split, strict=True)
            },
        )

    def trend(
        self,
        since: datetime,
        until: datetime,
        interval: str = "day",
        *,
        where: Mapping[str, str | Collection[str]] | None = None,
    ) -> Trend:
        """Totals per hour, day, ISO week or month in ``[since, until)`` (whole hours)."""
        coarsest = coarsest_for(interval)
        h0, h1 = hour_range(since, until)
        buckets: dict[str, Cell] = {}
        width = range(self._width)
        for level, index, cells in self._scan(h0, h1, coarsest, where, totals=True):
            name = label(level, index, interval)
            acc = buckets.get(name)
            if acc is None:
                acc = buckets[name] = self._zero()
            for _, cell in cells:
                for i in width:
                    acc[i] += cell[i]
        return Trend(
            since=bucket_start(Level.HOUR, h0),
            until=bucket_start(Level.HOUR, h1),
            interval=interval,
            buckets={k: self._totals(v) for k, v in sorted(buckets.items()) if v[0]},
        )

    def _group(self, field: str | Sequence[str]) -> tuple[list[int], str]:
        fields = [field] if isinstance(field, str) else list(field)
        for name in fields:
            self._check_dimension(name)
        return [self.dimensions.index(f) for f in fields], "|".join(fields)

    def _check_dimension(self, name: str) -> None:
        if name not in self.dimensions:
            raise ValidationError(
                f"{name!r} is not a dimension of counters {self.name!r} "
                f"(dimensions: {', '.join(self.dimensions)}).",
                field=name,
            )

    def _plan(
        self, where: Mapping[str, str | Collection[str]] | None
    ) -> tuple[list[str] | None, list[tuple[int, frozenset[str]]]]:
        """The partitions a filter pins (None: all) and the tests left for each cell."""
        allowed: dict[int, frozenset[str]] = {}
        for field, wanted in (where or {}).items():
            self._check_dimension(field)
            allowed[self.dimensions.index(field)] = frozenset(
                [wanted] if isinstance(wanted, str) else wanted
            )
        pinned = self._part_indexes and all(i in allowed for i in self._part_indexes)
        if not pinned:
            return None, list(allowed.items())
        values = [sorted(allowed[i]) for i in self._part_indexes]
        names = ["|".join(combo) for combo in product(*values)]
        checks = [(i, a) for i, a in allowed.items() if i not in self._part_indexes]
        return names, checks

    def _scan(
        self,
        h0: int,
        h1: int,
        coarsest: Level,
        where: Mapping[str, str | Collection[str]] | None,
        *,
        totals: bool,
    ) -> list[tuple[Level, int, list[tuple[Key, Cell]]]]:
        """Copies of the matching cells of each bucket covering ``[h0, h1)``, read under the lock.

        With ``totals`` (no breakdown asked) and no test left once the partitions are chosen,
        each bucket answers with its total cell alone.
        """
        names, checks = self._plan(where)
        use_totals = totals and not checks
        pieces = decompose(h0, h1, coarsest)
        found: list[tuple[Level, int, list[tuple[Key, Cell]]]] = []
        with self._lock:
            chosen = (
                list(self._partitions.values())
                if names is None
                else [self._partitions[n] for n in names if n in self._partitions]
            )
            for level, start, stop in pieces:
                for partition in chosen:
                    buckets = partition.buckets[level]
                    for index in partition.order[level].irange(start, stop, (True, False)):
                        cells = buckets[index]
                        picked: list[tuple[Key, Cell]]
                        if use_totals:
                            total = cells[()]
                            picked = [((), list(total))] if total[0] else []
                        else:
                            picked = [
                                (key, list(cell))
                                for key, cell in cells.items()
                                if key
                                and cell[0]
                                and all(key[i] in allowed for i, allowed in checks)
                            ]
                        if picked:
                            found.append((level, index, picked))
        return found

    def _zero(self) -> Cell:
        return [0, *[Decimal(0)] * len(self.amounts)]

    def _totals(self, cell: Cell) -> Totals:
        return Totals(count=cell[0], sums=dict(zip(self.amounts, cell[1:], strict=True)))

    def __len__(self) -> int:
        """How many entities have a tracked fact."""
        return len(self._facts)
