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
"""

from eventram.readmodel.bulk import BulkWriter
from eventram.readmodel.collection import Collection
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
    "Bucket",
    "BulkWriter",
    "Collection",
    "Condition",
    "Counts",
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
