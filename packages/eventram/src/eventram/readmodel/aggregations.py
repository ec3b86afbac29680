"""Aggregations over the documents a filter matches: counts, numeric summaries, time series."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from eventram.errors import QueryError
from eventram.readmodel._schema import Schema
from eventram.readmodel.results import (
    Bucket,
    Counts,
    Number,
    Stats,
    Suggestion,
    Summary,
    TimeSeries,
)
from eventram.readmodel.timebuckets import INTERVALS
from eventram.readmodel.timebuckets import bucket_key as bucket_label

__all__ = [
    "check_summary",
    "check_time_series",
    "count_by",
    "suggestions",
    "summarize",
    "time_series",
]

Doc = dict[str, Any]


def _order(counter: Counter[Any]) -> dict[Any, int]:
    return dict(sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))))


def count_by(docs: Iterable[Doc], field: str, versions: dict[str, int]) -> Counts:
    """Documents per value of ``field``, most frequent first."""
    counter = Counter(doc.get(field) for doc in docs)
    return Counts(
        field=field, counts=_order(counter), total=sum(counter.values()), versions=versions
    )


def check_summary(schema: Schema, field: str, by: str | None) -> None:
    """``QueryError`` unless ``field`` is numeric and ``by`` (if any) is declared."""
    if not schema.is_numeric(field):
        raise QueryError(
            f"Cannot sum field {field!r}: it is {schema.type_of(field).__name__}, not a number.",
            field=field,
        )
    if by is not None:
        schema.type_of(by)


class _Accumulator:
    __slots__ = ("count", "max", "min", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total: Number = 0
        self.min: Any = None
        self.max: Any = None

    def add(self, value: Any) -> None:
        self.count += 1
        self.total += value
        if self.min is None or value < self.min:
            self.min = value
        if self.max is None or value > self.max:
            self.max = value

    def stats(self) -> Stats:
        avg: Decimal | float | None = None
        if self.count:
            if isinstance(self.total, float):
                avg = self.total / self.count
            else:
                avg = Decimal(self.total) / self.count
        return Stats(count=self.count, sum=self.total, min=self.min, max=self.max, avg=avg)


def summarize(docs: Iterable[Doc], field: str, by: str | None, versions: dict[str, int]) -> Summary:
    """``Stats`` of ``field`` per value of ``by``."""
    groups: defaultdict[Any, _Accumulator] = defaultdict(_Accumulator)
    for doc in docs:
        value = doc.get(field)
        if value is not None:
            groups[None if by is None else doc.get(by)].add(value)
    ordered = sorted(groups.items(), key=lambda kv: str(kv[0]))
    return Summary(
        field=field,
        by=by,
        groups={key: acc.stats() for key, acc in ordered},
        versions=versions,
    )


def check_time_series(
    schema: Schema, field: str, interval: str, sum_field: str | None, by: str | None
) -> None:
    """``QueryError`` for a non-datetime ``field``, an unknown interval, a non-numeric sum."""
    if schema.type_of(field) is not datetime:
        raise QueryError(
            f"Time buckets need a datetime field; {field!r} is {schema.type_of(field).__name__}.",
            field=field,
        )
    if interval not in INTERVALS:
        raise QueryError(
            f"Unknown interval {interval!r}: use one of {', '.join(INTERVALS)}.",
            field="interval",
        )
    if sum_field is not None:
        check_summary(schema, sum_field, by)
    elif by is not None:
        schema.type_of(by)


def time_series(
    docs: Iterable[Doc],
    field: str,
    interval: str,
    sum_field: str | None,
    by: str | None,
    versions: dict[str, int],
) -> TimeSeries:
    """Counts and sums per time bucket (UTC), in time order."""
    counts: Counter[str] = Counter()
    sums: defaultdict[str, dict[Any, Number]] = defaultdict(dict)
    for doc in docs:
        when = doc.get(field)
        if when is None:
            continue
        label = bucket_label(when, interval)
        counts[label] += 1
        if sum_field is not None:
            amount = doc.get(sum_field)
            if amount is not None:
                group = None if by is None else doc.get(by)
                cell = sums[label]
                cell[group] = cell.get(group, 0) + amount
    buckets = {
        label: Bucket(count=counts[label], sums=dict(sorted(sums[label].items(), key=_str_key)))
        for label in sorted(counts)
    }
    return TimeSeries(field=field, interval=interval, buckets=buckets, versions=versions)


def _str_key(item: tuple[Any, Any]) -> str:
    return str(item[0])


def suggestions(docs: Iterable[Doc], field: str, size: int) -> list[Suggestion]:
    """Distinct values of ``field``, most frequent first, then alphabetically."""
    counter = Counter(doc.get(field) for doc in docs)
    ranked = sorted(
        ((text, n) for text, n in counter.items() if isinstance(text, str)),
        key=lambda kv: (-kv[1], kv[0]),
    )
    return [Suggestion(text=text, count=n) for text, n in ranked[:size]]
