"""CounterTable: counts and Decimal sums by configured dimensions and hour buckets, incrementally.

Each counted entity or event contributes one *fact*: its time, its dimension values and its
amounts. The application names the dimensions and amounts (and, through a projection, how an
event gives a fact). Putting a new fact for an entity first retracts its previous one, so an
entity whose status changes moves from one status to the other instead of being counted
twice. Facts are added to hour, day and month buckets, partitioned by chosen dimensions, so a
query costs the buckets it reads, never the facts, and the table's size follows the buckets
used.

Ranges are exact when the table has an *edge reader* (``since <= t <= until``: whole hours
from the buckets, the partial hours at either end from the facts the reader returns);
without one, ``[since, until)`` is widened to whole hours.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import product

from eventram.errors import ValidationError
from eventram.readmodel.counters._cells import Cells, Key, Picked
from eventram.readmodel.counters._results import Breakdown, Fact, Trend
from eventram.readmodel.counters._snapshot import TableImage, decode_image, encode_image
from eventram.readmodel.counters._span import Span, exact_span, widened_span
from eventram.readmodel.counters._tally import Group, Tally
from eventram.readmodel.timebuckets import Level, coarsest_for, decompose, hour_of, month_of, utc

__all__ = ["UNKNOWN", "CounterTable", "EdgeReader", "Where"]

UNKNOWN = "unknown"
"""The value of a dimension a fact does not name."""
_NO_AMOUNTS: Mapping[str, Decimal] = {}
Stored = tuple[datetime, Key, tuple[Decimal, ...], int, int]  # at, key, amounts, hour, month
Where = Mapping[str, str | Collection[str]]
"""A filter: dimension -> the value (or values) a fact must have."""
EdgeReader = Callable[[datetime, datetime, Mapping[str, frozenset[str]]], Iterable[Fact]]
"""``edges(since, until, where)``: the facts at ``since <= t <= until`` (closed), matching
``where`` (the table checks it again, so a reader may return more)."""
_Plan = tuple[list[str] | None, list[tuple[int, frozenset[str]]], dict[int, frozenset[str]]]


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
        edges: EdgeReader | None = None,
    ) -> None:
        parts = (partition_by,) if isinstance(partition_by, str) else tuple(partition_by or ())
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
        self.edges = edges
        self._cells = Cells(1 + len(self.amounts), [self.dimensions.index(p) for p in parts])
        self._facts: dict[str, Stored] = {}
        self._keys: dict[Key, Key] = {}
        self._version = 0
        self._partition_versions: dict[str, int] = {}
        self._lock = threading.Lock()

    # -- writing ---------------------------------------------------------------------------

    def add(self, fact: Fact) -> None:
        """Count a fact (an event counted once, or an entity's state the caller tracks)."""
        self._apply(None, self._encode(fact))

    def retract(self, fact: Fact) -> None:
        """Stop counting a fact that :meth:`add` counted."""
        self._apply(self._encode(fact), None)

    def move(self, old: Fact, new: Fact) -> None:
        """Count ``new`` instead of ``old``, in one step readers never see half of."""
        self._apply(self._encode(old), self._encode(new))

    def put(self, entity: str, fact: Fact) -> None:
        """Make ``fact`` the contribution of ``entity``, retracting its previous one."""
        stored = self._encode(fact)
        with self._lock:
            self._swap(self._facts.get(entity), stored)
            self._facts[entity] = stored

    def remove(self, entity: str) -> bool:
        """Retract the contribution of ``entity``; return whether it had one."""
        with self._lock:
            previous = self._facts.pop(entity, None)
            self._swap(previous, None)
            return previous is not None

    def fact(self, entity: str) -> Fact | None:
        """The current contribution of ``entity``, if any."""
        stored = self._facts.get(entity)
        return None if stored is None else self._decode(stored)

    def _apply(self, old: Stored | None, new: Stored | None) -> None:
        with self._lock:
            self._swap(old, new)

    def _swap(self, old: Stored | None, new: Stored | None) -> None:
        for stored, sign in ((new, 1), (old, -1)):
            if stored is not None:
                _, key, amounts, hour, month = stored
                self._cells.count(key, amounts, hour, month, sign)
                self._bump(key)

    def _encode(self, fact: Fact) -> Stored:
        dims = fact.dimensions
        key = tuple([dims.get(d, UNKNOWN) for d in self.dimensions])
        given = fact.amounts or _NO_AMOUNTS
        amounts = tuple([Decimal(given.get(a, 0)) for a in self.amounts])
        return self._stored(fact.at, key, amounts)

    def _stored(self, at: datetime, key: Key, amounts: tuple[Decimal, ...]) -> Stored:
        key = self._keys.setdefault(key, key)  # one tuple per distinct combination
        at = utc(at)
        return at, key, amounts, hour_of(at), month_of(at)

    def _decode(self, stored: Stored) -> Fact:
        at, key, amounts, _, _ = stored
        return Fact(
            at,
            dict(zip(self.dimensions, key, strict=True)),
            dict(zip(self.amounts, amounts, strict=True)),
        )

    def _bump(self, key: Key) -> None:
        self._version += 1
        if self.partition_by:
            partition = self._cells.partition_of(key)
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
        if partition is None or not self.partition_by:
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
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        where: Where | None = None,
        by: Sequence[str | Sequence[str]] = (),
        per: Sequence[str] = (),
    ) -> Breakdown:
        """Totals of the facts in range matching ``where``: overall, ``by`` and ``per``.

        ``by`` names dimensions (or tuples of them, labelled ``"a|b"``) to break the totals
        down by; ``per`` names intervals (hour, day, week, month) to bucket them by. None for
        ``since`` or ``until`` leaves that side open.
        """
        groups = [self._group(field) for field in by]
        coarsest = min([coarsest_for(interval) for interval in per], default=Level.MONTH)
        span = self._span(since, until)
        tally = Tally(1 + len(self.amounts), groups, per)
        tally.add(self._read(span, coarsest, where, totals=not groups))
        total, split, buckets = tally.results(self.amounts)
        return Breakdown(span.since, span.until, total, split, buckets)

    def trend(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        interval: str = "day",
        *,
        where: Where | None = None,
    ) -> Trend:
        """Totals per hour, day, ISO week or month in range, in time order."""
        found = self.breakdown(since, until, where=where, per=(interval,))
        return Trend(found.since, found.until, interval, found.per[interval])

    def _span(self, since: datetime | None, until: datetime | None) -> Span:
        return widened_span(since, until) if self.edges is None else exact_span(since, until)

    def _read(
        self, span: Span, coarsest: Level, where: Where | None, *, totals: bool
    ) -> list[Picked]:
        """The matching cells of the buckets in range, then one cell per fact at the edges."""
        names, checks, allowed = self._plan(where)
        with self._lock:
            first, stop = span.first, span.stop
            if first is None or stop is None:
                bounds = self._cells.hour_bounds(names)
                if bounds is None:
                    first = stop = 0
                else:
                    first = bounds[0] if first is None else first
                    stop = bounds[1] if stop is None else stop
            picked = self._cells.pick(decompose(first, stop, coarsest), names, checks, totals)
        if self.edges is not None:
            for lo, hi in span.edges:
                picked.extend(self._edge_cells(self.edges, lo, hi, allowed))
        return picked

    def _edge_cells(
        self,
        edges: EdgeReader,
        since: datetime,
        until: datetime,
        allowed: dict[int, frozenset[str]],
    ) -> Iterable[Picked]:
        """One single-fact cell per fact the edge reader gives in ``[since, until]``."""
        where = {self.dimensions[i]: values for i, values in allowed.items()}
        for fact in edges(since, until, where):
            at, key, amounts, hour, _ = self._encode(fact)
            if since <= at <= until and all(key[i] in ok for i, ok in allowed.items()):
                yield Level.HOUR, hour, [(key, [1, *amounts])]

    def _group(self, field: str | Sequence[str]) -> Group:
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

    def _plan(self, where: Where | None) -> _Plan:
        """The partitions a filter pins (None: all), the tests left for each cell, every test."""
        allowed: dict[int, frozenset[str]] = {}
        for field, wanted in (where or {}).items():
            self._check_dimension(field)
            allowed[self.dimensions.index(field)] = frozenset(
                [wanted] if isinstance(wanted, str) else wanted
            )
        indexes = self._cells.partition_indexes
        if not (indexes and all(i in allowed for i in indexes)):
            return None, list(allowed.items()), allowed
        names = ["|".join(combo) for combo in product(*[sorted(allowed[i]) for i in indexes])]
        return names, [(i, a) for i, a in allowed.items() if i not in indexes], allowed

    # -- snapshots -------------------------------------------------------------------------

    def dump(self) -> bytes:
        """Everything the table holds (cells, tracked facts, versions) as bytes."""
        with self._lock:
            image = TableImage(
                self.name,
                list(self.dimensions),
                list(self.amounts),
                list(self.partition_by),
                self._version,
                dict(self._partition_versions),
                list(self._cells.rows()),
                [(e, at, list(k), list(a)) for e, (at, k, a, _, _) in self._facts.items()],
            )
        return encode_image(image)

    def restore(self, data: bytes) -> None:
        """Fill this empty table with what :meth:`dump` wrote; ``ValidationError`` when the
        snapshot was taken of a table of another name, dimensions, amounts or partitioning."""
        image = decode_image(data)
        shape = (image.name, image.dimensions, image.amounts, image.partition_by)
        ours = (self.name, list(self.dimensions), list(self.amounts), list(self.partition_by))
        if shape != ours:
            raise ValidationError(
                f"A snapshot of counters {shape} does not fit counters {ours}; rebuild instead.",
                field="snapshot",
            )
        with self._lock:
            for row in image.cells:
                key = tuple(row[3])
                self._cells.put_row(row, self._keys.setdefault(key, key))
            for entity, at, key_values, amounts in image.facts:
                self._facts[entity] = self._stored(at, tuple(key_values), tuple(amounts))
            self._version = image.version
            self._partition_versions = dict(image.partition_versions)

    def __len__(self) -> int:
        """How many entities have a tracked fact."""
        return len(self._facts)
