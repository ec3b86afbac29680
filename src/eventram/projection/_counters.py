"""CounterTable: counts and Decimal sums by dimensions and time buckets, kept incrementally.

Each counted entity (a payment) contributes one *fact*: its time, its dimension values
(status, currency, ...) and its amounts. Putting a new fact for an entity first retracts its
previous one, so a payment going from ``pending`` to ``completed`` moves from one status to
the other instead of being counted twice. Facts are added to hour, day and month buckets,
partitioned by one dimension (the tenant), so a statistics query costs the buckets it reads.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
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


class Fact(msgspec.Struct, frozen=True):
    """What one entity contributes: when it counts, its dimension values and its amounts."""

    at: datetime
    dimensions: Mapping[str, str]
    amounts: Mapping[str, Decimal] = msgspec.field(default_factory=dict)

    def replace(
        self,
        *,
        at: datetime | None = None,
        amounts: Mapping[str, Decimal] | None = None,
        **dimensions: str,
    ) -> Fact:
        """A copy with some dimensions (keyword arguments), the time or the amounts changed."""
        return Fact(
            self.at if at is None else at,
            {**self.dimensions, **dimensions} if dimensions else self.dimensions,
            self.amounts if amounts is None else amounts,
        )


class Totals(msgspec.Struct, frozen=True):
    """A count and the sum of each amount field."""

    count: int = 0
    sums: dict[str, Decimal] = msgspec.field(default_factory=dict)


class Breakdown(msgspec.Struct, frozen=True):
    """Totals over ``[since, until)`` (whole hours), overall and by each requested field."""

    since: datetime
    until: datetime
    total: Totals
    by: dict[str, dict[str, Totals]]


class Trend(msgspec.Struct, frozen=True):
    """Totals per ``interval`` bucket (labels as in ``eventram.store.counters.bucket_key``)."""

    since: datetime
    until: datetime
    interval: str
    buckets: dict[str, Totals]


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
        partition_by: str | None = None,
    ) -> None:
        if partition_by is not None and partition_by not in dimensions:
            raise ValidationError(
                f"partition_by={partition_by!r} must be one of the dimensions {list(dimensions)}.",
                field="partition_by",
            )
        if len(set(dimensions)) != len(dimensions) or len(set(amounts)) != len(amounts):
            raise ValidationError(
                "Dimensions and amounts must not repeat a field.", field="dimensions"
            )
        self.name = name
        self.dimensions = tuple(dimensions)
        self.amounts = tuple(amounts)
        self.partition_by = partition_by
        self._part_index = self.dimensions.index(partition_by) if partition_by else None
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
        key = self._keys.setdefault(key, key)  # one tuple per distinct combination
        if self.amounts:
            given = fact.amounts or _NO_AMOUNTS
            amounts = tuple([Decimal(given.get(a, 0)) for a in self.amounts])
        else:
            amounts = ()
        at = utc(fact.at)
        return at, key, amounts, hour_of(at), month_of(at)

    def _count(self, stored: Stored, sign: int) -> None:
        _, key, amounts, hour, month = stored
        name = key[self._part_index] if self._part_index is not None else ""
        partition = self._partitions.get(name)
        if partition is None:
            partition = self._partitions[name] = _Partition()
        for level, index in ((0, hour), (1, hour // 24), (2, month)):
            buckets = partition.buckets[level]
            cells = buckets.get(index)
            if cells is None:
                cells = buckets[index] = {}
                partition.order[level].add(index)
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = self._zero()
            cell[0] += sign
            if sign > 0:
                for i, amount in enumerate(amounts, 1):
                    cell[i] += amount
            else:
                for i, amount in enumerate(amounts, 1):
                    cell[i] -= amount

    def _bump(self, key: Key) -> None:
        self._version += 1
        if self._part_index is not None:
            partition = key[self._part_index]
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
        """The versions a query over one partition (or over all, when None) depends on."""
        if partition is None or self._part_index is None:
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
        for _, _, cells in self._cells(h0, h1, Level.MONTH, where):
            for key, cell in cells:
                _accumulate(total, cell)
                for (indexes, _), found in zip(groups, split, strict=True):
                    name = "|".join([key[i] for i in indexes])
                    acc = found.get(name)
                    if acc is None:
                        acc = found[name] = self._zero()
                    _accumulate(acc, cell)
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
        for level, index, cells in self._cells(h0, h1, coarsest, where):
            name = label(level, index, interval)
            acc = buckets.get(name)
            if acc is None:
                acc = buckets[name] = self._zero()
            for _, cell in cells:
                _accumulate(acc, cell)
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

    def _cells(
        self,
        h0: int,
        h1: int,
        coarsest: Level,
        where: Mapping[str, str | Collection[str]] | None,
    ) -> Iterator[tuple[Level, int, list[tuple[Key, Cell]]]]:
        """Matching cells of each bucket covering ``[h0, h1)``, read under the lock."""
        checks: list[tuple[int, Collection[str]]] = []
        partitions: Collection[str] | None = None
        for field, wanted in (where or {}).items():
            self._check_dimension(field)
            allowed = frozenset([wanted] if isinstance(wanted, str) else wanted)
            if self.dimensions.index(field) == self._part_index:
                partitions = allowed
            else:
                checks.append((self.dimensions.index(field), allowed))
        pieces = decompose(h0, h1, coarsest)
        with self._lock:
            found: list[tuple[Level, int, list[tuple[Key, Cell]]]] = []
            chosen = (
                list(self._partitions.values())
                if partitions is None
                else [self._partitions[p] for p in partitions if p in self._partitions]
            )
            for level, start, stop in pieces:
                for partition in chosen:
                    buckets = partition.buckets[level]
                    for index in partition.order[level].irange(start, stop, (True, False)):
                        cells = [
                            (key, list(cell))
                            for key, cell in buckets[index].items()
                            if cell[0] and all(key[i] in allowed for i, allowed in checks)
                        ]
                        if cells:
                            found.append((level, index, cells))
        return iter(found)

    def _zero(self) -> Cell:
        return [0, *[Decimal(0)] * len(self.amounts)]

    def _totals(self, cell: Cell) -> Totals:
        return Totals(count=cell[0], sums=dict(zip(self.amounts, cell[1:], strict=True)))

    def __len__(self) -> int:
        """How many entities have a tracked fact."""
        return len(self._facts)


def _accumulate(acc: Cell, cell: Cell) -> None:
    for i, value in enumerate(cell):
        acc[i] += value
