"""Event statistics and trends: a counter table fed by a projection, exact through the store.

Moved from the EventStore contract when statistics left the store port: the assertions are
the ones the store answered, now asked of a :class:`~eventram.readmodel.CounterTable` whose
dimensions this suite configures (event type, organization, user from the metadata) and whose
partial edge hours are read with the store's ``find``. A backend's test class provides the
``store`` fixture, built with the ``clock`` fixture, as for :class:`EventStoreContract`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import msgspec
import pytest

from eventram import EventQuery, InMemoryEventStore, RecordedEvent, ValidationError
from eventram.projection import ProjectionEngine, counters_projection
from eventram.readmodel import CounterTable, Fact, Totals
from tests.contract.event_store_contract import T0, ContractStore, ManualClock
from tests.contract.events import CartCheckedOut, CartOpened, ItemAdded, ItemRemoved

__all__ = ["EventCounts", "EventCountsContract"]

DIMENSIONS = ("event_type", "organization_id", "user_id")


class EventStatistics(msgspec.Struct, frozen=True):
    """Counts of one event type over a time range, as the store used to answer them."""

    total: int
    by_hour: dict[str, int]
    by_day: dict[str, int]
    by_organization: dict[str, int]
    by_user: dict[str, int]


def _fact(event: Any, envelope: RecordedEvent, previous: Fact | None) -> Fact:
    meta = envelope.metadata
    return Fact(
        envelope.recorded_at,
        {
            "event_type": envelope.event_type,
            "organization_id": meta.get("organization_id", "unknown"),
            "user_id": meta.get("user_id", "unknown"),
        },
    )


def _counts(found: Mapping[str, Totals]) -> dict[str, int]:
    return {name: totals.count for name, totals in found.items()}


class EventCounts:
    """Every event of the store counted by an inline counters projection."""

    def __init__(self, store: InMemoryEventStore) -> None:
        def edges(
            since: datetime, until: datetime, where: Mapping[str, frozenset[str]]
        ) -> Iterator[Fact]:
            types = sorted(where.get("event_type", ()))
            for envelope in store.find(
                EventQuery(event_types=types, since=since, until=until, limit=None)
            ):
                yield _fact(None, envelope, None)

        self.engine = ProjectionEngine(store)
        self.handle = self.engine.register(
            counters_projection(
                "event_counts",
                dict.fromkeys((ItemAdded, ItemRemoved, CartOpened, CartCheckedOut), _fact),
                dimensions=DIMENSIONS,
                partition_by="organization_id",
                entity=None,
                edges=edges,
            )
        )
        self.engine.start()

    def __enter__(self) -> EventCounts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.engine.close()

    @property
    def table(self) -> CounterTable:
        return self.handle.state

    def statistics(self, event_type: str, since: datetime, until: datetime) -> EventStatistics:
        found = self.table.breakdown(
            since,
            until,
            where={"event_type": event_type},
            by=("organization_id", "user_id"),
            per=("hour", "day"),
        )
        return EventStatistics(
            found.total.count,
            _counts(found.per["hour"]),
            _counts(found.per["day"]),
            _counts(found.by["organization_id"]),
            _counts(found.by["user_id"]),
        )

    def trends(
        self, event_type: str, since: datetime, until: datetime, interval: str = "day"
    ) -> dict[str, int]:
        trend = self.table.trend(since, until, interval, where={"event_type": event_type})
        return _counts(trend.buckets)


class EventCountsContract:
    """Statistics and trends of the events a backend stores (see the module docstring)."""

    @pytest.fixture
    def clock(self) -> ManualClock:
        return ManualClock()

    @pytest.fixture
    def counts(self, store: InMemoryEventStore) -> Iterator[EventCounts]:
        with EventCounts(store) as counts:
            yield counts

    def _at(self, store: ContractStore, clock: ManualClock, when: datetime, **meta: str) -> None:
        clock.set(when)
        store.append(f"cart-{when.isoformat()}", [ItemAdded(sku="t")], metadata=meta or None)

    def test_statistics_count_by_hour_day_organization_and_user(
        self, store: ContractStore, counts: EventCounts, clock: ManualClock
    ) -> None:
        base = T0 + timedelta(hours=10)
        self._at(store, clock, base - timedelta(minutes=1), organization_id="o-1", user_id="u-1")
        self._at(store, clock, base + timedelta(minutes=5), organization_id="o-1", user_id="u-1")
        self._at(store, clock, base + timedelta(minutes=50), organization_id="o-2", user_id="u-2")
        self._at(store, clock, base + timedelta(hours=1, minutes=30), organization_id="o-1")
        self._at(store, clock, base + timedelta(hours=14), user_id="u-2")  # next day
        self._at(store, clock, base + timedelta(hours=20), organization_id="o-9")  # out of range
        clock.advance(minutes=1)
        store.append("other", [CartOpened(customer="c")], metadata={"organization_id": "o-1"})

        stats = counts.statistics(
            "test.ItemAdded", base + timedelta(minutes=1), base + timedelta(hours=15)
        )

        assert stats.total == 4
        assert stats.by_hour == {
            "2024-03-01T10:00:00Z": 2,
            "2024-03-01T11:00:00Z": 1,
            "2024-03-02T00:00:00Z": 1,
        }
        assert stats.by_day == {"2024-03-01": 3, "2024-03-02": 1}
        assert stats.by_organization == {"o-1": 2, "o-2": 1, "unknown": 1}
        assert stats.by_user == {"u-1": 1, "u-2": 2, "unknown": 1}

    def test_statistics_respect_partial_hours_at_both_edges(
        self, store: ContractStore, counts: EventCounts, clock: ManualClock
    ) -> None:
        # events at :00, :15, :30, :45 of four consecutive hours
        for quarter in range(16):
            self._at(store, clock, T0 + timedelta(minutes=15 * quarter), organization_id="o")
        since = T0 + timedelta(minutes=20)  # inside hour 0: keeps :30 and :45
        until = T0 + timedelta(hours=3, minutes=15)  # inside hour 3: keeps :00 and :15 (inclusive)

        stats = counts.statistics("test.ItemAdded", since, until)

        assert stats.by_hour == {
            "2024-03-01T00:00:00Z": 2,
            "2024-03-01T01:00:00Z": 4,
            "2024-03-01T02:00:00Z": 4,
            "2024-03-01T03:00:00Z": 2,
        }
        assert (
            stats.total
            == 12
            == store.count(EventQuery(event_types=["test.ItemAdded"], since=since, until=until))
        )

    def test_statistics_inside_one_hour_and_on_exact_hour_edges(
        self, store: ContractStore, counts: EventCounts, clock: ManualClock
    ) -> None:
        for minutes in (0, 10, 20, 59, 60, 61):
            self._at(store, clock, T0 + timedelta(minutes=minutes))

        inside = counts.statistics(
            "test.ItemAdded", T0 + timedelta(minutes=5), T0 + timedelta(minutes=30)
        )
        exact = counts.statistics("test.ItemAdded", T0, T0 + timedelta(hours=1))
        full_hour = counts.statistics(
            "test.ItemAdded", T0, T0 + timedelta(hours=1) - timedelta(microseconds=1)
        )

        assert inside.total == 2
        assert exact.by_hour == {"2024-03-01T00:00:00Z": 4, "2024-03-01T01:00:00Z": 1}
        assert full_hour.total == 4

    def test_statistics_of_an_unseen_type_are_empty(self, counts: EventCounts) -> None:
        stats = counts.statistics("test.Nothing", T0, T0 + timedelta(days=1))

        assert stats.total == 0
        assert stats.by_hour == stats.by_day == stats.by_organization == stats.by_user == {}

    def test_trends_count_per_interval(
        self, store: ContractStore, counts: EventCounts, clock: ManualClock
    ) -> None:
        # 2024-03-01 is a Friday (ISO week 9); 2024-03-04 starts week 10
        for when in (
            T0 + timedelta(hours=1),
            T0 + timedelta(hours=1, minutes=30),
            T0 + timedelta(hours=5),
            T0 + timedelta(days=3, hours=2),
            T0 + timedelta(days=31),
        ):
            self._at(store, clock, when)
        since, until = T0, T0 + timedelta(days=40)

        assert counts.trends("test.ItemAdded", since, until, "hour") == {
            "2024-03-01T01:00:00Z": 2,
            "2024-03-01T05:00:00Z": 1,
            "2024-03-04T02:00:00Z": 1,
            "2024-04-01T00:00:00Z": 1,
        }
        assert counts.trends("test.ItemAdded", since, until) == {
            "2024-03-01": 3,
            "2024-03-04": 1,
            "2024-04-01": 1,
        }
        assert counts.trends("test.ItemAdded", since, until, "week") == {
            "2024-W09": 3,
            "2024-W10": 1,
            "2024-W14": 1,
        }
        assert counts.trends("test.ItemAdded", since, until, "month") == {
            "2024-03": 4,
            "2024-04": 1,
        }
        assert counts.trends(
            "test.ItemAdded", T0 + timedelta(hours=1, minutes=10), until, "day"
        ) == {
            "2024-03-01": 2,
            "2024-03-04": 1,
            "2024-04-01": 1,
        }

    def test_trends_with_an_unknown_interval_are_refused(self, counts: EventCounts) -> None:
        with pytest.raises(ValidationError) as caught:
            counts.trends("test.ItemAdded", T0, T0 + timedelta(days=1), "fortnight")

        assert "fortnight" in str(caught.value)

    def test_a_range_that_ends_before_it_starts_is_refused(self, counts: EventCounts) -> None:
        with pytest.raises(ValidationError):
            counts.statistics("test.ItemAdded", T0 + timedelta(days=1), T0)
