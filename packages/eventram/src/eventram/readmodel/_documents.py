"""The documents of one collection: partitions, the id -> partition map, all-or-none writes.

``Documents`` owns the data and knows nothing of locks or versions: ``Collection`` holds its
lock around every call and bumps its versions with the partition keys a write touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from eventram.errors import NotFoundError, ValidationError
from eventram.readmodel._compile import Compiled
from eventram.readmodel._optimize import optimize_partitions
from eventram.readmodel._partition import Partition
from eventram.readmodel._schema import Schema
from eventram.readmodel.bulk import Op
from eventram.readmodel.indexes import IndexSpec
from eventram.readmodel.results import OptimizeReport

__all__ = ["Documents"]


class Documents:
    """Documents keyed by id, in one partition per value of ``partition_by`` (or one in all)."""

    def __init__(
        self, schema: Schema, indexes: Sequence[IndexSpec], partition_by: str | None
    ) -> None:
        self.schema = schema
        self.indexes = tuple(indexes)
        self.partition_by = partition_by
        self.partitions: dict[Any, Partition] = {}
        self._where: dict[Any, Any] = {}  # id -> partition key (partitioned collections only)

    def __len__(self) -> int:
        return sum(len(p.docs) for p in self.partitions.values())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for partition in self.partitions.values():
            yield from partition.docs.values()

    def get(self, doc_id: Any) -> dict[str, Any] | None:
        """The stored document ``doc_id`` itself (not a copy), or None."""
        if self.partition_by is None:
            partition = self.partitions.get(None)
            return None if partition is None else partition.docs.get(doc_id)
        key = self._where.get(doc_id)
        return None if key is None else self.partitions[key].docs[doc_id]

    def apply(self, ops: Sequence[Op]) -> set[Any]:
        """Apply ``ops`` in order, all or none; return the partition keys they touched."""
        undo: list[tuple[Any, dict[str, Any] | None]] = []
        touched: set[Any] = set()
        try:
            # one append per op, so undo holds exactly the ops applied before a failure
            for op in ops:
                undo.append(self._write(op, touched))  # noqa: PERF401
        except BaseException:
            for doc_id, old in reversed(undo):
                if old is None:
                    self._remove(doc_id, set())
                else:
                    self._store(old, set())
            raise
        return touched

    def load(self, docs: Iterable[dict[str, Any]]) -> None:
        """Insert documents as they are (snapshot loading)."""
        for doc in docs:
            self._store(doc, set())

    def pinned(self, compiled: Compiled) -> list[Any] | None:
        """Partition keys a filter pins with eq/IN on the partition field, else None."""
        if self.partition_by is None:
            return None
        test = compiled.tests.get(self.partition_by)
        if test is None or test.values is None:
            return None
        return [key for key in test.values if key is not None and test.matches(key)]

    def targets(self, compiled: Compiled) -> tuple[list[Any] | None, list[Partition], Compiled]:
        """Pinned keys, the partitions a filter can match, and the filter left for each."""
        if self.partition_by is None:
            partition = self.partitions.get(None)
            return None, [] if partition is None else [partition], compiled
        pinned = self.pinned(compiled)
        test = compiled.tests.get(self.partition_by)
        if test is None:
            return None, list(self.partitions.values()), compiled
        local = Compiled({f: t for f, t in compiled.tests.items() if f != self.partition_by})
        if pinned is not None:
            targets = [self.partitions[k] for k in pinned if k in self.partitions]
        else:
            targets = [p for k, p in self.partitions.items() if test.matches(k)]
        return pinned, targets, local

    def optimize(self) -> OptimizeReport:
        """Check the indexes, drop empty partitions, and compact the id map."""
        report = optimize_partitions(self.partitions)
        if self.partition_by is not None:
            self._where = dict(self._where)
        return report

    def _write(self, op: Op, touched: set[Any]) -> tuple[Any, dict[str, Any] | None]:
        """Apply one operation; return the id and the document it replaced (for undo)."""
        if op[0] == "put":
            doc = op[1]
            return doc.get(self.schema.id_field), self._store(doc, touched)
        if op[0] == "patch":
            _, doc_id, fields = op
            old = self.get(doc_id)
            if old is None:
                raise NotFoundError("document", f"{self.schema.name}/{doc_id}")
            if self.schema.id_field in fields and fields[self.schema.id_field] != doc_id:
                raise ValidationError(
                    f"A patch cannot change the id of document {doc_id!r}.",
                    field=self.schema.id_field,
                )
            self._store({**old, **fields}, touched)
            return doc_id, old
        _, doc_id = op
        return doc_id, self._remove(doc_id, touched)

    def _store(self, doc: dict[str, Any], touched: set[Any]) -> dict[str, Any] | None:
        doc_id = self.schema.check_document(doc)
        key = self._key_of(doc)
        old_key = self._where.get(doc_id) if self.partition_by is not None else None
        partition = self._partition(key)
        touched.add(key)
        old = self.get(doc_id)
        if old is None:
            partition.add(doc_id, doc)
        elif old_key == key:
            partition.replace(doc_id, old, doc)
        else:
            self.partitions[old_key].remove(doc_id)
            touched.add(old_key)
            partition.add(doc_id, doc)
        if self.partition_by is not None:
            self._where[doc_id] = key
        return old

    def _remove(self, doc_id: Any, touched: set[Any]) -> dict[str, Any] | None:
        if self.partition_by is None:
            key = None
            if doc_id not in self._partition(None).docs:
                return None
        else:
            if doc_id not in self._where:
                return None
            key = self._where.pop(doc_id)
        touched.add(key)
        return self.partitions[key].remove(doc_id)

    def _key_of(self, doc: dict[str, Any]) -> Any:
        if self.partition_by is None:
            return None
        key = doc.get(self.partition_by)
        if key is None:
            raise ValidationError(
                f"Document {doc.get(self.schema.id_field)!r} of {self.schema.name!r} has no "
                f"{self.partition_by!r}, the partition field.",
                field=self.partition_by,
            )
        return key

    def _partition(self, key: Any) -> Partition:
        partition = self.partitions.get(key)
        if partition is None:
            partition = Partition(key, self.indexes, self.partition_by)
            self.partitions[key] = partition
        return partition
