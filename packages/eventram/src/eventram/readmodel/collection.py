"""Collection: a read model of documents keyed by id, with declared indexes and versions."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from eventram.errors import QueryError, ValidationError
from eventram.readmodel import _snapshot, aggregations
from eventram.readmodel._compile import compile_filter
from eventram.readmodel._cursor import decode_cursor, encode_cursor
from eventram.readmodel._documents import Documents
from eventram.readmodel._ordering import Ordering, Row
from eventram.readmodel._planner import ordered, select
from eventram.readmodel._schema import Schema
from eventram.readmodel._versions import Versions
from eventram.readmodel.bulk import BulkWriter, Op
from eventram.readmodel.indexes import IndexSpec
from eventram.readmodel.query import Filter, Search, prefix
from eventram.readmodel.results import (
    Counts,
    OptimizeReport,
    Page,
    Suggestion,
    Summary,
    TimeSeries,
)

__all__ = ["Collection"]

_EVERYTHING = Filter()


class Collection:
    """Documents (plain dicts) keyed by ``id_field``, indexed as declared, optionally partitioned.

    ``fields`` declares the fields that filters, sorts and indexes may name, with their types
    (str, int, float, Decimal, bool, datetime (timezone-aware), date); other fields are stored
    as they are. With ``partition_by``, each value of that field gets its own documents and
    indexes, and a query with equality (or IN) on it touches only those partitions.

    Every write bumps ``version`` and the version of each partition it touched (a move between
    partitions touches two). A bulk flush is one write. Writers take a lock; readers take it too,
    so a read never sees half of a write.
    """

    def __init__(
        self,
        name: str,
        *,
        fields: Mapping[str, type],
        id_field: str = "id",
        indexes: Sequence[IndexSpec] = (),
        partition_by: str | None = None,
        max_page_size: int = 1000,
    ) -> None:
        self.schema = Schema(name, id_field, fields)
        self.schema.check_settings(indexes, partition_by)
        if max_page_size < 1:
            raise ValidationError("max_page_size must be at least 1.", field="max_page_size")
        self.name = name
        self.id_field = id_field
        self.indexes: tuple[IndexSpec, ...] = tuple(indexes)
        self.partition_by = partition_by
        self.max_page_size = max_page_size
        self._lock = threading.RLock()
        self._docs = Documents(self.schema, self.indexes, partition_by)
        self._versions = Versions(name, partitioned=partition_by is not None)

    # -- versions ------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Bumped by every write to this collection."""
        return self._versions.collection

    def partition_key(self, key: Any) -> str:
        """The version key of partition ``key``: ``"<name>/<key>"``."""
        return self._versions.key(key)

    def partition_version(self, key: Any) -> int:
        """Bumped by every write to partition ``key`` (0 if it was never written)."""
        with self._lock:
            return self._versions.of(key)

    def versions_for(self, where: Filter) -> dict[str, int]:
        """The versions a read with ``where`` depends on: its partitions' when it pins them."""
        compiled = compile_filter(self.schema, where)
        with self._lock:
            return self._versions.seen(self._docs.pinned(compiled))

    def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
        """Re-read version keys returned by ``versions_for`` or a result's ``versions``."""
        with self._lock:
            return self._versions.current(keys)

    def carry_versions_from(self, previous: Collection) -> None:
        """Start above every version ``previous`` reported (a rebuilt copy replacing it).

        Versions seen through ``previous`` then never match this collection's, so a cache
        cannot serve an entry computed before the swap.
        """
        with self._lock, previous._lock:
            self._versions.carry_from(previous._versions)

    # -- writes --------------------------------------------------------------------------

    def put(self, doc: Mapping[str, Any]) -> None:
        """Store ``doc``, replacing the document with the same id."""
        self._apply([("put", dict(doc))])

    def patch(self, doc_id: Any, fields: Mapping[str, Any]) -> None:
        """Merge ``fields`` into the document ``doc_id``; ``NotFoundError`` when absent."""
        self._apply([("patch", doc_id, dict(fields))])

    def delete(self, doc_id: Any) -> bool:
        """Remove the document ``doc_id``; False (and no version bump) when it was absent."""
        return self._apply([("delete", doc_id)])

    def bulk(self, auto_flush: int | None = None) -> BulkWriter:
        """A buffered writer; each ``flush`` applies its operations atomically, as one write."""
        return BulkWriter(self._apply, auto_flush)

    def _apply(self, ops: Sequence[Op]) -> bool:
        """Apply ``ops`` in order, all or none; bump the versions once; whether it changed."""
        with self._lock:
            touched = self._docs.apply(ops)
            if not touched:
                return False
            self._versions.bump(touched)
            return True

    # -- reads ---------------------------------------------------------------------------

    def get(self, doc_id: Any) -> dict[str, Any] | None:
        """A copy of the document ``doc_id``, or None."""
        with self._lock:
            doc = self._docs.get(doc_id)
            return None if doc is None else dict(doc)

    def __contains__(self, doc_id: object) -> bool:
        with self._lock:
            return self._docs.get(doc_id) is not None

    def __len__(self) -> int:
        with self._lock:
            return len(self._docs)

    def partitions(self) -> list[Any]:
        """The keys of the partitions holding documents."""
        with self._lock:
            return [key for key, p in self._docs.partitions.items() if p.docs]

    def search(self, search: Search) -> Page:
        """One page of the documents matching ``search.filter``, in ``search.sort`` order."""
        if not 1 <= search.size <= self.max_page_size:
            raise QueryError(
                f"Page size {search.size} is out of range: use 1 to {self.max_page_size}.",
                field="size",
            )
        if search.page < 1:
            raise QueryError(f"Page {search.page} is out of range: pages start at 1.", field="page")
        if search.cursor is not None and search.page != 1:
            raise QueryError("Give a cursor or a page number, not both.", field="cursor")
        compiled = compile_filter(self.schema, search.filter)
        ordering = Ordering(self.schema, search.sort)
        cursor = None
        if search.cursor is not None:
            cursor = decode_cursor(self.schema, ordering, search.cursor)
        offset = 0 if cursor is not None else (search.page - 1) * search.size
        limit = offset + search.size + 1
        with self._lock:
            pinned, targets, local = self._docs.targets(compiled)
            streams: list[Iterator[Row]] = []
            total = 0
            for partition in targets:
                stream, count = ordered(
                    partition, local, ordering, self.name, limit=limit, cursor=cursor
                )
                streams.append(stream)
                total += count
            rows = list(islice(ordering.merge(streams), offset, limit)) if streams else []
            items = [dict(doc) for _, doc in rows[: search.size]]
            next_cursor = None
            if len(rows) > search.size:
                last_id, last = rows[search.size - 1]
                next_cursor = encode_cursor(ordering, ordering.values(last), last_id)
            versions = self._versions.seen(pinned)
        return Page(
            items=items,
            total=total,
            page=search.page,
            size=search.size,
            next_cursor=next_cursor,
            versions=versions,
        )

    def _matching(self, where: Filter) -> tuple[Iterator[dict[str, Any]], dict[str, int]]:
        """Documents matching ``where`` (call with the lock held) and the versions read."""
        compiled = compile_filter(self.schema, where)
        pinned, targets, local = self._docs.targets(compiled)

        def docs() -> Iterator[dict[str, Any]]:
            for partition in targets:
                found = partition.docs
                for doc_id in select(partition, local, self.name):
                    yield found[doc_id]

        return docs(), self._versions.seen(pinned)

    def count(self, where: Filter = _EVERYTHING) -> int:
        """How many documents match ``where``."""
        compiled = compile_filter(self.schema, where)
        with self._lock:
            _, targets, local = self._docs.targets(compiled)
            return sum(len(select(p, local, self.name)) for p in targets)

    def count_by(self, where: Filter, field: str) -> Counts:
        """Documents matching ``where`` per value of ``field``."""
        self.schema.type_of(field)
        with self._lock:
            docs, versions = self._matching(where)
            return aggregations.count_by(docs, field, versions)

    def summarize(self, where: Filter, field: str, *, by: str | None = None) -> Summary:
        """Count, sum, min, max and mean of numeric ``field`` per value of ``by``.

        Money: pass the currency field as ``by`` so amounts are never added across currencies.
        """
        aggregations.check_summary(self.schema, field, by)
        with self._lock:
            docs, versions = self._matching(where)
            return aggregations.summarize(docs, field, by, versions)

    def time_series(
        self,
        where: Filter,
        field: str,
        interval: str,
        *,
        sum_field: str | None = None,
        by: str | None = None,
    ) -> TimeSeries:
        """Counts, and sums of ``sum_field`` per ``by``, by hour/day/week/month of ``field``."""
        aggregations.check_time_series(self.schema, field, interval, sum_field, by)
        with self._lock:
            docs, versions = self._matching(where)
            return aggregations.time_series(docs, field, interval, sum_field, by, versions)

    def suggest(
        self, field: str, text: str, *, where: Filter = _EVERYTHING, size: int = 10
    ) -> list[Suggestion]:
        """Values of ``field`` whose words start with what was typed, most frequent first."""
        if not 1 <= size <= self.max_page_size:
            raise QueryError(
                f"Suggestion count {size} is out of range: use 1 to {self.max_page_size}.",
                field="size",
            )
        with self._lock:
            docs, _ = self._matching(where & prefix(field, text))
            return aggregations.suggestions(docs, field, size)

    # -- maintenance and snapshots -------------------------------------------------------

    def optimize(self) -> OptimizeReport:
        """Remove orphan index entries, reindex missing ones, drop empty partitions, compact."""
        with self._lock:
            return self._docs.optimize()

    def dump(self) -> bytes:
        """The whole collection (settings, documents, versions) as msgpack bytes."""
        with self._lock:
            return _snapshot.dump(self._settings(), self._versions, self._docs)

    @classmethod
    def load(cls, data: bytes) -> Collection:
        """A collection rebuilt from ``dump`` bytes, versions included."""
        loaded = _snapshot.load(data)
        collection = cls(loaded.name, **loaded.options)
        collection._docs.load(loaded.documents)
        loaded.restore_versions(collection._versions)
        return collection

    def restore(self, data: bytes) -> None:
        """Replace this collection's contents and versions with a ``dump`` of the same shape."""
        loaded = self.load(data)
        if loaded._settings() != self._settings():
            raise ValidationError(
                f"The snapshot of {loaded.name!r} does not match the settings of "
                f"{self.name!r} (fields, indexes, partitioning).",
                field="snapshot",
            )
        with self._lock:
            self._docs = loaded._docs
            self._versions = loaded._versions

    def _settings(self) -> dict[str, Any]:
        """The shape a snapshot must have to be restored into this collection."""
        return _snapshot.settings(self.schema, self.indexes, self.partition_by, self.max_page_size)
