"""The store's secondary indexes, built lazily by readers, and the find planner.

Appends only log events; the first reader that needs an index (``find``, ``count``, filtered
``read_all``) indexes what became visible since the last one, in one pass. That
costs what indexing each append would have cost, without the per-call overhead, and only when
someone reads.
"""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import chain

from eventram.envelope import RecordedEvent
from eventram.errors import ValidationError
from eventram.store._posting import PostingIndex

__all__ = ["SecondaryIndexes"]


class SecondaryIndexes:
    """Posting indexes by event type, stream type, message id and metadata."""

    def __init__(self, metadata_fields: Sequence[str]) -> None:
        self.metadata_fields = tuple(metadata_fields)
        self.by_type: PostingIndex[str] = PostingIndex()
        self.by_stream_type: PostingIndex[str] = PostingIndex()
        # correlation and causation ids share one index (the bus makes them equal for a
        # command that starts a conversation: one entry instead of two); ``matches`` checks
        # which of the two an event carries
        self.by_message_id: PostingIndex[str] = PostingIndex()
        self.by_metadata: dict[str, PostingIndex[str]] = {
            f: PostingIndex() for f in self.metadata_fields
        }
        self.indexed = 0  # every index holds each position up to this one
        self._lock = threading.Lock()

    def catch_up(self, log: Sequence[RecordedEvent], stop: int) -> None:
        """Index ``log`` up to position ``stop`` (every position below it must be visible).

        Positions are indexed in order and ``indexed`` moves only once every index holds them,
        so a reader bounded by ``indexed`` never sees a half-indexed event.
        """
        if self.indexed >= stop:
            return
        with self._lock:
            start = self.indexed
            if start >= stop:
                return
            events = log[start:stop]
            positions = [e.position for e in events]
            types = [e.event_type for e in events]
            self.by_type.add_run(types, positions)
            self.by_stream_type.add_run([e.stream_type for e in events], positions)
            by_message_id = self.by_message_id
            for event in events:  # one pass, so each id's positions stay ascending
                correlation, causation = event.correlation_id, event.causation_id
                if correlation is not None:
                    by_message_id.add(correlation, event.position)
                if causation is not None and causation != correlation:
                    by_message_id.add(causation, event.position)
            self._index_metadata(_by_metadata(events))
            self.indexed = stop

    def _index_metadata(self, groups: dict[int, tuple[Mapping[str, str], list[int]]]) -> None:
        """Add each metadata group's positions to the index of every metadata field."""
        for field, index in self.by_metadata.items():
            runs: dict[str, list[list[int]]] = {}
            for meta, run in groups.values():
                value = meta.get(field)
                if value is not None:
                    found = runs.get(value)
                    if found is None:
                        runs[value] = [run]
                    else:
                        found.append(run)
            for value, parts in runs.items():
                # one group (one metadata dict) per value is the usual case; several groups
                # with the same value (an organization's users) are merged back in order
                index.extend(value, list(parts[0]) if len(parts) == 1 else sorted(chain(*parts)))

    def matches(
        self,
        log: Sequence[RecordedEvent],
        lo: int,
        hi: int,
        limit: int | None,
        *,
        event_types: Sequence[str] | None,
        stream_types: Sequence[str] | None,
        correlation_id: str | None,
        causation_id: str | None,
        metadata: Mapping[str, str] | None,
    ) -> Iterator[RecordedEvent]:
        """Events at positions in (lo, hi] matching every criterion, ascending, up to ``limit``.

        The most selective index (fewest positions in the window) gives the candidates; the
        other criteria are checked on each candidate.
        """
        candidates: list[Sequence[int] | _Union] = []
        checks: list[Callable[[RecordedEvent], bool]] = []
        if event_types:
            types = frozenset(event_types)
            candidates.append(_Union([self.by_type.get(t) for t in types]))
            checks.append(lambda e: e.event_type in types)
        if stream_types:
            stypes = frozenset(stream_types)
            candidates.append(_Union([self.by_stream_type.get(t) for t in stypes]))
            checks.append(lambda e: e.stream_type in stypes)
        if correlation_id is not None:
            candidates.append(self.by_message_id.get(correlation_id))
            checks.append(lambda e: e.correlation_id == correlation_id)
        if causation_id is not None:
            candidates.append(self.by_message_id.get(causation_id))
            checks.append(lambda e: e.causation_id == causation_id)
        for field, value in (metadata or {}).items():
            index = self.by_metadata.get(field)
            if index is None:
                raise ValidationError(
                    f"Metadata field {field!r} is not indexed; indexed fields: "
                    f"{', '.join(self.metadata_fields) or 'none'} (set metadata_fields).",
                    field="metadata",
                )
            candidates.append(index.get(value))
            checks.append(_metadata_check(field, value))
        found = 0
        if not candidates:
            for event in log[lo:hi]:
                yield event
                found += 1
                if found == limit:
                    return
            return
        best = min(candidates, key=lambda c: _window_size(c, lo, hi))
        for position in _positions_in(best, lo, hi):
            event = log[position - 1]
            if all(check(event) for check in checks):
                yield event
                found += 1
                if found == limit:
                    return


class _Union:
    """Several ascending position lists read as one, merged lazily from a cursor on."""

    __slots__ = ("lists",)

    def __init__(self, lists: list[Sequence[int]]) -> None:
        self.lists = [p for p in lists if p]


def _window_size(candidate: Sequence[int] | _Union, lo: int, hi: int) -> int:
    lists = candidate.lists if isinstance(candidate, _Union) else [candidate]
    return sum(bisect_right(p, hi) - bisect_right(p, lo) for p in lists)


def _positions_in(candidate: Sequence[int] | _Union, lo: int, hi: int) -> Iterator[int]:
    """Positions of a candidate in (lo, hi], ascending, without touching those before lo."""
    lists = candidate.lists if isinstance(candidate, _Union) else [candidate]
    runs = [_run(p, bisect_right(p, lo), bisect_right(p, hi)) for p in lists]
    if len(runs) == 1:
        return runs[0]
    return heapq.merge(*runs)


def _run(positions: Sequence[int], start: int, stop: int) -> Iterator[int]:
    for i in range(start, stop):
        yield positions[i]


def _by_metadata(events: Sequence[RecordedEvent]) -> dict[int, tuple[Mapping[str, str], list[int]]]:
    """The events' positions grouped by metadata dict (one key per dict object).

    The store shares one metadata dict among the events with the same indexed values, so a
    group is what the metadata indexes need once, instead of once per event.
    """
    groups: dict[int, tuple[Mapping[str, str], list[int]]] = {}
    get = groups.get
    for event in events:
        meta = event.metadata
        group = get(id(meta))
        if group is None:
            groups[id(meta)] = (meta, [event.position])
        else:
            group[1].append(event.position)
    return groups


def _metadata_check(field: str, value: str) -> Callable[[RecordedEvent], bool]:
    return lambda event: event.metadata.get(field) == value
