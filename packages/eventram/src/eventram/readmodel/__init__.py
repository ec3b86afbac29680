"""Read models: indexed document collections, their query language, aggregations and versions.

A collection declares its fields and indexes; queries are filters built from conditions,
sorted and paged; every read reports the versions it saw, so caches can check freshness::

    orders = Collection(
        "orders",
        id_field="order_id",
        fields={"order_id": str, "shop": str, "status": str, "total": Decimal},
        indexes=[HashIndex("status"), SortedIndex("total")],
        partition_by="shop",
    )
    orders.put({"order_id": "o-1", "shop": "shop-1", "status": "shipped",
                "total": Decimal("12.50")})
    page = orders.search(Search(filter=eq("shop", "shop-1"), sort=(desc("total"),)))

A :class:`CounterTable` keeps counts and Decimal sums by dimensions the application names,
per hour bucket (and day, week, month), answering statistics and trends at the cost of the
buckets read::

    sales = CounterTable("sales", dimensions=("shop", "status"), amounts=("total",),
                         partition_by="shop")
    sales.add(Fact(shipped_at, {"shop": "shop-1", "status": "shipped"}, {"total": total}))
    per_day = sales.trend(since, until, "day", where={"shop": "shop-1"})
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
