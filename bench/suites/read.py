"""Read side: indexed collections next to the seeds' InMemoryReader linear scan.

Anchor: a faithful Python port of the seeds' ``InMemoryReader::search`` / ``performSearch`` /
``matchesQuery`` / ``fieldMatches`` and ``getAnalytics`` (``seeds/000``, "In-Memory Reader
Avancé"): every search walks every stored document. Its cache is left out (the seeds' test
wires a mock): the figures time a search that must be computed, on both sides.

One deviation, so that both sides return the same rows: the seeds' ``fieldMatches`` treats the
range ``amount => ['gte' => x, 'lte' => y]`` as ``in_array(amount, [x, y])`` (equality with a
bound, the range is never honoured). The port keeps ``in_array`` for lists and adds the range
check for the range shape; it costs the anchor a little, never helps it. The seeds' handler
does not page or sort either, so the anchor sorts its matches like ours and slices the page;
before any timing, the suite checks that both sides return the same page and total.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.harness import Bench
from bench.measure import Body, per_call, retained_bytes
from eventram.readmodel import (
    Collection,
    HashIndex,
    IndexSpec,
    Search,
    SortedIndex,
    TextIndex,
    desc,
    eq,
    gte,
    is_in,
    lte,
)

__all__ = ["run"]

Doc = dict[str, Any]

FIELDS: dict[str, type] = {
    "payment_id": str,
    "organization_id": str,
    "user_id": str,
    "status": str,
    "currency": str,
    "amount": Decimal,
    "description": str,
    "created_at": datetime,
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
STATUSES = ("requested", "processed", "failed", "refunded")
CURRENCIES = ("EUR", "USD", "GBP")
WORDS = ("cloud", "compute", "storage", "réseau", "backup", "gpu", "cluster", "monthly")
DOCS_PER_ORGANIZATION = 1_000
PAGE = 20
T0 = datetime(2024, 1, 1, tzinfo=UTC)
LOW, HIGH = Decimal("100.00"), Decimal("600.00")
TWO_STATUSES = ["processed", "refunded"]


_generated: dict[int, list[Doc]] = {}


def documents(count: int) -> list[Doc]:
    """``count`` payments (the same ones on every call: the last size asked is kept)."""
    if count not in _generated:
        _generated.clear()
        _generated[count] = _generate(count)
    return _generated[count]


def _generate(count: int, seed: int = 7) -> list[Doc]:
    """``count`` payments, about 1,000 per organization, 100 per user; amounts 1.00-999.99."""
    rng = random.Random(seed)
    organizations = [f"org-{i:05d}" for i in range(max(1, count // DOCS_PER_ORGANIZATION))]
    users = [f"user-{i:06d}" for i in range(max(1, count // 100))]
    return [
        {
            "payment_id": f"pay-{i:08d}",
            "organization_id": rng.choice(organizations),
            "user_id": rng.choice(users),
            "status": rng.choice(STATUSES),
            "currency": rng.choice(CURRENCIES),
            "amount": Decimal(rng.randrange(100, 100_000)) / 100,
            "description": f"{rng.choice(WORDS)} {rng.choice(WORDS)} invoice {i}",
            "created_at": T0 + timedelta(seconds=rng.randrange(365 * 86_400)),
            "metadata": {"source": "bench"},
        }
        for i in range(count)
    ]


def collection(docs: Iterable[Doc], partitioned: bool) -> Collection:
    """Our payments read model: the billing indexes, partitioned by organization or not."""
    payments = Collection(
        "payments",
        id_field="payment_id",
        fields=FIELDS,
        indexes=INDEXES,
        partition_by="organization_id" if partitioned else None,
    )
    with payments.bulk(auto_flush=10_000) as writer:
        for doc in docs:
            writer.put(doc)
    return payments


# -- the anchor: the seeds' InMemoryReader, ported as written ------------------------------


class SeedsInMemoryReader:
    """``InMemoryReader`` of the seeds: ``performSearch`` scans ``storage->getAll()``."""

    def __init__(self, storage: dict[str, Doc]) -> None:
        self._storage = storage

    def search(self, query: dict[str, Any]) -> list[Doc]:
        """``search($query)`` without its cache: ``performSearch``."""
        return self._perform_search(query)

    def get_analytics(self, query: dict[str, Any]) -> dict[str, Any]:
        """``getAnalytics``: total, byStatus, byCurrency, totalAmount (summed over currencies)."""
        results = self._perform_search(query)
        analytics: dict[str, Any] = {
            "total": len(results),
            "byStatus": {},
            "byCurrency": {},
            "totalAmount": 0,
        }
        for result in results:
            status = result.get("status") or "unknown"
            currency = result.get("currency") or "unknown"
            amount = result.get("amount") or 0
            analytics["byStatus"][status] = analytics["byStatus"].get(status, 0) + 1
            analytics["byCurrency"][currency] = analytics["byCurrency"].get(currency, 0) + 1
            analytics["totalAmount"] += amount
        return analytics

    def _perform_search(self, query: dict[str, Any]) -> list[Doc]:
        results = []
        all_data = self._storage  # $this->storage->getAll()
        for value in all_data.values():
            if self._matches_query(value, query):
                results.append(value)  # noqa: PERF401 (the seeds loop, as written)
        return results

    def _matches_query(self, value: Doc, query: dict[str, Any]) -> bool:
        for field, expected in query.items():  # noqa: SIM110 (the seeds' loop, as written)
            if not self._field_matches(value, field, expected):
                return False
        return True

    def _field_matches(self, value: Doc, field: str, expected: Any) -> bool:
        field_value = self._get_field_value(value, field)
        if isinstance(expected, dict):
            # added: the seeds' in_array() never honours {gte, lte}; see the module docstring
            low, high = expected.get("gte"), expected.get("lte")
            if field_value is None:
                return False
            return (low is None or field_value >= low) and (high is None or field_value <= high)
        if isinstance(expected, list):
            return field_value in expected  # in_array($fieldValue, $expectedValue)
        return bool(field_value == expected)  # $fieldValue === $expectedValue

    def _get_field_value(self, value: Any, field: str) -> Any:
        if isinstance(value, dict):
            return value.get(field)
        return getattr(value, field, None)


def seeds_storage(docs: Iterable[Doc]) -> dict[str, Doc]:
    """The seeds' ``InMemoryStorage``: documents under ``Payment:{id}``."""
    return {f"Payment:{doc['payment_id']}": doc for doc in docs}


