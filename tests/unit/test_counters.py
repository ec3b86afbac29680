"""Incremental event counters: bucket labels, and statistics that scan only partial edge hours."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from eventram import RecordedEvent, ValidationError
from eventram.envelope import to_epoch_us
from eventram.store.counters import EventCounters, bucket_key

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _event(when: datetime, event_type: str = "Paid", **metadata: str) -> RecordedEvent:
    return RecordedEvent(
        position=0,
        version=1,
        stream_id="s",
        stream_type="",
        event_type=event_type,
        event_id_int=uuid.uuid4().int,
        recorded_at_us=to_epoch_us(when),
        correlation_id=None,
        causation_id=None,
        metadata=metadata,
        payload=b"\x80",
    )


class Log:
    """The events counted, and a scan over them that records each range it is asked for."""

    def __init__(self, counters: EventCounters) -> None:
        self.counters = counters
        self.events: list[RecordedEvent] = []
        self.scans: list[tuple[datetime, datetime]] = []

    def add(self, *events: RecordedEvent) -> None:
        self.events.extend(events)
        self.counters.add(events)

    def scan(self, event_type: str, since: datetime, until: datetime) -> Iterable[RecordedEvent]:
        self.scans.append((since, until))
        return [
            e for e in self.events if e.event_type == event_type and since <= e.recorded_at <= until
        ]


@pytest.fixture
def log() -> Log:
    return Log(EventCounters())


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


def test_a_range_of_whole_hours_is_answered_without_scanning_events(log: Log) -> None:
    log.add(
        _event(T0 + timedelta(minutes=5), organization_id="o-1", user_id="u-1"),
        _event(T0 + timedelta(minutes=55), organization_id="o-1", user_id="u-2"),
        _event(T0 + timedelta(hours=1, minutes=1), organization_id="o-2", user_id="u-2"),
        _event(T0 + timedelta(hours=2), organization_id="o-2", user_id="u-2"),
        _event(T0 + timedelta(minutes=7), "Refunded", organization_id="o-1"),
    )

    stats = log.counters.statistics(
        "Paid", T0, T0 + timedelta(hours=2) - timedelta(microseconds=1), log.scan
    )

    assert log.scans == []
    assert stats.total == 3
    assert stats.by_hour == {"2024-03-01T00:00:00Z": 2, "2024-03-01T01:00:00Z": 1}
    assert stats.by_day == {"2024-03-01": 3}
    assert stats.by_organization == {"o-1": 2, "o-2": 1}
    assert stats.by_user == {"u-1": 1, "u-2": 2}


def test_only_the_partial_hours_at_the_edges_are_scanned(log: Log) -> None:
    for minutes in range(0, 300, 10):
        log.add(_event(T0 + timedelta(minutes=minutes)))
    since = T0 + timedelta(minutes=25)
    until = T0 + timedelta(hours=4, minutes=15)

    stats = log.counters.statistics("Paid", since, until, log.scan)

    assert log.scans == [
        (since, T0 + timedelta(hours=1) - timedelta(microseconds=1)),
        (T0 + timedelta(hours=4), until),
    ]
    assert stats.total == len([m for m in range(0, 300, 10) if 25 <= m <= 255])


def test_a_range_inside_one_hour_is_one_scan(log: Log) -> None:
    log.add(*(_event(T0 + timedelta(minutes=m)) for m in (1, 10, 20, 30)))

    stats = log.counters.statistics(
        "Paid", T0 + timedelta(minutes=5), T0 + timedelta(minutes=20), log.scan
    )

    assert len(log.scans) == 1
    assert stats.total == 2


def test_events_without_organization_or_user_count_as_unknown(log: Log) -> None:
    log.add(_event(T0), _event(T0, organization_id="o-1"))

    stats = log.counters.statistics("Paid", T0, T0 + timedelta(hours=1), log.scan)

    assert stats.by_organization == {"o-1": 1, "unknown": 1}
    assert stats.by_user == {"unknown": 2}


def test_counters_count_by_the_configured_metadata_fields() -> None:
    log = Log(EventCounters("tenant", "actor"))
    log.add(_event(T0, tenant="t-1", actor="a-1"), _event(T0, organization_id="ignored"))

    stats = log.counters.statistics("Paid", T0, T0 + timedelta(hours=1), log.scan)

    assert stats.by_organization == {"t-1": 1, "unknown": 1}
    assert stats.by_user == {"a-1": 1, "unknown": 1}


def test_an_unseen_event_type_has_empty_statistics(log: Log) -> None:
    log.add(_event(T0))

    stats = log.counters.statistics("Refunded", T0, T0 + timedelta(days=1), log.scan)

    assert stats.total == 0
    assert log.scans == []


def test_a_range_ending_before_it_starts_is_refused(log: Log) -> None:
    with pytest.raises(ValidationError, match="before it starts"):
        log.counters.statistics("Paid", T0 + timedelta(hours=1), T0, log.scan)


def test_a_naive_range_is_refused(log: Log) -> None:
    with pytest.raises(ValidationError, match="time zone"):
        log.counters.statistics("Paid", datetime(2024, 3, 1), T0, log.scan)


# -- trends ----------------------------------------------------------------------------------


def test_trends_add_up_hours_into_days_weeks_and_months(log: Log) -> None:
    for day in (0, 0, 1, 3, 31):
        log.add(_event(T0 + timedelta(days=day, hours=12)))
    since, until = T0, T0 + timedelta(days=40) - timedelta(microseconds=1)

    assert log.counters.trends("Paid", since, until, "day", log.scan) == {
        "2024-03-01": 2,
        "2024-03-02": 1,
        "2024-03-04": 1,
        "2024-04-01": 1,
    }
    assert log.counters.trends("Paid", since, until, "week", log.scan) == {
        "2024-W09": 3,
        "2024-W10": 1,
        "2024-W14": 1,
    }
    assert log.counters.trends("Paid", since, until, "month", log.scan) == {
        "2024-03": 4,
        "2024-04": 1,
    }
    assert log.scans == []


def test_trends_refuse_an_unknown_interval_before_any_work(log: Log) -> None:
    log.add(_event(T0 + timedelta(minutes=30)))

    with pytest.raises(ValidationError, match="fortnight"):
        log.counters.trends("Paid", T0, T0 + timedelta(minutes=40), "fortnight", log.scan)

    assert log.scans == []


def test_event_types_lists_what_was_counted(log: Log) -> None:
    log.add(_event(T0, "Refunded"), _event(T0, "Paid"))

    assert log.counters.event_types() == ["Paid", "Refunded"]
