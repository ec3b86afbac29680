"""The planner: indexes first, scans only as a last resort (logged), index walks for sorts."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal

import pytest

from eventram.readmodel import (
    Collection,
    HashIndex,
    IndexSpec,
    Search,
    SortedIndex,
    TextIndex,
    asc,
    contains,
    desc,
    eq,
    gte,
    is_in,
    lt,
    prefix,
)
from eventram.readmodel._ordering import Ordering, Row

FIELDS: dict[str, type] = {"id": int, "kind": str, "size": int, "price": Decimal, "name": str}


def catalog(indexes: list[IndexSpec], count: int = 500) -> Collection:
    items = Collection("items", fields=FIELDS, indexes=indexes)
    with items.bulk() as writer:
        for n in range(count):
            writer.put(
                {
                    "id": n,
                    "kind": ("tool", "toy", "food")[n % 3],
                    "size": n % 17,
                    "price": Decimal(n % 101) / 4,
                    "name": f"item {n} {'red' if n % 2 else 'blue'}",
                }
            )
    return items


SCAN = "no index"


def scans(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if SCAN in r.getMessage()]


def test_a_filter_without_any_usable_index_is_a_logged_scan(
    caplog: pytest.LogCaptureFixture,
) -> None:
    items = catalog([HashIndex("kind")])
    caplog.set_level(logging.DEBUG, logger="eventram.readmodel")

    assert items.count(eq("size", 3)) == 30

    assert scans(caplog) == ["collection items: no index for size; scanning 500 documents"]


def test_an_indexed_filter_does_not_scan(caplog: pytest.LogCaptureFixture) -> None:
    items = catalog([HashIndex("kind"), SortedIndex("price"), TextIndex("name")])
    caplog.set_level(logging.DEBUG, logger="eventram.readmodel")

    items.count(eq("kind", "toy") & gte("price", Decimal(3)) & eq("size", 4))
    items.count(prefix("name", "re") & eq("size", 1))
    items.count(is_in("kind", ["tool", "food"]))

    assert scans(caplog) == []


def test_a_range_without_a_sorted_index_is_checked_per_document_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    items = catalog([HashIndex("kind")])
    caplog.set_level(logging.DEBUG, logger="eventram.readmodel")

    found = items.count(eq("kind", "tool") & gte("size", 10) & lt("size", 12))

    assert found == sum(1 for n in range(500) if n % 3 == 0 and 10 <= n % 17 < 12)
    messages = [r.getMessage() for r in caplog.records]
    assert "collection items: range on 'size' has no sorted index; checked per document" in (
        messages
    )
    assert scans(caplog) == []


class _SortSpy:
    """Counts the rows handed to the in-memory sort of results."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.rows = 0
        top, sort = Ordering.top, Ordering.sort

        def spy_top(ordering: Ordering, rows: Iterable[Row], k: int) -> list[Row]:
            taken = list(rows)
            self.rows += len(taken)
            return top(ordering, taken, k)

        def spy_sort(ordering: Ordering, rows: list[Row]) -> list[Row]:
            self.rows += len(rows)
            return sort(ordering, rows)

        monkeypatch.setattr(Ordering, "top", spy_top)
        monkeypatch.setattr(Ordering, "sort", spy_sort)


def test_the_first_page_of_a_large_result_walks_the_sorted_index(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = catalog([HashIndex("kind"), SortedIndex("price")], count=3_000)
    spy = _SortSpy(monkeypatch)

    page = items.search(Search(filter=is_in("kind", ["tool", "toy"]), sort=(desc("price"),)))

    assert page.total == 2_000
    assert [d["price"] for d in page.items] == sorted(
        (Decimal(n % 101) / 4 for n in range(3_000) if n % 3 != 2), reverse=True
    )[:20]
    assert spy.rows == 0


def test_without_a_sorted_index_the_result_is_sorted_in_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = catalog([HashIndex("kind")], count=3_000)
    spy = _SortSpy(monkeypatch)

    items.search(Search(filter=is_in("kind", ["tool", "toy"]), sort=(desc("price"),)))

    assert spy.rows == 2_000


def test_a_range_on_the_sort_field_is_read_as_one_index_slice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = catalog([SortedIndex("price")], count=3_000)
    spy = _SortSpy(monkeypatch)

    page = items.search(Search(filter=gte("price", Decimal(20)), sort=(asc("price"),), size=5))

    assert [d["price"] for d in page.items] == [Decimal(20)] * 5
    assert page.total == sum(1 for n in range(3_000) if n % 101 >= 80)
    assert spy.rows == 0


def test_a_selective_filter_sorts_only_its_own_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    items = catalog([HashIndex("kind"), HashIndex("size"), SortedIndex("price")], count=3_000)
    spy = _SortSpy(monkeypatch)

    page = items.search(Search(filter=eq("size", 5) & eq("kind", "toy"), sort=(asc("price"),)))

    assert 0 < page.total == spy.rows < 100


def test_text_candidates_are_verified() -> None:
    items = Collection("notes", fields={"id": int, "body": str}, indexes=[TextIndex("body")])
    items.put({"id": 1, "body": "red apple"})
    items.put({"id": 2, "body": "apple red"})
    items.put({"id": 3, "body": "reddish"})
    found = items.search(Search(filter=contains("body", "red app")))

    assert [d["id"] for d in found.items] == [1]