def seeds_page(reader: SeedsInMemoryReader, query: dict[str, Any]) -> tuple[list[Doc], int]:
    """The anchor's first page: scan, then sort like ours (created_at, id, descending)."""
    results = reader.search(query)
    results.sort(key=lambda d: (d["created_at"], d["payment_id"]), reverse=True)
    return results[:PAGE], len(results)


# -- figures -------------------------------------------------------------------------------


def _selective(organization: str) -> tuple[Search, dict[str, Any]]:
    where = (
        eq("organization_id", organization)
        & is_in("status", TWO_STATUSES)
        & gte("amount", LOW)
        & lte("amount", HIGH)
    )
    seeds = {
        "organization_id": organization,
        "status": TWO_STATUSES,
        "amount": {"gte": LOW, "lte": HIGH},
    }
    return Search(filter=where, sort=(desc("created_at"),), size=PAGE), seeds


def _fixed(body: Body) -> Callable[[], Body]:
    return lambda: body


def _searching(payments: Collection, search: Search) -> Callable[[], Body]:
    def body() -> object:
        return payments.search(search)

    return _fixed(body)


def _scanning(reader: SeedsInMemoryReader, query: dict[str, Any]) -> Callable[[], Body]:
    def body() -> object:
        return seeds_page(reader, query)

    return _fixed(body)


class Built:
    """The collections and the anchor reader of the largest size, reused by later figures."""

    def __init__(
        self, partitioned: Collection, unpartitioned: Collection, reader: SeedsInMemoryReader
    ) -> None:
        self.partitioned = partitioned
        self.unpartitioned = unpartitioned
        self.reader = reader


