"""Hash postings: distinct value -> set of document ids."""

from __future__ import annotations

import sys
from collections.abc import Callable, Collection, Iterable
from typing import Any

__all__ = ["HashPostings"]

_NONE: frozenset[Any] = frozenset()


class HashPostings:
    """Answers equality and IN for one field; empty posting sets are dropped eagerly."""

    __slots__ = ("field", "postings")

    def __init__(self, field: str) -> None:
        self.field = field
        self.postings: dict[Any, set[Any]] = {}

    def add(self, doc_id: Any, value: Any) -> None:
        """Index ``doc_id`` under ``value``."""
        ids = self.postings.get(value)
        if ids is None:
            self.postings[value] = {doc_id}
        else:
            ids.add(doc_id)

    def remove(self, doc_id: Any, value: Any) -> None:
        """Forget ``doc_id`` under ``value``."""
        ids = self.postings.get(value)
        if ids is not None:
            ids.discard(doc_id)
            if not ids:
                del self.postings[value]

    def ids_equal(self, value: Any) -> Collection[Any]:
        """Ids whose value equals ``value``."""
        return self.postings.get(value, _NONE)

    def count_in(self, values: Iterable[Any]) -> int:
        """How many ids carry one of ``values``."""
        postings = self.postings
        return sum(len(postings.get(v, _NONE)) for v in values)

    def ids_in(self, values: Iterable[Any]) -> set[Any]:
        """Ids whose value is one of ``values``."""
        postings = self.postings
        return set().union(*(postings.get(v, _NONE) for v in values))

    def entries(self) -> int:
        """How many (value, id) pairs the index holds."""
        return sum(len(ids) for ids in self.postings.values())

    def remove_orphans(self, is_live: Callable[[Any, Any], bool]) -> int:
        """Drop entries whose document is gone or no longer carries the value; count them."""
        removed = 0
        for value in list(self.postings):
            ids = self.postings[value]
            dead = [doc_id for doc_id in ids if not is_live(doc_id, value)]
            ids.difference_update(dead)
            removed += len(dead)
            if not ids:
                del self.postings[value]
        return removed

    def compact(self) -> int:
        """Rebuild every posting set at its current size; the bytes of tables given back."""
        before = sys.getsizeof(self.postings)
        before += sum(sys.getsizeof(ids) for ids in self.postings.values())
        self.postings = {value: set(ids) for value, ids in self.postings.items()}
        after = sys.getsizeof(self.postings)
        after += sum(sys.getsizeof(ids) for ids in self.postings.values())
        return max(0, before - after)
