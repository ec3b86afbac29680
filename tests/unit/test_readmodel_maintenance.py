"""Snapshot encoding of nested values, and the repairs ``optimize`` makes to damaged indexes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventram.readmodel import (
    Collection,
    HashIndex,
    Search,
    SortedIndex,
    TextIndex,
    _wire,
    asc,
    eq,
    gte,
    prefix,
)


@pytest.mark.parametrize(
    "value",
    [
        {"amount": Decimal("1.10"), "lines": [Decimal("0.10"), (1, "a", Decimal(1))]},
        {"day": date(2024, 2, 29), "naive": datetime(2024, 1, 1, 12), "aware": datetime.now(UTC)},
        [None, True, 3, 2.5, "é", b"raw", {"nested": {"deep": (Decimal("-0"),)}}],
    ],
)
def test_undeclared_nested_values_keep_their_types_in_a_snapshot(value: Any) -> None:
    assert _wire.decode(_wire.encode(value)) == value
    items = Collection("c", fields={"n": int})
    items.put({"id": "x", "n": 1, "payload": value})

    copy = Collection.load(items.dump())

    assert copy.get("x") == {"id": "x", "n": 1, "payload": value}


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.text(),
    st.binary(),
    st.decimals(allow_nan=False),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
)
nested = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
    ),
    max_leaves=12,
)


@given(value=nested)
def test_any_nested_value_round_trips(value: Any) -> None:
    assert _wire.decode(_wire.encode(value)) == value


def test_an_unknown_extension_in_snapshot_bytes_is_refused() -> None:
    import msgspec

    from eventram.errors import ValidationError

    damaged = msgspec.msgpack.encode(msgspec.msgpack.Ext(99, b"?"))
    with pytest.raises(ValidationError, match="snapshot"):
        Collection.load(damaged)


def damaged_collection() -> Collection:
    """Five documents whose indexes were damaged behind the collection's back."""
    items = Collection(
        "items",
        fields={"id": int, "kind": str, "size": int, "name": str},
        indexes=[HashIndex("kind"), SortedIndex("size"), TextIndex("name")],
    )
    for n in range(5):
        items.put({"id": n, "kind": "a" if n % 2 else "b", "size": n, "name": f"item {n}"})
    partition = items._docs.partitions[None]
    # damage, as a bug or a crash in the middle of an index update would leave it:
    partition.hashes["kind"].postings["a"].add(99)  # an entry for a document that is gone
    partition.hashes["kind"].postings["b"].discard(0)  # a document missing from its posting
    partition.sorteds["size"].items.add((1, 4))  # a stale value for document 4
    partition.texts["name"].add(2, "ghost")  # a word document 2 does not have
    partition.texts["name"].postings["item"].discard(3)  # a word document 3 lost
    return items


def test_optimize_removes_orphans_and_reindexes_what_is_missing() -> None:
    items = damaged_collection()
    version = items.version

    report = items.optimize()

    assert report.orphans_removed == 3
    assert report.entries_reindexed == 2
    assert items.version == version
    assert [d["id"] for d in items.search(Search(filter=eq("kind", "b"))).items] == [0, 2, 4]
    assert [d["id"] for d in items.search(Search(filter=eq("kind", "a"))).items] == [1, 3]
    assert [d["id"] for d in items.search(Search(sort=(asc("size"),))).items] == [0, 1, 2, 3, 4]
    assert items.count(gte("size", 1)) == 4
    assert items.count(prefix("name", "ghost")) == 0
    assert items.count(prefix("name", "item")) == 5


def test_a_second_optimize_finds_nothing_to_repair() -> None:
    items = damaged_collection()
    items.optimize()

    report = items.optimize()

    assert (report.orphans_removed, report.entries_reindexed) == (0, 0)
