"""Index maintenance (the seeds' ``optimizeIndexes``): orphans out, gaps filled, memory back."""

from __future__ import annotations

import sys
import time
from typing import Any

from eventram.readmodel._hash import HashPostings
from eventram.readmodel._partition import Partition
from eventram.readmodel._sorted import SortedPostings
from eventram.readmodel._text import tokenize
from eventram.readmodel._textpostings import TextPostings
from eventram.readmodel.results import OptimizeReport

__all__ = ["optimize_partitions"]


def optimize_partitions(partitions: dict[Any, Partition]) -> OptimizeReport:
    """Check every index against its documents, drop empty partitions, rebuild tables."""
    started = time.perf_counter()
    orphans = reindexed = dropped = reclaimed = documents = 0
    for key in list(partitions):
        partition = partitions[key]
        if not partition.docs:
            del partitions[key]
            dropped += 1
            continue
        documents += len(partition.docs)
        for index in partition.indexes():
            orphans += _remove_orphans(partition, index)
            reindexed += _reindex_missing(partition, index)
            reclaimed += index.compact()
        before = sys.getsizeof(partition.docs)
        partition.docs = dict(partition.docs)
        reclaimed += max(0, before - sys.getsizeof(partition.docs))
    return OptimizeReport(
        documents=documents,
        orphans_removed=orphans,
        entries_reindexed=reindexed,
        partitions_dropped=dropped,
        bytes_reclaimed=reclaimed,
        seconds=time.perf_counter() - started,
    )


def _remove_orphans(
    partition: Partition, index: HashPostings | SortedPostings | TextPostings
) -> int:
    docs, field = partition.docs, index.field
    if isinstance(index, TextPostings):

        def has_word(doc_id: Any, word: str) -> bool:
            doc = docs.get(doc_id)
            value = None if doc is None else doc.get(field)
            return isinstance(value, str) and word in tokenize(value)

        return index.remove_orphans(has_word)

    def carries(doc_id: Any, value: Any) -> bool:
        doc = docs.get(doc_id)
        return doc is not None and doc.get(field) == value

    return index.remove_orphans(carries)


def _reindex_missing(
    partition: Partition, index: HashPostings | SortedPostings | TextPostings
) -> int:
    field, missing = index.field, 0
    for doc_id, doc in partition.docs.items():
        value = doc.get(field)
        if isinstance(index, HashPostings):
            present = doc_id in index.postings.get(value, ())
        elif isinstance(index, SortedPostings):
            present = doc_id in index.nulls if value is None else (value, doc_id) in index.items
        else:
            words = tokenize(value) if isinstance(value, str) else []
            present = all(doc_id in index.postings.get(w, ()) for w in words)
        if not present:
            index.add(doc_id, value)
            missing += 1
    return missing
