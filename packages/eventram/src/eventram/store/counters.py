"""Incremental event counters: per event type, per hour, per (organization, user).

Statistics and trends over a time range cost the number of hour buckets in the range, plus the
events of the two partial hours at its edges, never a scan of the whole log.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta

import msgspec
from sortedcontainers import SortedDict

from eventram.envelope import RecordedEvent
from eventram.errors import ValidationError
from eventram.timebuckets import Interval, bucket_key

__all__ = ["EventCounters", "EventStatistics", "Interval", "bucket_key"]

HOUR = 3600
HOUR_US = HOUR * 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNKNOWN = "unknown"


class EventStatistics(msgspec.Struct, frozen=True):
    """Counts of one event type over a time range (the seeds' ``getEventStatistics``)."""

    total: int
    by_hour: dict[str, int]
    by_day: dict[str, int]
    by_organization: dict[str, int]
    by_user: dict[str, int]


def _epoch_us(when: datetime) -> int:
    if when.tzinfo is None:
        raise ValidationError(f"Time {when.isoformat()} has no time zone; use UTC.", field="time")
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


Scan = Callable[[str, datetime, datetime], Iterable[RecordedEvent]]


class EventCounters:
    """Counts events by type x hour x (organization, user), updated as events commit.

    A batch is counted under a lock that readers take to copy the cells they use, so a
    reader never sees part of a batch nor a cell being changed while it iterates it.
    """

    def __init__(self, organization_field: str = "organization_id", user_field: str = "user_id"):
        self._org = organization_field
        self._user = user_field
        self._by_type: dict[str, SortedDict] = {}
        self._lock = threading.Lock()

    def add(self, events: Sequence[RecordedEvent]) -> None:
        """Count newly committed events (a batch, or a long run of them at once)."""
        org_field, user_field = self._org, self._user
        metas = [event.metadata for event in events]
        ids = list(map(id, metas))
        meta_of = dict(zip(ids, metas, strict=True))
        # count (type, hour, metadata dict) in C, then touch each distinct cell once: events
        # with the same indexed metadata share one dict (the store and recovery see to it)
        counts = Counter(
            zip(
                [event.event_type for event in events],
                [event.recorded_at_us // HOUR_US for event in events],
                ids,
                strict=True,
            )
        )
        with self._lock:
            for (event_type, hour, key), count in counts.items():
                meta = meta_of[key]
                cell = self._cell(event_type, hour)
                cell[(meta.get(org_field, UNKNOWN), meta.get(user_field, UNKNOWN))] += count

    def _cell(self, event_type: str, hour: int) -> Counter[tuple[str, str]]:
        """The (organization, user) counts of ``event_type`` in ``hour``, created if new."""
        hours = self._by_type.get(event_type)
        if hours is None:
            hours = self._by_type[event_type] = SortedDict()
        cell: Counter[tuple[str, str]] | None = hours.get(hour)
        if cell is None:
            cell = hours[hour] = Counter()
        return cell

    def add_hour(
        self, event_type: str, hour: int, counts: Iterable[tuple[Mapping[str, str], int]]
    ) -> None:
        """Count events of one type in one hour (since the epoch): ``count`` per metadata.

        What :meth:`add` does, for callers that already grouped their events by metadata.
        """
        org_field, user_field = self._org, self._user
        with self._lock:
            cell = self._cell(event_type, hour)
            for meta, count in counts:
                cell[(meta.get(org_field, UNKNOWN), meta.get(user_field, UNKNOWN))] += count

    def event_types(self) -> list[str]:
        """Every event type counted so far."""
        with self._lock:
            return sorted(self._by_type)

    def statistics(
        self, event_type: str, since: datetime, until: datetime, scan: Scan
    ) -> EventStatistics:
        """Totals by hour, day, organization and user for ``since <= recorded_at <= until``.

        ``scan`` returns the events of a short sub-range; it is used only for the partial hours
        at both edges of the range.
        """
        by_hour: Counter[str] = Counter()
        by_day: Counter[str] = Counter()
        by_org: Counter[str] = Counter()
        by_user: Counter[str] = Counter()
        for hour, cell in self._cells(event_type, since, until, scan):
            when = datetime.fromtimestamp(hour * HOUR, UTC)
            hour_label, day_label = bucket_key(when, "hour"), bucket_key(when, "day")
            for (org, user), n in cell.items():
                by_hour[hour_label] += n
                by_day[day_label] += n
                by_org[org] += n
                by_user[user] += n
        return EventStatistics(
            total=sum(by_hour.values()),
            by_hour=dict(sorted(by_hour.items())),
            by_day=dict(sorted(by_day.items())),
            by_organization=dict(sorted(by_org.items())),
            by_user=dict(sorted(by_user.items())),
        )

    def trends(
        self, event_type: str, since: datetime, until: datetime, interval: str, scan: Scan
    ) -> dict[str, int]:
        """Counts per interval bucket (hour, day, week, month), in time order."""
        bucket_key(since, interval)  # validates the interval before any work
        trend: Counter[str] = Counter()
        for hour, cell in self._cells(event_type, since, until, scan):
            label = bucket_key(datetime.fromtimestamp(hour * HOUR, UTC), interval)
            trend[label] += sum(cell.values())
        return dict(sorted(trend.items()))

    def _cells(
        self, event_type: str, since: datetime, until: datetime, scan: Scan
    ) -> Iterable[tuple[int, Counter[tuple[str, str]]]]:
        lo, hi = _epoch_us(since), _epoch_us(until)
        if hi < lo:
            raise ValidationError(
                f"The range ends ({until.isoformat()}) before it starts ({since.isoformat()}).",
                field="to",
            )
        hours = self._by_type.get(event_type)
        if hours is None:
            return
        first_full = -(-lo // HOUR_US)
        # an hour bucket [h, h+1) is fully inside [lo, hi] when its last microsecond is <= hi
        last_full = (hi + 1) // HOUR_US - 1
        if first_full > last_full:
            yield from self._scan_cells(event_type, since, until, scan)
            return
        edge_lo = datetime.fromtimestamp(first_full * HOUR, UTC)
        edge_hi = datetime.fromtimestamp((last_full + 1) * HOUR, UTC)
        if since < edge_lo:
            yield from self._scan_cells(
                event_type, since, edge_lo - timedelta(microseconds=1), scan
            )
        with self._lock:
            full = [(h, Counter(hours[h])) for h in hours.irange(first_full, last_full)]
        yield from full
        if edge_hi <= until:
            yield from self._scan_cells(event_type, edge_hi, until, scan)

    def _scan_cells(
        self, event_type: str, since: datetime, until: datetime, scan: Scan
    ) -> Iterable[tuple[int, Counter[tuple[str, str]]]]:
        cells: dict[int, Counter[tuple[str, str]]] = {}
        for event in scan(event_type, since, until):
            hour = event.recorded_at_us // HOUR_US
            meta = event.metadata
            key = (meta.get(self._org, UNKNOWN), meta.get(self._user, UNKNOWN))
            cells.setdefault(hour, Counter())[key] += 1
        yield from sorted(cells.items())
