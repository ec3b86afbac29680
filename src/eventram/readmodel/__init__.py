"""Read models: indexed document collections, their query language, aggregations and versions.

A collection declares its fields and indexes; queries are filters built from conditions,
sorted and paged; every read reports the versions it saw, so caches can check freshness::

    payments = Collection(
        "payments",
        id_field="payment_id",
        fields={"payment_id": str, "organization_id": str, "status": str, "amount": Decimal},
        indexes=[HashIndex("status"), SortedIndex("amount")],
        partition_by="organization_id",
    )
    payments.put({"payment_id": "p-1", "organization_id": "org-1", "status": "processed",
                  "amount": Decimal("12.50")})
    page = payments.search(Search(filter=eq("organization_id", "org-1"), sort=(desc("amount"),)))

A :class:`CounterTable` keeps counts and Decimal sums by configured dimensions and time buckets
(hour, day, week, month), answering statistics and trends at the cost of the buckets read.
"""

from eventram.readmodel.bulk import BulkWriter
from eventram.readmodel.collection import Collection
from eventram.readmodel.counters import (
    EXACT,
    Breakdown,
    CounterTable,
    EdgeReader,
    Fact,
    Totals,
    Trend,
    Where,
)
from eventram.readmodel.indexes import HashIndex, IndexSpec, SortedIndex, TextIndex
from eventram.readmodel.query import (
    Condition,
    Filter,
    Search,
    SortKey,
    asc,
    contains,
    desc,
    eq,
    gt,
    gte,
    is_in,
    lt,
    lte,
    prefix,
)
from eventram.readmodel.results import (
    Bucket,
    Counts,
    OptimizeReport,
    Page,
    Stats,
    Suggestion,
    Summary,
    TimeSeries,
)

__all__ = [
    "EXACT",
    "Breakdown",
    "Bucket",
    "BulkWriter",
    "Collection",
    "Condition",
    "CounterTable",
    "Counts",
    "EdgeReader",
    "Fact",
    "Filter",
    "HashIndex",
    "IndexSpec",
    "OptimizeReport",
    "Page",
    "Search",
    "SortKey",
    "SortedIndex",
    "Stats",
    "Suggestion",
    "Summary",
    "TextIndex",
    "TimeSeries",
    "Totals",
    "Trend",
    "Where",
    "asc",
    "contains",
    "desc",
    "eq",
    "gt",
    "gte",
    "is_in",
    "lt",
    "lte",
    "prefix",
]
