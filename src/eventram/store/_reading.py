"""The reading side of the in-memory event store: streams, the log and ``find``.

Every read is bounded by the visible watermark (``_visible``), so a reader never sees half a
batch; the secondary indexes are brought up to it on demand (``_catch_up``).
The store's writing side (``memory.InMemoryEventStore``) owns the state read here.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from operator import attrgetter

from eventram.envelope import RecordedEvent, to_epoch_us
from eventram.errors import ValidationError
from eventram.store._indexes import SecondaryIndexes
from eventram.store._short_path import Stream, stream_events
from eventram.store.base import EventFilter

__all__ = ["StoreReading"]


class StoreReading:
    """Reads of a store's visible events; mixed into ``InMemoryEventStore``, which holds them."""

    _visible: int
    _log: list[RecordedEvent]
    _streams: dict[str, Stream]
    _by_id: dict[int, RecordedEvent]
    _indexes: SecondaryIndexes

    def _catch_up(self, position: int) -> None:
        """Bring the secondary indexes up to ``position`` (see SecondaryIndexes)."""
        self._indexes.catch_up(self._log, min(position, self._visible))

    def last_position(self) -> int:
        """The highest visible global position (0 when empty)."""
        return self._visible

    def stream_version(self, stream_id: str) -> int:
        """The current visible version of a stream (0 when it does not exist)."""
        stream = self._streams.get(stream_id)
        if stream is None:
            return 0
        events = stream_events(stream)
        visible = self._visible
        last = events[-1]
        if last.position <= visible:
            return last.version
        return len(self._visible_prefix(events, visible))

    def stream_ids(self) -> list[str]:
        """Every stream id with at least one visible event."""
        visible = self._visible
        return [
            s
            for s, stream in list(self._streams.items())
            if stream_events(stream)[0].position <= visible
        ]

    @staticmethod
    def _visible_prefix(stream: list[RecordedEvent], visible: int) -> list[RecordedEvent]:
        end = len(stream)
        while end and stream[end - 1].position > visible:
            end -= 1
        return stream[:end]

    def read_stream(
        self,
        stream_id: str,
        from_version: int = 1,
        limit: int | None = None,
        *,
        backwards: bool = False,
    ) -> list[RecordedEvent]:
        """Events of one stream from ``from_version`` up (or down from it when ``backwards``).

        A missing stream reads as empty. ``backwards`` with ``from_version`` <= 0 starts at the
        end of the stream.
        """
        _check_limit(limit)
        stream = self._streams.get(stream_id)
        if stream is None:
            return []
        events = stream_events(stream)
        if events[-1].position > self._visible:
            events = self._visible_prefix(events, self._visible)
        if backwards:
            top = len(events) if from_version <= 0 else min(from_version, len(events))
            chosen = events[top - 1 :: -1] if top > 0 else []
            return chosen if limit is None else chosen[:limit]
        start = max(from_version, 1) - 1
        stop = len(events) if limit is None else min(len(events), start + limit)
        return events[start:stop]

    def read_all(
        self, after_position: int = 0, limit: int | None = None, filter: EventFilter | None = None
    ) -> list[RecordedEvent]:
        """Visible events after ``after_position``, in global order, optionally filtered."""
        _check_limit(limit)
        if filter is not None and (filter.event_types or filter.stream_types):
            return self.find(
                event_types=sorted(filter.event_types) if filter.event_types else None,
                stream_types=sorted(filter.stream_types) if filter.stream_types else None,
                after_position=after_position,
                limit=limit,
            )
        visible = self._visible
        start = max(after_position, 0)
        stop = visible if limit is None else min(visible, start + limit)
        return self._log[start:stop]

    def get_event(self, event_id: uuid.UUID) -> RecordedEvent | None:
        """The visible event with this id, if any."""
        event = self._by_id.get(event_id.int) if isinstance(event_id, uuid.UUID) else None
        return event if event is not None and event.position <= self._visible else None

    def find(
        self,
        *,
        event_types: Sequence[str] | None = None,
        stream_types: Sequence[str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_position: int = 0,
        limit: int | None = 100,
    ) -> list[RecordedEvent]:
        """Events matching every given criterion, in global order, after ``after_position``.

        Served by indexes: the most selective index gives candidates, the others are checked
        on each candidate; a time range (``since <= recorded_at <= until``) is a bisection on
        the time-ordered log. Pass the last position you saw as ``after_position`` to page.
        """
        _check_limit(limit)
        return list(
            self._matches(
                event_types,
                stream_types,
                correlation_id,
                causation_id,
                metadata,
                since,
                until,
                after_position,
                limit,
            )
        )

    def count(
        self,
        *,
        event_types: Sequence[str] | None = None,
        stream_types: Sequence[str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        metadata: Mapping[str, str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> int:
        """How many events :meth:`find` would return without a limit."""
        return sum(
            1
            for _ in self._matches(
                event_types,
                stream_types,
                correlation_id,
                causation_id,
                metadata,
                since,
                until,
                0,
                None,
            )
        )

    def _matches(
        self,
        event_types: Sequence[str] | None,
        stream_types: Sequence[str] | None,
        correlation_id: str | None,
        causation_id: str | None,
        metadata: Mapping[str, str] | None,
        since: datetime | None,
        until: datetime | None,
        after_position: int,
        limit: int | None,
    ) -> Iterator[RecordedEvent]:
        visible = self._visible
        lo, hi = max(after_position, 0), visible  # candidate positions are in (lo, hi]
        self._catch_up(visible)
        if since is not None:
            since_us = to_epoch_us(_aware(since, "since"))
            lo = max(lo, bisect_left(self._log, since_us, 0, visible, key=_recorded_at_us))
        if until is not None:
            until_us = to_epoch_us(_aware(until, "until"))
            hi = min(hi, bisect_right(self._log, until_us, 0, visible, key=_recorded_at_us))
        if lo >= hi or limit == 0:
            return
        yield from self._indexes.matches(
            self._log,
            lo,
            hi,
            limit,
            event_types=event_types,
            stream_types=stream_types,
            correlation_id=correlation_id,
            causation_id=causation_id,
            metadata=metadata,
        )


_recorded_at_us = attrgetter("recorded_at_us")


def _aware(when: datetime, name: str) -> datetime:
    if not isinstance(when, datetime) or when.utcoffset() is None:
        raise ValidationError(f"{name}={when!r} must be a timezone-aware datetime.", field=name)
    return when


def _check_limit(limit: int | None) -> None:
    if limit is not None and (type(limit) is not int or limit < 0):
        raise ValidationError(f"limit={limit!r} must be None or an int >= 0.", field="limit")