def search_by_collection_size(bench: Bench, sizes: list[int], largest: int) -> Built:
    """One organization + two statuses + amount range, first page of 20 by created_at desc.

    Ours: ``Collection.search`` on the billing indexes, partitioned by organization (and, in a
    second figure, unpartitioned: the planner intersects the organization and status postings
    and checks the amount range on what is left). Anchor: the seeds' scan, then sort + page.
    """
    curve: dict[str, dict[str, float]] = {}
    built: dict[bool, Collection] = {}
    for size in sizes:
        docs = documents(size)
        organization = docs[0]["organization_id"]
        search, seeds_query = _selective(organization)
        reader = SeedsInMemoryReader(seeds_storage(docs))
        anchor_repeat = 1 if size >= 500_000 else 3
        for partitioned in (True, False):
            ours = built[partitioned] = collection(docs, partitioned)
            page = ours.search(search)
            expected, total = seeds_page(reader, seeds_query)
            if page.items != expected or page.total != total:
                raise AssertionError(f"ours and the anchor disagree at {size} documents")
            layout = "partitioned by organization" if partitioned else "unpartitioned"
            figure = bench.compare(
                f"search {size:,} docs ({layout}): 1 org + 2 statuses + amount range, page 1",
                unit="ms per query",
                better="lower",
                ours=per_call(500, _searching(ours, search)),
                anchor=per_call(anchor_repeat, _scanning(reader, seeds_query)),
                anchor_name="seeds InMemoryReader::search (linear scan, range check added)",
                target=500.0 if size == largest and partitioned else None,
                note=f"{total} matching documents, page of {PAGE} sorted by created_at desc; "
                "both sides checked equal before timing",
            )
            curve.setdefault(layout, {})[str(size)] = figure.ours.median
            del ours
    bench.context["selective_search_ms_by_collection_size"] = curve
    return Built(built[True], built[False], reader)


def search_by_result_size(bench: Bench, ours: Collection) -> None:
    """Latency against the number of matching documents, at a fixed collection size.

    Filter: two statuses + an amount range whose width sets how many documents match; first
    page of 20 by created_at desc, with the total. Unpartitioned (the filter spans every
    organization). No anchor: the seeds' scan costs the same at every result size.
    """
    size = len(ours)
    curve: dict[str, float] = {}
    for wanted in (10, 100, 1_000, 10_000, 100_000):
        if wanted > size // 4:
            break
        # half the documents have one of the two statuses; amounts spread over 1.00-999.99
        width = Decimal(wanted * 2 * 999) / size
        where = is_in("status", TWO_STATUSES) & gte("amount", LOW) & lte("amount", LOW + width)
        search = Search(filter=where, sort=(desc("created_at"),), size=PAGE)
        total = ours.search(search).total
        figure = bench.compare(
            f"search {size:,} docs, ~{wanted:,} matching: 2 statuses + amount range, page 1",
            unit="ms per query",
            better="lower",
            ours=per_call(50, _searching(ours, search)),
            note=f"{total} matching documents, unpartitioned collection",
        )
        curve[str(total)] = figure.ours.median
    first_page = Search(sort=(desc("created_at"),), size=PAGE)
    bench.compare(
        f"first page of all {size:,} docs by created_at desc (index walk, no sort)",
        unit="ms per query",
        better="lower",
        ours=per_call(500, _searching(ours, first_page)),
        note="the sorted index is walked in order; the total is the index size",
    )
    bench.context["search_ms_by_result_size"] = curve


def analytics(bench: Bench, ours: Collection, reader: SeedsInMemoryReader) -> None:
    """Analytics of one organization: counts by status and currency, amounts per currency.

    Ours: ``count_by`` x2 + ``summarize(by="currency")`` on the organization's partition.
    Anchor: the seeds' ``getAnalytics`` (a scan; it adds amounts across currencies, as written).
    Statistics over time ranges come from the counters projection (its own figure).
    """
    size = len(ours)
    organization = documents(size)[0]["organization_id"]
    where = eq("organization_id", organization)

    def ours_analytics() -> object:
        return (
            ours.count_by(where, "status"),
            ours.count_by(where, "currency"),
            ours.summarize(where, "amount", by="currency"),
        )

    seeds = reader.get_analytics({"organization_id": organization})
    if ours.count_by(where, "status").counts != seeds["byStatus"]:
        raise AssertionError("ours and the anchor count statuses differently")
    bench.compare(
        f"analytics of one organization among {size:,} docs",
        unit="ms per query",
        better="lower",
        ours=per_call(200, _fixed(ours_analytics)),
        anchor=per_call(
            1 if size >= 500_000 else 3,
            _fixed(lambda: reader.get_analytics({"organization_id": organization})),
        ),
        anchor_name="seeds InMemoryReader::getAnalytics (linear scan)",
        note=f"{seeds['total']} documents in the organization; ours sums per currency",
    )


