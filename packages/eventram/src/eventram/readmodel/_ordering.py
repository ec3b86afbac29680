"""Sort order of query results: keys, full sorts, top-k and merges, with mixed directions."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from eventram.readmodel._schema import Schema
from eventram.readmodel.query import SortKey

__all__ = ["Ordering", "Row"]

Row = tuple[Any, dict[str, Any]]
_NULL = (1,)


def _part(value: Any) -> tuple[Any, ...]:
    return _NULL if value is None else (0, value)


class _MixedKey:
    """A sort key whose parts have their own directions (tuples cannot express that)."""

    __slots__ = ("descending", "parts")

    def __init__(self, parts: tuple[Any, ...], descending: tuple[bool, ...]) -> None:
        self.parts = parts
        self.descending = descending

    def __lt__(self, other: _MixedKey) -> bool:
        for a, b, down in zip(self.parts, other.parts, self.descending, strict=True):
            if a != b:
                return bool(a > b) if down else bool(a < b)
        return False

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _MixedKey) and self.parts == other.parts

    __hash__ = None  # type: ignore[assignment]


class Ordering:
    """The order of a search: its sort keys, then the id in the last key's direction."""

    __slots__ = ("descending", "fields", "id_field", "key", "reverse", "uniform")

    def __init__(self, schema: Schema, sort: Sequence[SortKey]) -> None:
        keys = list(sort) or [SortKey(schema.id_field)]
        for key in keys:
            schema.type_of(key.field)
        self.fields: tuple[str, ...] = tuple(k.field for k in keys)
        self.descending: tuple[bool, ...] = (*(k.descending for k in keys), keys[-1].descending)
        self.id_field = schema.id_field
        self.uniform = len(set(self.descending)) == 1
        self.reverse = self.uniform and self.descending[0]
        self.key: Callable[[Row], Any] = self._row_key()

    def _row_key(self) -> Callable[[Row], Any]:
        """The key of a ``(doc_id, doc)`` row, specialised for the common one-field sort."""
        if self.uniform and len(self.fields) == 1:
            (field,) = self.fields

            def by_one_field(row: Row) -> Any:
                value = row[1].get(field)
                return (_NULL if value is None else (0, value), row[0])

            return by_one_field
        fields = self.fields

        def by_several_fields(row: Row) -> Any:
            doc = row[1]
            return self.key_of([doc.get(f) for f in fields], row[0])

        return by_several_fields

    def spec(self) -> list[list[Any]]:
        """The sort as plain data, stored in cursors to check they match the query."""
        return [[f, d] for f, d in zip(self.fields, self.descending, strict=False)]

    def values(self, doc: dict[str, Any]) -> list[Any]:
        """The raw sort values of ``doc`` (a cursor stores them with the id)."""
        return [doc.get(f) for f in self.fields]

    def key_of(self, values: Sequence[Any], doc_id: Any) -> Any:
        """A comparable key; compare with ``<`` after ``reverse`` is applied (see ``after``)."""
        parts = (*(_part(v) for v in values), doc_id)
        return parts if self.uniform else _MixedKey(parts, self.descending)

    def after(self, key: Any, cursor: Any) -> bool:
        """Whether ``key`` comes strictly after ``cursor`` in this order."""
        return bool(key < cursor) if self.reverse else bool(cursor < key)

    def sort(self, rows: list[Row]) -> list[Row]:
        """All rows in order."""
        if self.uniform:
            rows.sort(key=self.key, reverse=self.reverse)
            return rows
        # stable passes from the least significant key: C-speed tuple compares, no _MixedKey
        rows.sort(key=lambda r: r[0], reverse=self.descending[-1])
        for field, down in reversed(list(zip(self.fields, self.descending, strict=False))):
            rows.sort(key=lambda r, f=field: _part(r[1].get(f)), reverse=down)  # type: ignore[misc]
        return rows

    def top(self, rows: Iterable[Row], k: int) -> list[Row]:
        """The first ``k`` rows in order, without sorting them all when the order is uniform."""
        if self.uniform:
            pick = heapq.nlargest if self.reverse else heapq.nsmallest
            return pick(k, rows, key=self.key)
        return self.sort(list(rows))[:k]

    def merge(self, streams: Sequence[Iterator[Row]]) -> Iterator[Row]:
        """Merge streams that are each in this order."""
        if len(streams) == 1:
            return streams[0]
        return heapq.merge(*streams, key=self.key, reverse=self.reverse)
