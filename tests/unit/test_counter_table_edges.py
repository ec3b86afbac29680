"""The counter table with an edge reader: exact ranges that read only the partial edge hours."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventram import ValidationError
from eventram.readmodel import Breakdown, CounterTable, Fact, Totals, Where
from eventram.readmodel.timebuckets import INTERVALS, bucket_key

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


# -- snapshots -------------------------------------------------------------------------------


def test_a_restored_table_answers_as_the_one_dumped_and_keeps_counting(log: Log) -> None:
    for minutes in range(0, 60 * 24 * 40, 97):
        log.add(_fact(T0 + timedelta(minutes=minutes), tenant=f"o-{minutes % 3}"))
    copy = Log()
    copy.facts = list(log.facts)

    copy.table.restore(log.table.dump())
    since, until = T0 + timedelta(minutes=30), T0 + timedelta(days=33, minutes=7)

    assert copy.statistics("Paid", since, until) == log.statistics("Paid", since, until)
    assert copy.table.version == log.table.version
    later = _fact(T0 + timedelta(days=2), tenant="o-1")
    log.add(later)
    copy.add(later)
    assert copy.statistics("Paid", since, until) == log.statistics("Paid", since, until)


def test_a_snapshot_of_another_shape_is_refused(log: Log) -> None:
    log.add(_fact(T0))
    other = CounterTable("events", ("event_type", "tenant"))

    with pytest.raises(ValidationError, match="does not fit"):
        other.restore(log.table.dump())


# -- property: the table equals a scan of the facts ------------------------------------------

TYPES = ("Paid", "Refunded")
TENANTS = ("o-1", "o-2", "o-3")
SPAN_MINUTES = 60 * 24 * 70

facts = st.builds(
    lambda minutes, seconds, event_type, tenant, actor, cents: Fact(
        T0 + timedelta(minutes=minutes, seconds=seconds),
        {"event_type": event_type, "tenant": tenant, "actor": actor},
        {"amount": Decimal(cents).scaleb(-2)},
    ),
    st.integers(0, SPAN_MINUTES),
    st.integers(0, 59),
    st.sampled_from(TYPES),
    st.sampled_from(TENANTS),
    st.sampled_from(("u-1", "u-2")),
    st.integers(0, 10**6),
)
moments = st.none() | st.integers(-90, SPAN_MINUTES + 90).map(
    lambda m: T0 + timedelta(minutes=m, seconds=m % 61)
)
wheres = st.fixed_dictionaries(
    {},
    optional={
        "tenant": st.sampled_from(TENANTS),
        "event_type": st.lists(st.sampled_from(TYPES), min_size=1, unique=True),
    },
)


def _in(fact: Fact, since: datetime | None, until: datetime | None, where: Where) -> bool:
    wanted = {k: [v] if isinstance(v, str) else v for k, v in where.items()}
    return (
        (since is None or since <= fact.at)
        and (until is None or fact.at <= until)
        and all(fact.dimensions[k] in v for k, v in wanted.items())
    )


def _naive(chosen: list[Fact], label: Callable[[Fact], str]) -> dict[str, tuple[int, Decimal]]:
    found: dict[str, tuple[int, Decimal]] = {}
    for fact in chosen:
        count, total = found.get(label(fact), (0, Decimal(0)))
        found[label(fact)] = (count + 1, total + fact.amounts["amount"])
    return dict(sorted(found.items()))


def _pairs(found: Mapping[str, Totals]) -> dict[str, tuple[int, Decimal]]:
    return {k: (v.count, v.sums["amount"]) for k, v in found.items()}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(facts, max_size=50),
    st.sets(st.integers(0, 49)),
    moments,
    moments,
    wheres,
    st.sampled_from([None, "tenant", ("tenant", "event_type")]),
    st.sampled_from(INTERVALS),
)
def test_exact_answers_equal_a_scan_of_the_facts(
    added: list[Fact],
    retracted: set[int],
    a: datetime | None,
    b: datetime | None,
    where: Where,
    partition_by: str | tuple[str, ...] | None,
    interval: str,
) -> None:
    since, until = (min(a, b), max(a, b)) if a is not None and b is not None else (a, b)
    live = list(added)
    table = CounterTable(
        "t", DIMENSIONS, ("amount",), partition_by=partition_by, edges=lambda s, u, w: live
    )
    for fact in added:
        table.add(fact)
    for n in sorted(retracted, reverse=True):
        if n < len(live):
            table.retract(live.pop(n))
    chosen = [f for f in live if _in(f, since, until, where)]

    found = table.breakdown(
        since, until, where=where, by=("actor", ("tenant", "event_type")), per=(interval,)
    )
    trend = table.trend(since, until, interval, where=where)

    assert (found.total.count, found.total.sums["amount"]) == (
        len(chosen),
        sum((f.amounts["amount"] for f in chosen), Decimal(0)),
    )
    assert _pairs(found.by["actor"]) == _naive(chosen, lambda f: f.dimensions["actor"])
    assert _pairs(found.by["tenant|event_type"]) == _naive(
        chosen, lambda f: f"{f.dimensions['tenant']}|{f.dimensions['event_type']}"
    )
    expected = _naive(chosen, lambda f: bucket_key(f.at, interval))
    assert _pairs(found.per[interval]) == expected == _pairs(trend.buckets)


def test_a_table_without_dimensions_counts_each_fact_once() -> None:
    table = CounterTable("all", ())
    table.add(Fact(T0, {}))
    table.add(Fact(T0 + timedelta(days=1), {}))

    table.retract(Fact(T0, {}))

    assert table.breakdown().total.count == 1
    assert _counts(table.trend(T0, T0 + timedelta(days=2), "day").buckets) == {"2024-03-02": 1}


def test_the_table_keeps_only_the_buckets_in_use(log: Log) -> None:
    facts = [_fact(T0 + timedelta(hours=h), tenant=f"o-{h % 2}", actor="u") for h in range(50)]
    empty = CounterTable("events", DIMENSIONS).dump()
    log.add(*facts)
    moved = facts[0].replace(tenant="o-9")
    log.table.move(facts[0], moved)

    for fact in (moved, *facts[1:]):
        log.table.retract(fact)

    assert log.table.breakdown().total.count == 0
    # the same image as a new table's but for its version (a one-byte integer either way)
    assert len(log.table.dump()) == len(empty)