def memory(bench: Bench, size: int) -> None:
    """Bytes per document, retained (tracemalloc): documents and every index, partitioned.

    Anchor: the seeds' storage, a dict of the same documents without any index.
    """
    bench.compare(
        f"memory per document with its indexes ({size:,} docs)",
        unit="bytes per document",
        better="lower",
        ours=retained_bytes(size, lambda: collection(_generate(size), partitioned=True)),
        anchor=retained_bytes(size, lambda: seeds_storage(_generate(size))),
        anchor_name="seeds InMemoryStorage (documents only, no index)",
        note="ours: 4 hash, 2 sorted and 1 text index; documents are copied on put",
        warmup=False,
    )


def writes(bench: Bench, size: int) -> None:
    """Cost of keeping the indexes: one ``put`` per document, and patches of one field."""
    docs = documents(size)

    def load() -> Body:
        payments = Collection(
            "payments",
            id_field="payment_id",
            fields=FIELDS,
            indexes=INDEXES,
            partition_by="organization_id",
        )

        def body() -> None:
            for doc in docs:
                payments.put(doc)

        return body

    bench.compare(
        f"put (insert) per document, {size:,} docs, partitioned, 7 indexes",
        unit="us per put",
        better="lower",
        ours=per_call(1, load, scale=1e6 / size),
    )
    patched = collection(docs, partitioned=True)
    statuses = [(doc["payment_id"], STATUSES[i % 4]) for i, doc in enumerate(docs[:10_000])]

    def patches() -> Body:
        def body() -> None:
            for doc_id, status in statuses:
                patched.patch(doc_id, {"status": status})

        return body

    bench.compare(
        "patch of an indexed field (status) per document",
        unit="us per patch",
        better="lower",
        ours=per_call(1, patches, scale=1e6 / len(statuses)),
        note="the projection's update path: merge, re-index only the fields that moved",
    )


def point_reads(bench: Bench, size: int) -> None:
    """``get`` by id: ours takes the collection lock and copies the document.

    Anchor: the seeds' ``getDocument`` (``storage->get("Payment:{id}")``), a bare lookup.
    """
    docs = documents(size)
    payments = collection(docs, partitioned=True)
    reader_storage = seeds_storage(docs)
    ids = [doc["payment_id"] for doc in docs[:: max(1, size // 10_000)]]

    def ours() -> Body:
        def body() -> None:
            get = payments.get
            for doc_id in ids:
                get(doc_id)

        return body

    def anchor() -> Body:
        def body() -> None:
            for doc_id in ids:
                reader_storage.get(f"Payment:{doc_id}")

        return body

    bench.compare(
        f"get a document by id ({size:,} docs)",
        unit="us per get",
        better="lower",
        ours=per_call(1, ours, scale=1e6 / len(ids)),
        anchor=per_call(1, anchor, scale=1e6 / len(ids)),
        anchor_name="seeds InMemoryReader::getDocument (dict lookup)",
        note="ours: RLock + partition lookup + shallow copy, so callers cannot corrupt indexes",
    )


def snapshots(bench: Bench, size: int) -> None:
    """``Collection.dump`` and ``Collection.load`` (rebuilds every index) per document."""
    payments = collection(documents(size), partitioned=True)
    dumped = payments.dump()

    def dump() -> Body:
        return payments.dump

    def load() -> Body:
        return lambda: Collection.load(dumped)

    bench.compare(
        f"snapshot dump, {size:,} docs",
        unit="us per document",
        better="lower",
        ours=per_call(1, dump, scale=1e6 / size),
        note=f"{len(dumped) / size:.0f} bytes per document of msgpack",
    )
    bench.compare(
        f"snapshot load (documents and indexes), {size:,} docs",
        unit="us per document",
        better="lower",
        ours=per_call(1, load, scale=1e6 / size),
    )


def run(bench: Bench) -> None:
    """Run every read-side figure."""
    sizes = [10_000, 100_000, 1_000_000] if not bench.quick else [2_000, 20_000]
    largest = sizes[-1]
    bench.context.update(
        sizes=sizes,
        documents_per_organization=DOCS_PER_ORGANIZATION,
        page=PAGE,
        indexes=[f"{spec.kind}:{spec.field}" for spec in INDEXES],
    )
    built = search_by_collection_size(bench, sizes, largest)
    search_by_result_size(bench, built.unpartitioned)
    analytics(bench, built.partitioned, built.reader)
    del built
    memory(bench, bench.size(100_000, 10_000))
    writes(bench, bench.size(100_000, 10_000))
    point_reads(bench, bench.size(100_000, 10_000))
    snapshots(bench, bench.size(100_000, 10_000))
