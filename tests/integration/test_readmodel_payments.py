"""A payments read model at a few thousand documents: every layout answers every query alike.

The same payments go into a partitioned, an unpartitioned and an unindexed collection; the
queries billing asks (one organization, statuses, amount and time ranges, text, sorts, pages,
analytics) must return the same results from all three, and from a snapshot of the first.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from eventram.readmodel import (
    Collection,
    Filter,
    HashIndex,
    IndexSpec,
    Search,
    SortedIndex,
    SortKey,
    TextIndex,
    asc,
    contains,
    desc,
    eq,
    gte,
    is_in,
    lt,
    lte,
    prefix,
)

FIELDS: dict[str, type] = {
    "payment_id": str,
    "organization_id": str,
    "user_id": str,
    "status": str,
    "currency": str,
    "amount": Decimal,
    "description": str,
    "created_at": datetime,
    "refunded_amount": Decimal,
}
INDEXES: list[IndexSpec] = [
    HashIndex("organization_id"),
    HashIndex("user_id"),
    HashIndex("status"),
    HashIndex("currency"),
    SortedIndex("amount"),
    SortedIndex("created_at"),
    TextIndex("description"),
]
T0 = datetime(2024, 1, 1, tzinfo=UTC)
WORDS = ("cloud", "compute", "stockage", "réseau", "sauvegarde", "GPU", "cluster", "mensuel")


def payments(count: int) -> list[dict[str, Any]]:
    rng = random.Random(11)
    docs = []
    for i in range(count):
        doc: dict[str, Any] = {
            "payment_id": f"pay-{i:06d}",
            "organization_id": f"org-{rng.randrange(12):02d}",
            "user_id": f"user-{rng.randrange(80):03d}",
            "status": rng.choice(["requested", "processed", "failed", "refunded"]),
            "currency": rng.choice(["EUR", "USD", "GBP"]),
            "amount": Decimal(rng.randrange(100, 50_000)) / 100,
            "description": f"{rng.choice(WORDS)} {rng.choice(WORDS)} n°{i}",
            "created_at": T0 + timedelta(minutes=rng.randrange(90 * 24 * 60)),
            "metadata": {"ip": f"10.0.0.{i % 250}"},
        }
        if doc["status"] == "refunded":
            doc["refunded_amount"] = doc["amount"] / 2
        docs.append(doc)
    return docs


@pytest.fixture(scope="module")
def layouts() -> list[Collection]:
    docs = payments(3_000)
    built = [
        Collection(
            "payments",
            id_field="payment_id",
            fields=FIELDS,
            indexes=INDEXES,
            partition_by="organization_id",
        ),
        Collection("payments", id_field="payment_id", fields=FIELDS, indexes=INDEXES),
        Collection("payments", id_field="payment_id", fields=FIELDS),
    ]
    for collection in built:
        with collection.bulk(auto_flush=500) as writer:
            for doc in docs:
                writer.put(doc)
        for doc in docs[::7]:
            collection.patch(doc["payment_id"], {"status": "failed", "refunded_amount": None})
        for doc in docs[::11]:
            collection.delete(doc["payment_id"])
    built.append(Collection.load(built[0].dump()))
    return built


ORG = eq("organization_id", "org-03")
QUERIES: list[tuple[Filter, tuple[SortKey, ...]]] = [
    (ORG, (desc("created_at"),)),
    (ORG & is_in("status", ["processed", "refunded"]), (asc("amount"),)),
    (
        ORG
        & is_in("status", ["processed", "refunded"])
        & gte("amount", Decimal(50))
        & lte("amount", Decimal(200)),
        (desc("created_at"),),
    ),
    (is_in("organization_id", ["org-01", "org-07"]) & eq("currency", "EUR"), (desc("amount"),)),
    (gte("created_at", T0 + timedelta(days=30)) & lt("created_at", T0 + timedelta(days=31)), ()),
    (prefix("description", "sauv res"), (asc("currency"), desc("amount"))),
    (contains("description", "n°12"), (asc("payment_id"),)),
    (eq("user_id", "user-042") & eq("refunded_amount", None), (desc("created_at"),)),
    (Filter(), (asc("status"), asc("created_at"))),
]


@pytest.mark.parametrize(("where", "sort"), QUERIES)
def test_every_layout_returns_the_same_pages(
    layouts: list[Collection], where: Filter, sort: tuple[SortKey, ...]
) -> None:
    reference = layouts[0]
    full = reference.search(Search(filter=where, sort=sort, size=1000))
    assert full.items, "every query of the battery matches something"

    for other in layouts[1:]:
        assert other.search(Search(filter=where, sort=sort, size=1000)).items == full.items
        for page in (1, 2, 5):
            search = Search(filter=where, sort=sort, size=25, page=page)
            assert other.search(search).items == reference.search(search).items


@pytest.mark.parametrize("where", [ORG, is_in("status", ["processed", "failed"]), Filter()])
def test_every_layout_aggregates_alike(layouts: list[Collection], where: Filter) -> None:
    expected = layouts[0]
    for other in layouts[1:]:
        assert other.count_by(where, "status").counts == expected.count_by(where, "status").counts
        assert (
            other.summarize(where, "amount", by="currency").groups
            == expected.summarize(where, "amount", by="currency").groups
        )
        for interval in ("hour", "day", "week", "month"):
            theirs = other.time_series(
                where, "created_at", interval, sum_field="amount", by="currency"
            )
            ours = expected.time_series(
                where, "created_at", interval, sum_field="amount", by="currency"
            )
            assert theirs.buckets == ours.buckets


def test_suggestions_agree_across_layouts(layouts: list[Collection]) -> None:
    expected = layouts[0].suggest("description", "sto clo", where=ORG, size=5)

    assert expected
    for other in layouts[1:]:
        assert other.suggest("description", "sto clo", where=ORG, size=5) == expected
