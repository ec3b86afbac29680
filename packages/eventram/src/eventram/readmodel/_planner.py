"""Plans and runs a filter on one partition: the most selective index first, then intersections.

Each test a filter makes (a value set, an interval, a word prefix, a substring) becomes a part.
A part with a usable index has an estimated size (posting lengths, bisection of a range); the
smallest drives, cheaper parts are intersected, and the rest are checked per candidate. Only a
filter with no usable index at all walks every document, and that is logged at debug level.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from typing import Any

from eventram.readmodel._compile import Compiled, FieldTest
from eventram.readmodel._hash import HashPostings
from eventram.readmodel._interval import Interval
from eventram.readmodel._ordering import Ordering, Row
from eventram.readmodel._partition import Partition
from eventram.readmodel._sorted import NO_START
from eventram.readmodel._text import matches_contains, matches_prefix, tokenize

__all__ = ["ordered", "select"]

log = logging.getLogger("eventram.readmodel")


class _Part:
    """One test on one field, with the index path that can answer it, if any."""

    __slots__ = ("check", "estimate", "exact", "fetch", "field", "hash_values", "hashes")

    def __init__(self, field: str, check: Callable[[Any], bool]) -> None:
        self.field = field
        self.check = check
        self.estimate = -1  # -1: no index answers this part
        self.exact = True
        self.fetch: Callable[[], Collection[Any]] | None = None
        self.hashes: HashPostings | None = None
        self.hash_values: frozenset[Any] = frozenset()

    def intersect(self, candidates: set[Any]) -> set[Any]:
        """``candidates`` that this part's index admits."""
        if self.hashes is not None:
            postings = self.hashes.postings
            found: set[Any] = set()
            for value in self.hash_values:
                ids = postings.get(value)
                if ids:
                    found |= candidates & ids
            return found
        assert self.fetch is not None
        return candidates.intersection(self.fetch())


def _parts(partition: Partition, tests: dict[str, FieldTest], name: str) -> list[_Part]:
    parts: list[_Part] = []
    for field, test in tests.items():
        if test.values is not None:
            values = test.values
            part = _Part(field, values.__contains__)
            hashes, sorteds = partition.hashes.get(field), partition.sorteds.get(field)
            if hashes is not None:
                part.hashes, part.hash_values = hashes, values
                part.estimate = hashes.count_in(values)
                if len(values) == 1:
                    (only,) = values
                    part.fetch = lambda h=hashes, v=only: h.ids_equal(v)
                else:
                    part.fetch = lambda h=hashes, vs=values: h.ids_in(vs)
            elif sorteds is not None:
                part.estimate = sorteds.count_values(values)
                part.fetch = lambda s=sorteds, vs=values: s.ids_values(vs)
            parts.append(part)
        if test.interval is not None:
            interval = test.interval
            part = _Part(field, interval.predicate())
            sorteds = partition.sorteds.get(field)
            if sorteds is not None:
                part.estimate = sorteds.count_range(interval)
                part.fetch = lambda s=sorteds, i=interval: set(s.ids_range(i))
            else:
                log.debug(
                    "collection %s: range on %r has no sorted index; checked per document",
                    name,
                    field,
                )
            parts.append(part)
        texts = partition.texts.get(field)
        for tokens in test.prefixes:
            part = _Part(field, lambda v, t=tokens: matches_prefix(v, t))  # type: ignore[misc]
            if texts is not None:
                part.estimate = texts.count_prefix(tokens)
                part.fetch = lambda x=texts, t=tokens: x.ids_prefix(t)
            parts.append(part)
        for needle in test.contains:
            part = _Part(field, lambda v, n=needle: matches_contains(v, n))  # type: ignore[misc]
            words = tuple(tokenize(needle))
            if texts is not None and words:
                found = texts.ids_containing(words)
                part.estimate, part.exact = len(found), False
                part.fetch = lambda f=found: f
            parts.append(part)
    return parts


