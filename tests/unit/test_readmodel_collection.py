"""Collection settings, value checks and concurrency; the rest is in the contract suite."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from eventram.errors import QueryError, ValidationError
from eventram.readmodel import (
    Collection,
    Filter,
    HashIndex,
    Search,
    SortedIndex,
    TextIndex,
    asc,
    eq,
    gte,
    is_in,
)


def test_an_index_on_an_undeclared_field_is_refused() -> None:
    with pytest.raises(ValidationError, match="colour"):
        Collection("c", fields={"name": str}, indexes=[HashIndex("colour")])


def test_a_text_index_needs_a_text_field() -> None:
    with pytest.raises(ValidationError, match="str field"):
        Collection("c", fields={"n": int}, indexes=[TextIndex("n")])


def test_the_partition_field_must_be_declared() -> None:
    with pytest.raises(ValidationError, match="org"):
        Collection("c", fields={"name": str}, partition_by="org")


def test_field_types_are_limited_to_comparable_scalars() -> None:
    with pytest.raises(ValidationError, match="tags"):
        Collection("c", fields={"tags": list})
    with pytest.raises(ValidationError, match="id field"):
        Collection("c", fields={"id": Decimal})


def test_the_page_size_maximum_is_configurable() -> None:
    items = Collection("c", fields={"n": int}, max_page_size=10)
    with pytest.raises(QueryError, match="1 to 10"):
        items.search(Search(size=11))
    with pytest.raises(ValidationError):
        Collection("c", fields={"n": int}, max_page_size=0)


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (int, 3, True),
        (Decimal, 3, Decimal("NaN")),
        (float, 2, float("nan")),
        (bool, False, 0),
        (date, date(2024, 1, 1), datetime(2024, 1, 1, tzinfo=UTC)),
        (str, "x", b"x"),
    ],
)
def test_declared_types_accept_their_values_only(kind: type, good: Any, bad: Any) -> None:
    items = Collection("c", fields={"v": kind}, indexes=[SortedIndex("v"), HashIndex("v")])

    items.put({"id": "a", "v": good})
    with pytest.raises(ValidationError, match="'v'"):
        items.put({"id": "b", "v": bad})
    with pytest.raises(QueryError, match="'v'"):
        items.count(eq("v", bad))

    assert items.count(eq("v", good)) == 1


def test_int_ids_sort_numerically() -> None:
    items = Collection("c", fields={"id": int})
    for n in (10, 9, 100, 1):
        items.put({"id": n})

    assert [d["id"] for d in items.search(Search()).items] == [1, 9, 10, 100]
    with pytest.raises(ValidationError, match="'id'"):
        items.put({"id": "10"})


def test_an_in_filter_needs_a_list() -> None:
    items = Collection("c", fields={"s": str})
    with pytest.raises(QueryError, match="list of values"):
        is_in("s", "abc")
    with pytest.raises(QueryError, match="list of values"):
        Filter.from_mapping({"s": {"in": "abc"}})
    with pytest.raises(QueryError, match="Unknown operator"):
        Filter.from_mapping({"s": {"like": "a%"}})
    assert items.count(Filter.from_mapping({"s": {"in": ["a"]}})) == 0


def test_filters_combine_in_a_canonical_order() -> None:
    assert eq("b", 1) & eq("a", 2) == eq("a", 2) & eq("b", 1)


@pytest.fixture
def eager_thread_switches() -> Any:
    """Switch threads every microsecond, so a reader lands in the middle of writes."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("eager_thread_switches")
def test_readers_never_see_half_of_a_bulk_flush() -> None:
    """A writer moves money between accounts, two patches per flush; the sum never moves."""
    accounts = Collection(
        "accounts",
        fields={"id": int, "branch": str, "balance": int},
        indexes=[SortedIndex("balance"), HashIndex("branch")],
        partition_by="branch",
    )
    for n in range(20):
        accounts.put({"id": n, "branch": f"b{n % 4}", "balance": 100})
    stop = threading.Event()
    seen: list[int] = []
    failures: list[BaseException] = []

    def writer() -> None:
        for step in range(400):
            source, target = step % 20, (step * 7 + 3) % 20
            if source == target:
                continue
            a, b = accounts.get(source), accounts.get(target)
            assert a is not None
            assert b is not None
            with accounts.bulk() as batch:
                batch.patch(source, {"balance": a["balance"] - 5, "branch": f"b{step % 4}"})
                batch.patch(target, {"balance": b["balance"] + 5})
        stop.set()

    def reader() -> None:
        try:
            while not stop.is_set():
                summary = accounts.summarize(Filter(), "balance")
                seen.append(summary.groups[None].sum)  # type: ignore[arg-type]
                page = accounts.search(Search(sort=(asc("balance"),), size=20))
                seen.append(sum(d["balance"] for d in page.items))
                assert accounts.count(gte("balance", -(10**6))) == 20
        except BaseException as exc:  # reported to the main thread
            failures.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    writer()
    for thread in threads:
        thread.join()

    assert failures == []
    assert seen
    assert set(seen) == {2000}
