"""What reads return: a page of documents, aggregations, suggestions; each with its versions.

``versions`` maps the version keys the read depended on (``"payments"`` or
``"payments/org-1"``) to the versions it saw; a cache entry is fresh while they have not moved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

__all__ = [
    "Bucket",
    "Counts",
    "OptimizeReport",
    "Page",
    "Stats",
    "Suggestion",
    "Summary",
    "TimeSeries",
]

Number = Decimal | int | float


class Page(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a search: copies of the documents, the total, and where to resume."""

    items: list[dict[str, Any]]
    total: int
    page: int
    size: int
    next_cursor: str | None
    versions: dict[str, int]

    @property
    def has_more(self) -> bool:
        """Whether rows follow this page."""
        return self.next_cursor is not None


class Counts(msgspec.Struct, frozen=True, kw_only=True):
    """Documents per value of a field (None for missing), most frequent first."""

    field: str
    counts: dict[Any, int]
    total: int
    versions: dict[str, int]


class Stats(msgspec.Struct, frozen=True, kw_only=True):
    """Count, sum, min, max and mean of the non-None values of a numeric field."""

    count: int
    sum: Number
    min: Number | None
    max: Number | None
    avg: Decimal | float | None


class Summary(msgspec.Struct, frozen=True, kw_only=True):
    """``Stats`` of ``field`` per value of ``by`` (one group keyed None when ``by`` is None)."""

    field: str
    by: str | None
    groups: dict[Any, Stats]
    versions: dict[str, int]


class Bucket(msgspec.Struct, frozen=True, kw_only=True):
    """One time bucket: its document count and, when asked, sums per group."""

    count: int
    sums: dict[Any, Number]


class TimeSeries(msgspec.Struct, frozen=True, kw_only=True):
    """Buckets by hour, day, ISO week or month (UTC labels), in time order."""

    field: str
    interval: str
    buckets: dict[str, Bucket]
    versions: dict[str, int]


class Suggestion(msgspec.Struct, frozen=True, kw_only=True):
    """A field value that matches what the user typed, and how many documents carry it."""

    text: str
    count: int


class OptimizeReport(msgspec.Struct, frozen=True, kw_only=True):
    """What ``Collection.optimize`` did: repairs, empty partitions dropped, memory given back."""

    documents: int
    orphans_removed: int
    entries_reindexed: int
    partitions_dropped: int
    bytes_reclaimed: int
    seconds: float
