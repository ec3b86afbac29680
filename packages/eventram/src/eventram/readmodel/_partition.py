"""A partition: documents by id and their indexes (an unpartitioned collection has one)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventram.readmodel._hash import HashPostings
from eventram.readmodel._sorted import SortedPostings
from eventram.readmodel._textpostings import TextPostings
from eventram.readmodel.indexes import IndexSpec

__all__ = ["Partition"]

AnyPostings = HashPostings | SortedPostings | TextPostings


class Partition:
    """Documents of one partition key with their own indexes (none on the partition field)."""

    __slots__ = ("_all", "docs", "hashes", "key", "sorteds", "texts")

    def __init__(self, key: Any, specs: Sequence[IndexSpec], partition_field: str | None) -> None:
        self.key = key
        self.docs: dict[Any, dict[str, Any]] = {}
        self.hashes: dict[str, HashPostings] = {}
        self.sorteds: dict[str, SortedPostings] = {}
        self.texts: dict[str, TextPostings] = {}
        for spec in specs:
            if spec.field == partition_field:
                continue
            if spec.kind == "hash":
                self.hashes[spec.field] = HashPostings(spec.field)
            elif spec.kind == "sorted":
                self.sorteds[spec.field] = SortedPostings(spec.field)
            else:
                self.texts[spec.field] = TextPostings(spec.field)
        self._all: tuple[AnyPostings, ...] = tuple(self.indexes())

    def indexes(self) -> list[AnyPostings]:
        """Every index of this partition."""
        return [*self.hashes.values(), *self.sorteds.values(), *self.texts.values()]

    def add(self, doc_id: Any, doc: dict[str, Any]) -> None:
        """Store ``doc`` (not yet present) and index it."""
        self.docs[doc_id] = doc
        for index in self._all:
            index.add(doc_id, doc.get(index.field))

    def remove(self, doc_id: Any) -> dict[str, Any]:
        """Unindex and drop the document ``doc_id`` (present); return it."""
        doc = self.docs.pop(doc_id)
        for index in self._all:
            index.remove(doc_id, doc.get(index.field))
        return doc

    def replace(self, doc_id: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Swap ``old`` for ``new`` under the same id, touching only indexes whose value moved."""
        self.docs[doc_id] = new
        for index in self._all:
            before, after = old.get(index.field), new.get(index.field)
            if before != after or type(before) is not type(after):
                index.remove(doc_id, before)
                index.add(doc_id, after)
