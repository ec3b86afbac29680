"""The counter table with an edge reader: exact ranges that read only the partial edge hours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone

import pytest

from eventram import ValidationError
from eventram.readmodel import Breakdown, CounterTable, Fact, Totals
from eventram.readmodel.timebuckets import bucket_key

T0 = datetime(2024, 3, 1, tzinfo=UTC)
DIMENSIONS = ("event_type", "tenant", "actor")


def _fact(when: datetime, event_type: str = "Paid", **dimensions: str) -> Fact:
    return Fact(when, {"event_type": event_type, **dimensions})


class Log:
    """The facts counted, and an edge reader over them that records each range asked for."""

    def __init__(self) -> None:
        self.table = CounterTable("events", DIMENSIONS, edges=self.edges)
        self.facts: list[Fact] = []
        self.scans: list[tuple[datetime, datetime]] = []

    def add(self, *facts: Fact) -> None:
        self.facts.extend(facts)
        for fact in facts:
            self.table.add(fact)

    def edges(
        self, since: datetime, until: datetime, where: Mapping[str, frozenset[str]]
    ) -> Iterable[Fact]:
        self.scans.append((since, until))
        return [f for f in self.facts if since <= f.at <= until]

    def statistics(self, event_type: str, since: datetime, until: datetime) -> Breakdown:
        return self.table.breakdown(
            since,
            until,
            where={"event_type": event_type},
            by=("tenant", "actor"),
            per=("hour", "day"),
        )

    def trend(
        self, event_type: str, since: datetime, until: datetime, interval: str
    ) -> dict[str, int]:
        found = self.table.trend(since, until, interval, where={"event_type": event_type})
        return {label: totals.count for label, totals in found.buckets.items()}


def _counts(found: Mapping[str, Totals]) -> dict[str, int]:
    return {k: v.count for k, v in found.items()}


@pytest.fixture
def log() -> Log:
    return Log()


# -- bucket labels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "interval", "label"),
    [
        (datetime(2024, 3, 1, 13, 59, 59, tzinfo=UTC), "hour", "2024-03-01T13:00:00Z"),
        (datetime(2024, 3, 1, 23, 59, tzinfo=UTC), "day", "2024-03-01"),
        (datetime(2024, 3, 1, tzinfo=UTC), "week", "2024-W09"),
        (datetime(2024, 12, 30, tzinfo=UTC), "week", "2025-W01"),
        (datetime(2021, 1, 3, tzinfo=UTC), "week", "2020-W53"),
        (datetime(2024, 2, 29, 12, tzinfo=UTC), "month", "2024-02"),
    ],
)
def test_bucket_labels(when: datetime, interval: str, label: str) -> None:
    assert bucket_key(when, interval) == label


def test_bucket_labels_are_in_utc_whatever_the_input_zone() -> None:
    tokyo = timezone(timedelta(hours=9))
    when = datetime(2024, 3, 2, 8, 30, tzinfo=tokyo)  # 2024-03-01T23:30Z

    assert bucket_key(when, "hour") == "2024-03-01T23:00:00Z"
    assert bucket_key(when, "day") == "2024-03-01"


def test_an_unknown_interval_is_refused_by_name() -> None:
    with pytest.raises(ValidationError, match="quarter"):
        bucket_key(T0, "quarter")


# -- statistics ------------------------------------------------------------------------------


def test_a_range_of_whole_hours_is_answered_without_reading_edges(log: Log) -> None:
    log.add(
        _fact(T0 + timedelta(minutes=5), tenant="o-1", actor="u-1"),
        _fact(T0 + timedelta(minutes=55), tenant="o-1", actor="u-2"),
        _fact(T0 + timedelta(hours=1, minutes=1), tenant="o-2", actor="u-2"),
        _fact(T0 + timedelta(hours=2), tenant="o-2", actor="u-2"),
        _fact(T0 + timedelta(minutes=7), "Refunded", tenant="o-1"),
    )

    stats = log.statistics("Paid", T0, T0 + timedelta(hours=2) - timedelta(microseconds=1))

    assert log.scans == []
    assert stats.total.count == 3
    assert _counts(stats.per["hour"]) == {"2024-03-01T00:00:00Z": 2, "2024-03-01T01:00:00Z": 1}
    assert _counts(stats.per["day"]) == {"2024-03-01": 3}
    assert _counts(stats.by["tenant"]) == {"o-1": 2, "o-2": 1}
    assert _counts(stats.by["actor"]) == {"u-1": 1, "u-2": 2}


def test_only_the_partial_hours_at_the_edges_are_read(log: Log) -> None:
    for minutes in range(0, 300, 10):
        log.add(_fact(T0 + timedelta(minutes=minutes)))
    since = T0 + timedelta(minutes=25)
    until = T0 + timedelta(hours=4, minutes=15)

    stats = log.statistics("Paid", since, until)

    assert log.scans == [
        (since, T0 + timedelta(hours=1) - timedelta(microseconds=1)),
        (T0 + timedelta(hours=4), until),
    ]
    assert stats.total.count == len([m for m in range(0, 300, 10) if 25 <= m <= 255])


def test_a_range_inside_one_hour_is_one_read(log: Log) -> None:
    log.add(*(_fact(T0 + timedelta(minutes=m)) for m in (1, 10, 20, 30)))

    stats = log.statistics("Paid", T0 + timedelta(minutes=5), T0 + timedelta(minutes=20))

    assert len(log.scans) == 1
    assert stats.total.count == 2


def test_an_edge_reader_returning_more_than_asked_is_filtered(log: Log) -> None:
    log.add(_fact(T0 + timedelta(minutes=10)), _fact(T0 + timedelta(minutes=10), "Refunded"))

    stats = log.statistics("Paid", T0 + timedelta(minutes=5), T0 + timedelta(minutes=20))

    assert stats.total.count == 1  # the reader ignored ``where``; the table did not


def test_facts_without_a_dimension_count_as_unknown(log: Log) -> None:
    log.add(_fact(T0), _fact(T0, tenant="o-1"))

    stats = log.statistics("Paid", T0, T0 + timedelta(hours=1))

    assert _counts(stats.by["tenant"]) == {"o-1": 1, "unknown": 1}
    assert _counts(stats.by["actor"]) == {"unknown": 2}


def test_an_unseen_value_has_empty_statistics(log: Log) -> None:
    log.add(_fact(T0))

    stats = log.statistics("Refunded", T0, T0 + timedelta(days=1) - timedelta(microseconds=1))

    assert stats.total.count == 0
    assert stats.per == {"hour": {}, "day": {}}
    assert log.scans == []


def test_open_ranges_reach_the_first_and_last_facts(log: Log) -> None:
    log.add(_fact(T0), _fact(T0 + timedelta(days=400, minutes=7)))

    assert log.table.breakdown().total.count == 2
    assert log.table.breakdown(since=T0 + timedelta(minutes=1)).total.count == 1
    assert log.table.breakdown(until=T0 + timedelta(days=400)).total.count == 1


def test_a_range_ending_before_it_starts_is_refused(log: Log) -> None:
    with pytest.raises(ValidationError, match="before it starts"):
        log.statistics("Paid", T0 + timedelta(hours=1), T0)


def test_a_naive_range_is_refused(log: Log) -> None:
    with pytest.raises(ValidationError, match="time zone"):
        log.statistics("Paid", datetime(2024, 3, 1), T0)


# -- trends ----------------------------------------------------------------------------------


def test_trends_add_up_hours_into_days_weeks_and_months(log: Log) -> None:
    for day in (0, 0, 1, 3, 31):
        log.add(_fact(T0 + timedelta(days=day, hours=12)))
    since, until = T0, T0 + timedelta(days=40) - timedelta(microseconds=1)

    assert log.trend("Paid", since, until, "day") == {
        "2024-03-01": 2,
        "2024-03-02": 1,
        "2024-03-04": 1,
        "2024-04-01": 1,
    }
    assert log.trend("Paid", since, until, "week") == {
        "2024-W09": 3,
        "2024-W10": 1,
        "2024-W14": 1,
    }
    assert log.trend("Paid", since, until, "month") == {"2024-03": 4, "2024-04": 1}
    assert log.scans == []


def test_trends_refuse_an_unknown_interval_before_any_work(log: Log) -> None:
    log.add(_fact(T0 + timedelta(minutes=30)))

    with pytest.raises(ValidationError, match="fortnight"):
        log.trend("Paid", T0, T0 + timedelta(minutes=40), "fortnight")

    assert log.scans == []