def select(partition: Partition, compiled: Compiled, name: str) -> Collection[Any]:
    """The ids of the partition's documents that pass every test of ``compiled``."""
    if compiled.is_empty():
        return ()
    docs = partition.docs
    parts = _parts(partition, compiled.tests, name)
    if not parts:
        return docs.keys()
    indexed = sorted((p for p in parts if p.estimate >= 0), key=lambda p: p.estimate)
    residual: list[_Part]
    if not indexed:
        log.debug(
            "collection %s: no index for %s; scanning %d documents",
            name,
            ", ".join(sorted(compiled.tests)),
            len(docs),
        )
        candidates: Collection[Any] = docs.keys()
        residual = parts
    else:
        driver, rest = indexed[0], indexed[1:]
        assert driver.fetch is not None
        candidates = driver.fetch()
        covered = {id(driver)} if driver.exact else set()
        for part in rest:
            if not candidates:
                break
            # posting-set intersections cost the smaller side; other paths pay off when smaller
            if part.hashes is not None or part.estimate <= len(candidates):
                candidates = part.intersect(_as_set(candidates))
                if part.exact:
                    covered.add(id(part))
        residual = [p for p in parts if id(p) not in covered]
    if not residual:
        return candidates
    if len(residual) == 1:
        field, check = residual[0].field, residual[0].check
        return {doc_id for doc_id in candidates if check(docs[doc_id].get(field))}
    checks = [(p.field, p.check) for p in residual]
    return {
        doc_id
        for doc_id in candidates
        if all(check(docs[doc_id].get(field)) for field, check in checks)
    }


def _as_set(ids: Collection[Any]) -> set[Any]:
    return ids if isinstance(ids, set) else set(ids)


def ordered(
    partition: Partition,
    compiled: Compiled,
    ordering: Ordering,
    name: str,
    *,
    limit: int,
    cursor: tuple[list[Any], Any] | None,
) -> tuple[Iterator[Row], int]:
    """Rows passing ``compiled``, in ``ordering``, after ``cursor``; and the count of all passing.

    When the first sort key has a sorted index, a large result is read by walking that index in
    order and stopping after ``limit`` rows, so the first page never sorts the whole result.
    """
    docs = partition.docs
    after = None if cursor is None else ordering.key_of(cursor[0], cursor[1])
    start = NO_START if cursor is None else cursor[0][0]
    index = partition.sorteds.get(ordering.fields[0])
    if index is not None and not compiled.is_empty():
        tests = compiled.tests
        only = tests.get(index.field)
        if not tests or (len(tests) == 1 and only is not None and _only_interval(only)):
            interval = None if only is None else only.interval
            total = index.entries() if interval is None else index.count_range(interval)
            walk = _walk(partition, index.field, interval, ordering, start, None, after)
            return walk, total
    ids = select(partition, compiled, name)
    total = len(ids)
    if total == 0:
        return iter(()), 0
    if index is not None and limit * len(docs) < total * total:
        return _walk(partition, index.field, None, ordering, start, ids, after), total
    rows: list[Row] | Iterator[Row] = ((i, docs[i]) for i in ids)
    if after is not None:
        rows = [r for r in rows if ordering.after(ordering.key(r), after)]
    return iter(ordering.top(rows, limit)), total


def _only_interval(test: FieldTest) -> bool:
    return test.values is None and not test.prefixes and not test.contains


def _walk(
    partition: Partition,
    field: str,
    interval: Interval | None,
    ordering: Ordering,
    start: Any,
    member: Collection[Any] | None,
    after: Any,
) -> Iterator[Row]:
    """Rows in order by walking the sorted index of the first sort key, group by group."""
    docs = partition.docs
    index = partition.sorteds[field]
    descending = ordering.descending[0]
    single = len(ordering.fields) == 1
    group: list[Row] = []
    group_value: Any = NO_START
    for value, doc_id in index.walk(interval, descending, start):
        if member is not None and doc_id not in member:
            continue
        row = (doc_id, docs[doc_id])
        if single:
            if after is not None:
                if not ordering.after(ordering.key(row), after):
                    continue
                after = None  # the walk is in order: every later row is after the cursor too
            yield row
            continue
        if group and value != group_value:
            yield from _flush(group, ordering, after)
            group = []
        group_value = value
        group.append(row)
    if group:
        yield from _flush(group, ordering, after)


def _flush(group: list[Row], ordering: Ordering, after: Any) -> Iterator[Row]:
    for row in ordering.sort(group):
        if after is None or ordering.after(ordering.key(row), after):
            yield row
