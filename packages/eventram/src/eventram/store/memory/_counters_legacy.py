"""Statistics and trends counted off the store's log: a legacy component, off the ports.

Billing still reads ``statistics``/``trends`` from the concrete store until the counter-table
read model (``eventram.readmodel``, fed by a projection) replaces them; then this module, the
two store methods that call it and ``store/counters.py`` are deleted together. The counted
dimensions are the store's first two indexed metadata fields, whatever the application names
them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from eventram.envelope import RecordedEvent
from eventram.store.counters import EventCounters, EventStatistics
from eventram.store.ports import EventQuery

Find = Callable[[EventQuery], list[RecordedEvent]]

__all__ = ["LegacyCounters"]


class LegacyCounters:
    """Event counts by type, hour and two metadata fields, following the visible log."""

    def __init__(self, metadata_fields: Sequence[str]) -> None:
        first, second = (*metadata_fields, "", "")[:2]
        self._counters = EventCounters(first, second)
        self._counted = 0  # every position up to this one is counted
        self._lock = threading.Lock()

    def catch_up(self, log: Sequence[RecordedEvent], stop: int) -> None:
        """Count ``log`` up to position ``stop`` (every position below it must be visible)."""
        with self._lock:
            if self._counted < stop:
                self._counters.add(log[self._counted : stop])
                self._counted = stop

    def statistics(
        self, event_type: str, since: datetime, until: datetime, find: Find
    ) -> EventStatistics:
        """Counts of ``event_type`` by hour, day and the two fields (``find`` reads the edges)."""
        return self._counters.statistics(event_type, since, until, partial(_scan, find))

    def trends(
        self, event_type: str, since: datetime, until: datetime, interval: str, find: Find
    ) -> dict[str, int]:
        """Counts of ``event_type`` per hour, day, week or month in a time range."""
        return self._counters.trends(event_type, since, until, interval, partial(_scan, find))


def _scan(find: Find, event_type: str, since: datetime, until: datetime) -> list[RecordedEvent]:
    return find(EventQuery(event_types=[event_type], since=since, until=until, limit=None))
