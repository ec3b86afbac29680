"""Property tests: every read equals a naive filter-and-sort over the same documents.

Random documents go through random puts, patches and deletes into collections with random
indexes and partitioning; random filters, sorts and pages are then answered by the collection
and by a plain-Python model written independently of the planner.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventram.readmodel import (
    Collection,
    Filter,
    HashIndex,
    IndexSpec,
    Search,
    SortedIndex,
    SortKey,
    TextIndex,
)
from eventram.readmodel.query import Condition, Op

FIELDS: dict[str, type] = {
    "id": str,
    "org": str,
    "status": str,
    "amount": Decimal,
    "n": int,
    "at": datetime,
    "label": str,
    "flag": bool,
}
ORGS = ["org-a", "org-b", "org-c"]
STATUSES = ["new", "paid", "failed", "refunded"]
AMOUNTS = [Decimal(v) for v in ("0", "0.50", "1", "9.99", "10", "10.00", "250", "-3")]
TIMES = [datetime(2024, 3, 1, tzinfo=UTC) + timedelta(hours=h * 7) for h in range(12)]
WORDS = ["Café", "cafe", "Crème", "brûlée", "ÉTÉ", "invoice", "inv", "naïve", "x1", "12"]
LABELS = [" ".join(WORDS[i : i + k]) for i in range(len(WORDS)) for k in (1, 2, 3)]
IDS = [f"d{i:02d}" for i in range(40)]

maybe = functools.partial(st.one_of, st.none())
values: dict[str, st.SearchStrategy[Any]] = {
    "org": st.sampled_from(ORGS),
    "status": maybe(st.sampled_from(STATUSES)),
    "amount": maybe(st.sampled_from(AMOUNTS)),
    "n": maybe(st.integers(-3, 6)),
    "at": maybe(st.sampled_from(TIMES)),
    "label": maybe(st.sampled_from(LABELS)),
    "flag": maybe(st.booleans()),
}


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": draw(st.sampled_from(IDS))}
    for field, strategy in values.items():
        if field == "org" or draw(st.booleans()) or draw(st.booleans()):
            doc[field] = draw(strategy)
    return doc


@st.composite
def collections(draw: st.DrawFn) -> Collection:
    indexes: list[IndexSpec] = []
    for field in ("org", "status", "amount", "n", "at", "flag"):
        if draw(st.booleans()):
            indexes.append(HashIndex(field))
        if draw(st.booleans()):
            indexes.append(SortedIndex(field))
    if draw(st.booleans()):
        indexes.append(TextIndex("label"))
    if draw(st.booleans()):
        indexes.append(SortedIndex("label"))
    partition = draw(st.sampled_from([None, "org"]))
    return Collection("docs", fields=FIELDS, indexes=indexes, partition_by=partition)


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    field = draw(st.sampled_from(sorted(values)))
    ops: list[Op] = ["eq", "in"]
    if field != "flag":
        ops += ["gt", "gte", "lt", "lte"]
    if field == "label":
        ops += ["prefix", "contains"]
    op: Op = draw(st.sampled_from(ops))
    if op == "in":
        return Condition(field, op, tuple(draw(st.lists(values[field], max_size=3))))
    if op == "prefix":
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=2))
        cut = [w[: draw(st.integers(1, len(w)))] for w in words]
        return Condition(field, op, " ".join(cut))
    if op == "contains":
        label = draw(st.sampled_from(LABELS))
        i = draw(st.integers(0, len(label) - 1))
        j = draw(st.integers(i + 1, len(label)))
        text = label[i:j]
        if not _norm(text):
            text = label
        return Condition(field, op, draw(st.sampled_from([text, text.upper()])))
    strategy = values[field]
    if op != "eq":
        strategy = strategy.filter(lambda v: v is not None)
    return Condition(field, op, draw(strategy))


def filters() -> st.SearchStrategy[Filter]:
    return st.lists(conditions(), max_size=3).map(lambda cs: Filter(tuple(cs)))


def sorts() -> st.SearchStrategy[tuple[SortKey, ...]]:
    keys = st.builds(SortKey, st.sampled_from(sorted(FIELDS)), st.booleans())
    return st.lists(keys, max_size=3, unique_by=lambda k: k.field).map(tuple)


# -- the naive model -----------------------------------------------------------------------


def _norm(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", _norm(text))


def naive_match(doc: dict[str, Any], condition: Condition) -> bool:
    value, operand = doc.get(condition.field), condition.value
    match condition.op:
        case "eq":
            return bool(value == operand)
        case "in":
            return bool(value in operand)
        case "prefix":
            words = _words(value) if isinstance(value, str) else []
            return all(any(w.startswith(q) for w in words) for q in _words(operand))
        case "contains":
            return isinstance(value, str) and _norm(operand) in _norm(value)
    if value is None:
        return False
    outcomes = {
        "gt": value > operand,
        "gte": value >= operand,
        "lt": value < operand,
        "lte": value <= operand,
    }
    return bool(outcomes[condition.op])


def naive_order(docs: list[dict[str, Any]], sort: tuple[SortKey, ...]) -> list[dict[str, Any]]:
    keys = list(sort) or [SortKey("id")]
    directions = [*((k.field, k.descending) for k in keys), ("id", keys[-1].descending)]

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for field, descending in directions:
            x, y = a.get(field), b.get(field)
            if x == y:
                continue
            if x is None:
                result = 1
            elif y is None:
                result = -1
            else:
                result = -1 if x < y else 1
            return -result if descending else result
        return 0

    return sorted(docs, key=functools.cmp_to_key(compare))


def naive_search(model: dict[str, dict[str, Any]], where: Filter) -> list[dict[str, Any]]:
    return [d for d in model.values() if all(naive_match(d, c) for c in where.conditions)]


# -- the properties ------------------------------------------------------------------------


def fill(
    collection: Collection, data: st.DataObject
) -> tuple[dict[str, dict[str, Any]], Counter[str]]:
    """Apply random writes to the collection and the model; count version bumps per key."""
    model: dict[str, dict[str, Any]] = {}
    bumps: Counter[str] = Counter()
    for _ in range(data.draw(st.integers(0, 40), label="writes")):
        action = data.draw(st.sampled_from(["put", "put", "put", "patch", "delete"]))
        if action == "put":
            doc = data.draw(documents())
            old = model.get(doc["id"])
            collection.put(doc)
            model[doc["id"]] = doc
            _bump(collection, bumps, old, doc)
        elif action == "patch" and model:
            doc_id = data.draw(st.sampled_from(sorted(model)))
            changes = data.draw(documents())
            del changes["id"]
            collection.patch(doc_id, changes)
            old = model[doc_id]
            model[doc_id] = {**old, **changes}
            _bump(collection, bumps, old, model[doc_id])
        elif action == "delete":
            doc_id = data.draw(st.sampled_from(IDS))
            old = model.pop(doc_id, None)
            assert collection.delete(doc_id) is (old is not None)
            if old is not None:
                _bump(collection, bumps, old, None)
    return model, bumps


def _bump(
    collection: Collection,
    bumps: Counter[str],
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
) -> None:
    bumps[collection.name] += 1
    if collection.partition_by is not None:
        keys = {d["org"] for d in (old, new) if d is not None}
        for key in keys:
            bumps[collection.partition_key(key)] += 1


def ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["id"] for d in docs]


common = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
fewer = settings(common, max_examples=30)


@common
@given(collection=collections(), data=st.data(), where=filters(), sort=sorts())
def test_search_equals_a_naive_filter_and_sort(
    collection: Collection, data: st.DataObject, where: Filter, sort: tuple[SortKey, ...]
) -> None:
    model, _ = fill(collection, data)

    expected = naive_order(naive_search(model, where), sort)
    page = collection.search(Search(filter=where, sort=sort, size=100))

    assert ids(page.items) == ids(expected)
    assert page.items == expected
    assert page.total == len(expected) == collection.count(where)


@common
@given(
    collection=collections(),
    data=st.data(),
    where=filters(),
    sort=sorts(),
    size=st.integers(1, 7),
)
def test_pages_and_cursors_walk_exactly_the_full_sorted_result(
    collection: Collection,
    data: st.DataObject,
    where: Filter,
    sort: tuple[SortKey, ...],
    size: int,
) -> None:
    model, _ = fill(collection, data)
    expected = ids(naive_order(naive_search(model, where), sort))

    by_cursor: list[str] = []
    cursor: str | None = None
    while True:
        page = collection.search(Search(filter=where, sort=sort, size=size, cursor=cursor))
        assert page.total == len(expected)
        by_cursor += ids(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    pages = len(expected) // size + 1
    by_number = [
        i
        for n in range(1, pages + 1)
        for i in ids(collection.search(Search(filter=where, sort=sort, size=size, page=n)).items)
    ]

    assert by_cursor == expected
    assert by_number == expected


@fewer
@given(collection=collections(), data=st.data(), where=filters())
def test_aggregations_equal_naive_ones(
    collection: Collection, data: st.DataObject, where: Filter
) -> None:
    model, _ = fill(collection, data)
    matched = naive_search(model, where)

    counts = collection.count_by(where, "status")
    assert counts.counts == Counter(d.get("status") for d in matched)

    summary = collection.summarize(where, "amount", by="org")
    for org in ORGS:
        amounts = [d["amount"] for d in matched if d["org"] == org and d.get("amount") is not None]
        if not amounts:
            assert org not in summary.groups
            continue
        stats = summary.groups[org]
        assert (stats.count, stats.sum, stats.min, stats.max) == (
            len(amounts),
            sum(amounts),
            min(amounts),
            max(amounts),
        )

    series = collection.time_series(where, "at", "day", sum_field="amount", by="status")
    expected: Counter[str] = Counter(
        d["at"].strftime("%Y-%m-%d") for d in matched if d.get("at") is not None
    )
    assert {label: b.count for label, b in series.buckets.items()} == expected


@fewer
@given(collection=collections(), data=st.data(), where=filters())
def test_versions_bump_exactly_and_only_where_written(
    collection: Collection, data: st.DataObject, where: Filter
) -> None:
    _, bumps = fill(collection, data)

    assert collection.version == bumps[collection.name]
    for org in ORGS:
        expected = bumps[collection.partition_key(org)] if collection.partition_by else 0
        assert collection.partition_version(org) == expected
    page = collection.search(Search(filter=where))
    assert collection.current_versions(page.versions) == page.versions


@fewer
@given(collection=collections(), data=st.data(), where=filters(), sort=sorts())
def test_a_snapshot_answers_like_the_original(
    collection: Collection, data: st.DataObject, where: Filter, sort: tuple[SortKey, ...]
) -> None:
    fill(collection, data)

    copy = Collection.load(collection.dump())

    search = Search(filter=where, sort=sort, size=100)
    assert copy.search(search) == collection.search(search)
    assert copy.optimize().orphans_removed == 0
    assert copy.search(search) == collection.search(search)
