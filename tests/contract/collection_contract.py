"""The contract every collection configuration passes; subclasses supply ``collection``.

Documents are payments as the billing read model stores them; the configurations differ in
partitioning and indexes, never in what a read returns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from eventram.errors import NotFoundError, QueryError, ValidationError
from eventram.readmodel import (
    Collection,
    Filter,
    Search,
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

PAYMENT_FIELDS: dict[str, type] = {
    "payment_id": str,
    "organization_id": str,
    "user_id": str,
    "status": str,
    "currency": str,
    "amount": Decimal,
    "description": str,
    "created_at": datetime,
}
T0 = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def payment(n: int, **fields: Any) -> dict[str, Any]:
    """A payment document; ``n`` picks its id, organization, status, currency, amount, time."""
    doc: dict[str, Any] = {
        "payment_id": f"pay-{n:04d}",
        "organization_id": f"org-{n % 3}",
        "user_id": f"user-{n % 5}",
        "status": ("requested", "processed", "failed", "refunded")[n % 4],
        "currency": ("EUR", "USD")[n % 2],
        "amount": Decimal(n * 7 % 100) + Decimal("0.50"),
        "description": f"Facture n°{n} réglée",
        "created_at": T0 + timedelta(hours=n * 5),
        "metadata": {"source": "test", "tags": ["a", n]},
    }
    doc.update(fields)
    return doc


def ids(page_items: list[dict[str, Any]]) -> list[str]:
    return [doc["payment_id"] for doc in page_items]


class CollectionContract:
    """Behaviour shared by every collection configuration."""

    @pytest.fixture
    def collection_factory(self) -> Callable[[], Collection]:
        """A factory of empty collections of the configuration under test."""
        raise NotImplementedError

    @pytest.fixture
    def collection(self, collection_factory: Callable[[], Collection]) -> Collection:
        return collection_factory()

    @pytest.fixture
    def filled(self, collection: Collection) -> Collection:
        for n in range(40):
            collection.put(payment(n))
        return collection

    # -- writes and gets ---------------------------------------------------------------

    def test_a_stored_document_is_returned_by_id_as_a_copy(self, collection: Collection) -> None:
        collection.put(payment(1))

        found = collection.get("pay-0001")
        assert found == payment(1)
        assert found is not None
        found["status"] = "tampered"
        assert collection.get("pay-0001") == payment(1)
        assert collection.search(Search(filter=eq("status", "tampered"))).total == 0

    def test_changing_the_stored_dict_after_put_does_not_change_the_document(
        self, collection: Collection
    ) -> None:
        doc = payment(1)
        collection.put(doc)

        doc["status"] = "failed"

        assert collection.get("pay-0001") == payment(1)

    def test_an_unknown_id_is_none_and_not_contained(self, collection: Collection) -> None:
        assert collection.get("nope") is None
        assert "nope" not in collection
        assert len(collection) == 0

    def test_put_with_an_existing_id_replaces_the_document(self, collection: Collection) -> None:
        collection.put(payment(1))

        collection.put(payment(1, status="failed", amount=Decimal("3")))

        assert len(collection) == 1
        assert collection.search(Search(filter=eq("status", "failed"))).total == 1
        assert collection.search(Search(filter=eq("status", "processed"))).total == 0
        assert collection.count(gte("amount", Decimal("3")) & lte("amount", 3)) == 1

    def test_patch_merges_fields_and_reindexes_them(self, collection: Collection) -> None:
        collection.put(payment(1))

        collection.patch("pay-0001", {"status": "refunded", "refund_amount": Decimal("2")})

        doc = collection.get("pay-0001")
        assert doc is not None
        assert doc["status"] == "refunded"
        assert doc["refund_amount"] == Decimal("2")
        assert doc["description"] == payment(1)["description"]
        assert ids(collection.search(Search(filter=eq("status", "refunded"))).items) == ["pay-0001"]

    def test_patching_a_missing_document_is_not_found(self, collection: Collection) -> None:
        with pytest.raises(NotFoundError, match="pay-0404"):
            collection.patch("pay-0404", {"status": "failed"})
        assert collection.version == 0

    def test_a_patch_cannot_change_the_id(self, collection: Collection) -> None:
        collection.put(payment(1))

        with pytest.raises(ValidationError, match="cannot change the id"):
            collection.patch("pay-0001", {"payment_id": "pay-0002"})

        assert collection.get("pay-0001") == payment(1)

    def test_delete_removes_the_document_and_its_index_entries(self, filled: Collection) -> None:
        assert filled.delete("pay-0005") is True

        assert filled.get("pay-0005") is None
        assert len(filled) == 39
        assert "pay-0005" not in ids(
            filled.search(Search(filter=eq("user_id", "user-0"), size=100)).items
        )
        assert filled.count(prefix("description", "5")) == 0

    def test_deleting_an_absent_document_changes_nothing(self, filled: Collection) -> None:
        version = filled.version

        assert filled.delete("pay-9999") is False
        assert filled.version == version

    def test_a_badly_typed_field_is_rejected_and_nothing_is_written(
        self, collection: Collection
    ) -> None:
        collection.put(payment(1))

        with pytest.raises(ValidationError, match="amount"):
            collection.put(payment(1, amount=1.5))
        with pytest.raises(ValidationError, match="created_at"):
            collection.put(payment(2, created_at=datetime(2024, 1, 1)))
        with pytest.raises(ValidationError, match="payment_id"):
            collection.put({"status": "requested"})

        assert len(collection) == 1
        assert collection.get("pay-0001") == payment(1)
        assert collection.version == 1

    # -- filters -----------------------------------------------------------------------

    def test_equality_and_in_select_exactly_the_matching_documents(
        self, filled: Collection
    ) -> None:
        expected = sorted(
            payment(n)["payment_id"]
            for n in range(40)
            if payment(n)["organization_id"] == "org-1"
            and payment(n)["status"] in ("processed", "refunded")
        )

        page = filled.search(
            Search(
                filter=eq("organization_id", "org-1") & is_in("status", ["processed", "refunded"]),
                size=100,
            )
        )

        assert ids(page.items) == expected
        assert page.total == len(expected)

    def test_ranges_honour_inclusive_and_exclusive_bounds(self, filled: Collection) -> None:
        amounts = [payment(n)["amount"] for n in range(40)]
        lo, hi = Decimal("14.50"), Decimal("63.50")

        assert filled.count(gte("amount", lo) & lte("amount", hi)) == sum(
            lo <= a <= hi for a in amounts
        )
        assert filled.count(gt("amount", lo) & lt("amount", hi)) == sum(
            lo < a < hi for a in amounts
        )
        assert filled.count(gt("amount", hi) & lt("amount", lo)) == 0

    def test_time_ranges_work_on_datetimes(self, filled: Collection) -> None:
        since, until = T0 + timedelta(hours=20), T0 + timedelta(hours=50)

        page = filled.search(
            Search(filter=gte("created_at", since) & lt("created_at", until), size=100)
        )

        assert ids(page.items) == [f"pay-{n:04d}" for n in range(4, 10)]

    def test_text_prefix_ignores_case_and_accents(self, filled: Collection) -> None:
        assert filled.count(prefix("description", "FACT REGL")) == 40
        assert filled.count(prefix("description", "facture 12")) == 1
        assert filled.count(prefix("description", "1")) == 11  # 1, 10..19
        assert filled.count(prefix("description", "réglées")) == 0

    def test_text_contains_is_a_substring_match(self, filled: Collection) -> None:
        assert filled.count(contains("description", "n°3 RE")) == 1
        assert filled.count(contains("description", "CTURE")) == 40
        assert filled.count(contains("description", "°1")) == 11

    def test_none_equals_a_missing_field_and_never_falls_in_a_range(
        self, collection: Collection
    ) -> None:
        collection.put(payment(1))
        collection.put(payment(2, amount=None))
        without = payment(3)
        del without["amount"]
        collection.put(without)

        assert collection.count(eq("amount", None)) == 2
        assert collection.count(is_in("amount", [None, payment(1)["amount"]])) == 3
        assert collection.count(gte("amount", Decimal(0))) == 1

    def test_an_empty_in_matches_nothing(self, filled: Collection) -> None:
        assert filled.count(is_in("status", [])) == 0

    def test_the_empty_filter_matches_everything(self, filled: Collection) -> None:
        assert filled.count() == 40
        assert filled.search(Search(size=5)).total == 40

    def test_the_seeds_array_form_builds_the_same_filter(self, filled: Collection) -> None:
        seeds = Filter.from_mapping(
            {
                "organization_id": "org-2",
                "status": ["processed", "failed"],
                "amount": {"gte": Decimal("10"), "lte": Decimal("80")},
            }
        )
        built = (
            eq("organization_id", "org-2")
            & is_in("status", ["processed", "failed"])
            & gte("amount", Decimal("10"))
            & lte("amount", Decimal("80"))
        )

        assert filled.search(Search(filter=seeds, size=100)) == filled.search(
            Search(filter=built, size=100)
        )

    # -- sort and pages ----------------------------------------------------------------

    def test_sort_descending_with_ties_broken_by_id(self, filled: Collection) -> None:
        page = filled.search(Search(sort=(desc("currency"),), size=100))

        expected = sorted(
            (payment(n) for n in range(40)),
            key=lambda d: (d["currency"], d["payment_id"]),
            reverse=True,
        )
        assert ids(page.items) == ids(expected)

    def test_sort_by_several_keys_in_mixed_directions(self, filled: Collection) -> None:
        page = filled.search(Search(sort=(asc("status"), desc("amount")), size=100))

        docs = [payment(n) for n in range(40)]
        docs.sort(key=lambda d: d["payment_id"], reverse=True)
        docs.sort(key=lambda d: d["amount"], reverse=True)
        docs.sort(key=lambda d: d["status"])
        assert ids(page.items) == ids(docs)

    def test_none_sorts_after_values_ascending_and_first_descending(
        self, collection: Collection
    ) -> None:
        collection.put(payment(1))
        collection.put(payment(2, amount=None))
        collection.put(payment(3))

        up = collection.search(Search(sort=(asc("amount"),)))
        down = collection.search(Search(sort=(desc("amount"),)))

        assert ids(up.items)[-1] == "pay-0002"
        assert ids(down.items)[0] == "pay-0002"

    def test_pages_by_number_partition_the_sorted_result(self, filled: Collection) -> None:
        sort = (desc("created_at"),)
        full = ids(filled.search(Search(sort=sort, size=40)).items)

        pages = [filled.search(Search(sort=sort, page=p, size=7)) for p in range(1, 8)]

        assert [i for page in pages for i in ids(page.items)] == full
        assert all(page.total == 40 for page in pages)
        assert pages[-1].items == []
        assert pages[5].next_cursor is None
        assert pages[4].has_more

    def test_cursors_walk_every_row_once_in_order(self, filled: Collection) -> None:
        where = is_in("status", ["processed", "failed", "refunded"])
        search = Search(filter=where, sort=(asc("currency"), desc("amount")), size=4)
        full = ids(filled.search(Search(filter=where, sort=search.sort, size=100)).items)

        seen: list[str] = []
        cursor: str | None = None
        while True:
            page = filled.search(Search(filter=where, sort=search.sort, size=4, cursor=cursor))
            seen += ids(page.items)
            cursor = page.next_cursor
            if cursor is None:
                break

        assert seen == full

    def test_a_cursor_stays_valid_when_rows_before_it_change(self, filled: Collection) -> None:
        sort = (asc("created_at"),)
        first = filled.search(Search(sort=sort, size=10))

        filled.delete("pay-0000")
        filled.put(payment(100, created_at=T0 - timedelta(days=1)))
        after = filled.search(Search(sort=sort, size=10, cursor=first.next_cursor))

        assert ids(after.items) == [f"pay-{n:04d}" for n in range(10, 20)]

    # -- bad input ---------------------------------------------------------------------

    def test_an_unknown_field_in_a_filter_is_named(self, filled: Collection) -> None:
        with pytest.raises(QueryError, match="colour") as caught:
            filled.search(Search(filter=eq("colour", "red")))
        assert caught.value.field == "colour"

    def test_an_unknown_sort_field_is_named(self, filled: Collection) -> None:
        with pytest.raises(QueryError, match="colour"):
            filled.search(Search(sort=(desc("colour"),)))

    def test_undeclared_stored_fields_cannot_be_queried(self, filled: Collection) -> None:
        with pytest.raises(QueryError, match="metadata"):
            filled.count(eq("metadata", "x"))

    @pytest.mark.parametrize(
        "where",
        [
            eq("amount", "12.50"),
            gte("amount", 1.5),
            is_in("status", ["processed", 3]),
            lt("created_at", datetime(2024, 1, 1)),
            gt("status", None),
            prefix("amount", "1"),
            prefix("description", "   "),
            contains("description", ""),
        ],
    )
    def test_a_value_of_the_wrong_type_is_a_query_error(
        self, filled: Collection, where: Filter
    ) -> None:
        with pytest.raises(QueryError):
            filled.search(Search(filter=where))

    def test_a_page_size_beyond_the_maximum_is_refused(self, filled: Collection) -> None:
        with pytest.raises(QueryError, match="1 to 1000"):
            filled.search(Search(size=1001))
        with pytest.raises(QueryError):
            filled.search(Search(size=0))
        with pytest.raises(QueryError):
            filled.search(Search(page=0))

    @pytest.mark.parametrize("cursor", ["%%%", "bm90IG1zZ3BhY2s", "kZKRkqZhbW91bnTC"])
    def test_a_malformed_cursor_is_a_query_error(self, filled: Collection, cursor: str) -> None:
        with pytest.raises(QueryError, match="cursor") as caught:
            filled.search(Search(sort=(asc("amount"),), cursor=cursor))
        assert caught.value.field == "cursor"

    def test_a_cursor_from_another_sort_is_refused(self, filled: Collection) -> None:
        cursor = filled.search(Search(sort=(asc("amount"),), size=3)).next_cursor
        assert cursor is not None

        with pytest.raises(QueryError, match="sort order"):
            filled.search(Search(sort=(desc("amount"),), cursor=cursor))

    def test_a_cursor_and_a_page_number_together_are_refused(self, filled: Collection) -> None:
        cursor = filled.search(Search(size=3)).next_cursor
        with pytest.raises(QueryError, match="not both"):
            filled.search(Search(size=3, page=2, cursor=cursor))

    # -- versions ----------------------------------------------------------------------

    def test_every_write_bumps_the_version_by_one(self, collection: Collection) -> None:
        assert collection.version == 0
        collection.put(payment(1))
        collection.put(payment(2))
        collection.patch("pay-0001", {"status": "failed"})
        collection.delete("pay-0002")
        assert collection.version == 4

    def test_a_result_reports_the_versions_it_saw(self, filled: Collection) -> None:
        where = is_in("status", ["processed"])
        page = filled.search(Search(filter=where))

        assert page.versions == filled.versions_for(where) == {filled.name: 40}
        assert filled.current_versions(page.versions) == page.versions
        filled.put(payment(99))
        assert filled.current_versions(page.versions) == {filled.name: 41}

    def test_a_foreign_version_key_is_refused(self, filled: Collection) -> None:
        with pytest.raises(ValidationError, match="other"):
            filled.current_versions(["other"])

    # -- bulk --------------------------------------------------------------------------

    def test_a_bulk_flush_applies_everything_as_one_write(self, filled: Collection) -> None:
        version = filled.version
        writer = filled.bulk()
        writer.put(payment(100))
        writer.patch("pay-0001", {"status": "refunded"})
        writer.delete("pay-0002")
        assert writer.pending == 3
        assert filled.get("pay-0100") is None

        assert writer.flush() == 3

        assert filled.get("pay-0100") == payment(100)
        assert filled.get("pay-0002") is None
        assert filled.version == version + 1
        assert writer.pending == 0

    def test_a_failing_bulk_flush_leaves_the_collection_as_it_was(self, filled: Collection) -> None:
        before = filled.search(Search(size=1000)).items
        version = filled.version
        writer = filled.bulk()
        writer.put(payment(100))
        writer.patch("pay-0001", {"status": "refunded"})
        writer.delete("pay-0003")
        writer.put(payment(4, organization_id="org-2", status="failed"))
        writer.patch("pay-0404", {"status": "failed"})

        with pytest.raises(NotFoundError) as caught:
            writer.flush()

        assert "none was applied" in "".join(caught.value.__notes__)
        assert filled.version == version
        assert filled.search(Search(size=1000)).items == before
        assert filled.count(eq("status", "refunded")) == 10
        assert filled.count(eq("status", "requested")) == 10
        assert filled.count(eq("organization_id", "org-1")) == 13
        assert filled.count(prefix("description", "100")) == 0
        assert writer.pending == 0

    def test_a_bulk_block_flushes_on_exit_and_discards_on_error(self, filled: Collection) -> None:
        with filled.bulk() as writer:
            writer.put(payment(100))
        assert "pay-0100" in filled

        def interrupted_block() -> None:
            with filled.bulk() as writer:
                writer.put(payment(101))
                raise RuntimeError("stop")

        with pytest.raises(RuntimeError):
            interrupted_block()
        assert "pay-0101" not in filled

    def test_auto_flush_applies_the_buffer_when_it_is_full(self, collection: Collection) -> None:
        writer = collection.bulk(auto_flush=3)
        for n in range(7):
            writer.put(payment(n))

        assert len(collection) == 6
        assert writer.pending == 1
        assert collection.version == 2

    # -- aggregations ------------------------------------------------------------------

    def test_count_by_counts_documents_per_value(self, filled: Collection) -> None:
        counts = filled.count_by(eq("currency", "EUR"), "status")

        assert counts.counts == {"requested": 10, "failed": 10}
        assert counts.total == 20

    def test_summaries_never_add_amounts_across_currencies(self, filled: Collection) -> None:
        summary = filled.summarize(
            is_in("status", ["processed", "refunded"]), "amount", by="currency"
        )

        docs = [payment(n) for n in range(40) if n % 2 == 1]
        assert set(summary.groups) == {"USD"}
        usd = summary.groups["USD"]
        amounts = [d["amount"] for d in docs]
        assert usd.count == len(amounts)
        assert usd.sum == sum(amounts)
        assert usd.min == min(amounts)
        assert usd.max == max(amounts)
        assert usd.avg == sum(amounts) / len(amounts)

    def test_a_summary_of_a_text_field_is_refused(self, filled: Collection) -> None:
        with pytest.raises(QueryError, match="status"):
            filled.summarize(Filter(), "status")

    def test_time_series_count_and_sum_per_bucket(self, filled: Collection) -> None:
        series = filled.time_series(
            eq("currency", "EUR"), "created_at", "day", sum_field="amount", by="currency"
        )

        expected: dict[str, list[Decimal]] = {}
        for n in range(0, 40, 2):
            doc = payment(n)
            expected.setdefault(doc["created_at"].strftime("%Y-%m-%d"), []).append(doc["amount"])
        assert list(series.buckets) == sorted(expected)
        for label, amounts in expected.items():
            assert series.buckets[label].count == len(amounts)
            assert series.buckets[label].sums == {"EUR": sum(amounts)}

    @pytest.mark.parametrize("interval", ["hour", "week", "month"])
    def test_time_series_buckets_cover_every_document(
        self, filled: Collection, interval: str
    ) -> None:
        series = filled.time_series(Filter(), "created_at", interval)
        assert sum(b.count for b in series.buckets.values()) == 40

    def test_time_series_refuse_unknown_intervals_and_non_time_fields(
        self, filled: Collection
    ) -> None:
        with pytest.raises(QueryError, match="fortnight"):
            filled.time_series(Filter(), "created_at", "fortnight")
        with pytest.raises(QueryError, match="amount"):
            filled.time_series(Filter(), "amount", "day")

    def test_suggestions_complete_what_was_typed(self, filled: Collection) -> None:
        found = filled.suggest("description", "facture 3", where=eq("currency", "USD"))

        assert [s.text for s in found] == [
            "Facture n°3 réglée",
            *[f"Facture n°{n} réglée" for n in range(31, 40, 2)],
        ]
        assert all(s.count == 1 for s in found)

    # -- maintenance and snapshots -------------------------------------------------------

    def test_optimize_on_a_sound_collection_repairs_nothing(self, filled: Collection) -> None:
        report = filled.optimize()

        assert report.documents == 40
        assert report.orphans_removed == 0
        assert report.entries_reindexed == 0
        assert filled.count(eq("status", "failed")) == 10

    def test_optimize_gives_memory_back_after_mass_deletes(self, collection: Collection) -> None:
        for n in range(3000):
            collection.put(payment(n))
        for n in range(3000):
            if n % 50:
                collection.delete(f"pay-{n:04d}")
        version = collection.version

        report = collection.optimize()

        assert report.bytes_reclaimed > 0
        assert report.documents == 60
        assert collection.version == version
        assert collection.count(eq("status", "requested")) == 30

    def test_a_snapshot_round_trips_documents_types_and_versions(self, filled: Collection) -> None:
        filled.put(payment(7, amount=None, created_at=T0.astimezone(UTC)))

        copy = Collection.load(filled.dump())

        assert len(copy) == len(filled)
        assert copy.version == filled.version
        for n in range(40):
            doc = copy.get(f"pay-{n:04d}")
            assert doc == filled.get(f"pay-{n:04d}")
        restored = copy.get("pay-0001")
        assert restored is not None
        assert isinstance(restored["amount"], Decimal)
        assert restored["created_at"].tzinfo is not None
        where = is_in("status", ["failed", "processed"]) & gte("amount", Decimal(20))
        assert copy.search(Search(filter=where, sort=(desc("amount"),))) == filled.search(
            Search(filter=where, sort=(desc("amount"),))
        )

    def test_restore_replaces_the_contents_of_a_collection_of_the_same_shape(
        self, filled: Collection, collection_factory: Callable[[], Collection]
    ) -> None:
        other = collection_factory()
        other.put(payment(500))

        other.restore(filled.dump())

        assert len(other) == 40
        assert "pay-0500" not in other
        assert other.version == filled.version
        assert other.count(eq("status", "failed")) == 10

    def test_damaged_snapshot_bytes_are_refused(self, collection: Collection) -> None:
        with pytest.raises(ValidationError, match="snapshot"):
            Collection.load(b"\x93\x01\x02")
