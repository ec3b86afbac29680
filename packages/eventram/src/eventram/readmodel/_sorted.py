"""Sorted postings: (value, id) pairs in order, for ranges and index-ordered walks."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from operator import itemgetter
from typing import Any

from sortedcontainers import SortedList

from eventram.readmodel._interval import Interval

__all__ = ["NO_START", "SortedPostings"]


class _Top:
    """Compares greater than any id, so ``(v, _TOP)`` sorts after every ``(v, id)``."""

    __slots__ = ()

    def __lt__(self, other: object) -> bool:
        return False

    def __gt__(self, other: object) -> bool:
        return True


_TOP = _Top()
NO_START: Any = object()
_ID = itemgetter(1)


class SortedPostings:
    """Answers ranges and sort order for one field; None values sort after every value."""

    __slots__ = ("field", "items", "nulls")

    def __init__(self, field: str) -> None:
        self.field = field
        self.items: SortedList = SortedList()
        self.nulls: set[Any] = set()

    def add(self, doc_id: Any, value: Any) -> None:
        """Index ``doc_id`` under ``value``."""
        if value is None:
            self.nulls.add(doc_id)
        else:
            self.items.add((value, doc_id))

    def remove(self, doc_id: Any, value: Any) -> None:
        """Forget ``doc_id`` under ``value``."""
        if value is None:
            self.nulls.discard(doc_id)
        else:
            self.items.discard((value, doc_id))

    def bounds(self, interval: Interval) -> tuple[int, int]:
        """The slice ``[i, j)`` of ``items`` whose values lie in ``interval``."""
        items = self.items
        if interval.lo is None:
            i = 0
        elif interval.lo_inclusive:
            i = items.bisect_left((interval.lo,))
        else:
            i = items.bisect_right((interval.lo, _TOP))
        if interval.hi is None:
            j = len(items)
        elif interval.hi_inclusive:
            j = items.bisect_right((interval.hi, _TOP))
        else:
            j = items.bisect_left((interval.hi,))
        return i, max(i, j)

    def count_range(self, interval: Interval) -> int:
        """How many ids have a value in ``interval``."""
        i, j = self.bounds(interval)
        return j - i

    def ids_range(self, interval: Interval) -> Iterator[Any]:
        """Ids with a value in ``interval``, in value order."""
        i, j = self.bounds(interval)
        return map(_ID, self.items.islice(i, j))

    def count_values(self, values: Iterable[Any]) -> int:
        """How many ids carry one of ``values`` (None included)."""
        total = 0
        for value in values:
            if value is None:
                total += len(self.nulls)
            else:
                total += self.count_range(Interval(value, True, value, True))
        return total

    def ids_values(self, values: Iterable[Any]) -> set[Any]:
        """Ids carrying one of ``values`` (None included)."""
        found: set[Any] = set()
        for value in values:
            if value is None:
                found.update(self.nulls)
            else:
                found.update(self.ids_range(Interval(value, True, value, True)))
        return found

    def walk(
        self, interval: Interval | None, descending: bool, start: Any = NO_START
    ) -> Iterator[tuple[Any, Any]]:
        """``(value, id)`` in sort order, from the group of value ``start`` when given.

        Without an interval the nulls come too: last ascending, first descending.
        """
        items = self.items
        i, j = (0, len(items)) if interval is None else self.bounds(interval)
        with_nulls = interval is None
        if start is not NO_START:
            if start is None:
                if not descending:
                    i = j
            elif descending:
                j = min(j, items.bisect_right((start, _TOP)))
                with_nulls = False
            else:
                i = max(i, items.bisect_left((start,)))
        if descending:
            if with_nulls and self.nulls:
                for doc_id in sorted(self.nulls, reverse=True):
                    yield None, doc_id
            yield from items.islice(i, max(i, j), reverse=True)
        else:
            yield from items.islice(i, max(i, j))
            if with_nulls and self.nulls:
                for doc_id in sorted(self.nulls):
                    yield None, doc_id

    def entries(self) -> int:
        """How many ids the index holds."""
        return len(self.items) + len(self.nulls)

    def remove_orphans(self, is_live: Callable[[Any, Any], bool]) -> int:
        """Drop entries whose document is gone or no longer carries the value; count them."""
        dead = [(v, i) for v, i in self.items if not is_live(i, v)]
        for entry in dead:
            self.items.remove(entry)
        dead_nulls = [i for i in self.nulls if not is_live(i, None)]
        self.nulls.difference_update(dead_nulls)
        return len(dead) + len(dead_nulls)

    def compact(self) -> int:
        """Rebalance the sorted list's sublists and shrink the null set; bytes given back."""
        before = sys.getsizeof(self.nulls) + sum(sys.getsizeof(s) for s in self.items._lists)
        self.items = SortedList(self.items)
        self.nulls = set(self.nulls)
        after = sys.getsizeof(self.nulls) + sum(sys.getsizeof(s) for s in self.items._lists)
        return max(0, before - after)
