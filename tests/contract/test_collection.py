"""Collection configurations that must all behave the same; partition-only behaviour after."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from eventram.errors import ValidationError
from eventram.readmodel import (
    Collection,
    HashIndex,
    Search,
    SortedIndex,
    TextIndex,
    desc,
    eq,
    gte,
    is_in,
)
from tests.contract.collection_contract import PAYMENT_FIELDS, CollectionContract, payment

INDEXES = [
    HashIndex("organization_id"),
    HashIndex("user_id"),
    HashIndex("status"),
    HashIndex("currency"),
    SortedIndex("amount"),
    SortedIndex("created_at"),
    TextIndex("description"),
]


def payments(**options: object) -> Callable[[], Collection]:
    def make() -> Collection:
        return Collection(
            "payments",
            id_field="payment_id",
            fields=PAYMENT_FIELDS,
            **options,  # type: ignore[arg-type]
        )

    return make


class TestPlainCollection(CollectionContract):
    @pytest.fixture
    def collection_factory(self) -> Callable[[], Collection]:
        return payments(indexes=INDEXES)


class TestPartitionedCollection(CollectionContract):
    @pytest.fixture
    def collection_factory(self) -> Callable[[], Collection]:
        return payments(indexes=INDEXES, partition_by="organization_id")


class TestUnindexedCollection(CollectionContract):
    """Every read is a scan here; results must not depend on the indexes."""

    @pytest.fixture
    def collection_factory(self) -> Callable[[], Collection]:
        return payments()


class TestHashOnlyCollection(CollectionContract):
    """Ranges and sorts have no sorted index; equality is answered by hash, even on amounts."""

    @pytest.fixture
    def collection_factory(self) -> Callable[[], Collection]:
        return payments(
            indexes=[HashIndex(f) for f in ("status", "currency", "amount", "created_at")],
            partition_by="user_id",
        )


class TestPartitionVersions:
    @pytest.fixture
    def collection(self) -> Collection:
        make = payments(indexes=INDEXES, partition_by="organization_id")
        collection = make()
        for n in range(12):
            collection.put(payment(n))
        return collection

    def test_a_write_bumps_its_partition_and_no_other(self, collection: Collection) -> None:
        before = {key: collection.partition_version(key) for key in ("org-0", "org-1", "org-2")}

        collection.put(payment(100, organization_id="org-1"))

        assert collection.partition_version("org-1") == before["org-1"] + 1
        assert collection.partition_version("org-0") == before["org-0"]
        assert collection.partition_version("org-2") == before["org-2"]
        assert collection.version == 13

    def test_moving_a_document_bumps_both_partitions(self, collection: Collection) -> None:
        v0, v1, v2 = (collection.partition_version(f"org-{i}") for i in range(3))

        collection.patch("pay-0000", {"organization_id": "org-1"})

        assert collection.partition_version("org-0") == v0 + 1
        assert collection.partition_version("org-1") == v1 + 1
        assert collection.partition_version("org-2") == v2
        assert collection.count(eq("organization_id", "org-0")) == 3
        assert collection.count(eq("organization_id", "org-1")) == 5

    def test_a_bulk_flush_bumps_each_touched_partition_once(self, collection: Collection) -> None:
        v0, v1, v2 = (collection.partition_version(f"org-{i}") for i in range(3))

        with collection.bulk() as writer:
            writer.put(payment(300))  # org-0
            writer.put(payment(303))  # org-0
            writer.patch("pay-0001", {"status": "failed"})  # org-1

        assert [collection.partition_version(f"org-{i}") for i in range(3)] == [v0 + 1, v1 + 1, v2]

    def test_a_pinned_query_depends_only_on_its_partitions(self, collection: Collection) -> None:
        where = eq("organization_id", "org-2") & gte("amount", Decimal(0))

        page = collection.search(Search(filter=where))

        assert page.versions == {"payments/org-2": 4}
        assert collection.versions_for(is_in("organization_id", ["org-0", "org-2"])) == {
            "payments/org-0": 4,
            "payments/org-2": 4,
        }
        assert collection.versions_for(eq("status", "failed")) == {"payments": 12}
        collection.put(payment(101, organization_id="org-1"))
        assert collection.current_versions(page.versions) == {"payments/org-2": 4}
        collection.put(payment(102, organization_id="org-2"))
        assert collection.current_versions(page.versions) == {"payments/org-2": 5}

    def test_a_partition_never_written_is_at_version_zero(self, collection: Collection) -> None:
        assert collection.partition_version("org-9") == 0
        assert collection.current_versions(["payments/org-9"]) == {"payments/org-9": 0}

    def test_a_document_without_its_partition_field_is_refused(
        self, collection: Collection
    ) -> None:
        with pytest.raises(ValidationError, match="partition field"):
            collection.put(payment(50, organization_id=None))

    def test_a_cross_partition_search_merges_partitions_in_order(
        self, collection: Collection
    ) -> None:
        page = collection.search(Search(sort=(desc("amount"),), size=12))

        amounts = [doc["amount"] for doc in page.items]
        assert amounts == sorted(amounts, reverse=True)
        assert page.total == 12
        assert collection.partitions() == ["org-0", "org-1", "org-2"]

    def test_optimize_drops_emptied_partitions_but_keeps_their_versions(
        self, collection: Collection
    ) -> None:
        for n in range(0, 12, 3):
            collection.delete(f"pay-{n:04d}")
        version = collection.partition_version("org-0")

        report = collection.optimize()

        assert report.partitions_dropped == 1
        assert collection.partitions() == ["org-1", "org-2"]
        assert collection.partition_version("org-0") == version
        collection.put(payment(0))
        assert collection.partition_version("org-0") == version + 1

    def test_carried_versions_start_above_the_previous_collection(
        self, collection: Collection
    ) -> None:
        rebuilt = payments(indexes=INDEXES, partition_by="organization_id")()
        for n in range(12):
            rebuilt.put(payment(n))

        rebuilt.carry_versions_from(collection)

        assert rebuilt.version > collection.version
        for key in ("org-0", "org-1", "org-2"):
            assert rebuilt.partition_version(key) > collection.partition_version(key)
