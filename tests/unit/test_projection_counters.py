"""Incremental counters: given events, then statistics equal to a naive count of the facts."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventram import Event, InMemoryEventStore, RecordedEvent, ValidationError
from eventram.projection import (
    REMOVE,
    ProjectionEngine,
    Remove,
    counters_projection,
)
from eventram.readmodel import CounterTable, Fact, Totals
from eventram.readmodel.timebuckets import Level, bucket_key, bucket_start, decompose

T0 = datetime(2025, 1, 30, 22, 0, tzinfo=UTC)


class CtrPaymentRequested(Event, frozen=True):
    organization_id: str
    currency: str
    amount: Decimal


class CtrPaymentCompleted(Event, frozen=True):
    pass


class CtrPaymentCancelled(Event, frozen=True):
    pass


def requested(event: CtrPaymentRequested, envelope: RecordedEvent, previous: Fact | None) -> Fact:
    return Fact(
        envelope.recorded_at,
        {"organization_id": event.organization_id, "status": "pending", "currency": event.currency},
        {"amount": event.amount},
    )


def completed(event: Event, envelope: RecordedEvent, previous: Fact | None) -> Fact | None:
    return previous.replace(status="completed") if previous is not None else None


def cancelled(event: Event, envelope: RecordedEvent, previous: Fact | None) -> Remove:
    return REMOVE


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> InMemoryEventStore:
    return InMemoryEventStore(clock=clock)


@pytest.fixture
def stats(store: InMemoryEventStore) -> CounterTable:
    engine = ProjectionEngine(store)
    handle = engine.register(
        counters_projection(
            "payment_stats",
            {
                CtrPaymentRequested: requested,
                CtrPaymentCompleted: completed,
                CtrPaymentCancelled: cancelled,
            },
            dimensions=("organization_id", "status", "currency"),
            amounts=("amount",),
            partition_by="organization_id",
        )
    )
    engine.start()
    return handle.state


DAY = timedelta(days=1)


def test_a_payment_that_completes_moves_from_pending_to_completed(
    store: InMemoryEventStore, stats: CounterTable
) -> None:
    store.append(
        "p1", [CtrPaymentRequested(organization_id="o1", currency="EUR", amount=Decimal("10.50"))]
    )
    store.append(
        "p2", [CtrPaymentRequested(organization_id="o1", currency="EUR", amount=Decimal("4"))]
    )

    store.append("p1", [CtrPaymentCompleted()])

    result = stats.breakdown(T0 - DAY, T0 + DAY, where={"organization_id": "o1"}, by=["status"])
    assert result.total == Totals(2, {"amount": Decimal("14.50")})
    assert result.by["status"] == {
        "completed": Totals(1, {"amount": Decimal("10.50")}),
        "pending": Totals(1, {"amount": Decimal("4")}),
    }


def test_a_removed_entity_no_longer_counts(store: InMemoryEventStore, stats: CounterTable) -> None:
    store.append(
        "p1", [CtrPaymentRequested(organization_id="o1", currency="EUR", amount=Decimal("3"))]
    )

    store.append("p1", [CtrPaymentCancelled()])

    result = stats.breakdown(T0 - DAY, T0 + DAY, by=["status"])
    assert result.total == Totals(0, {"amount": Decimal(0)})
    assert result.by == {"status": {}}
    assert len(stats) == 0


def test_a_partition_query_reads_only_its_tenant(
    store: InMemoryEventStore, stats: CounterTable
) -> None:
    store.append(
        "p1", [CtrPaymentRequested(organization_id="o1", currency="EUR", amount=Decimal("1"))]
    )
    store.append(
        "p2", [CtrPaymentRequested(organization_id="o2", currency="USD", amount=Decimal("2"))]
    )
    store.append(
        "p3", [CtrPaymentRequested(organization_id="o2", currency="EUR", amount=Decimal("5"))]
    )

    result = stats.breakdown(
        T0, T0 + DAY, where={"organization_id": "o2"}, by=["currency", ("status", "currency")]
    )

    assert result.total.count == 2
    assert result.by["currency"] == {
        "EUR": Totals(1, {"amount": Decimal("5")}),
        "USD": Totals(1, {"amount": Decimal("2")}),
    }
    assert set(result.by["status|currency"]) == {"pending|EUR", "pending|USD"}


def test_sums_per_currency_do_not_mix_currencies(
    store: InMemoryEventStore, stats: CounterTable
) -> None:
    store.append(
        "p1", [CtrPaymentRequested(organization_id="o1", currency="EUR", amount=Decimal("1.10"))]
    )
    store.append(
        "p2", [CtrPaymentRequested(organization_id="o1", currency="JPY", amount=Decimal("500"))]
    )

    by_currency = stats.breakdown(T0, T0 + DAY, by=["currency"]).by["currency"]

    assert by_currency["EUR"].sums == {"amount": Decimal("1.10")}
    assert by_currency["JPY"].sums == {"amount": Decimal("500")}


def test_trends_bucket_by_the_fact_time_and_keep_it_when_the_status_changes(
    store: InMemoryEventStore, stats: CounterTable, clock: Clock
) -> None:
    store.append(
        "p1", [CtrPaymentRequested(organization_id="o1", currency="EUR", amount=Decimal("1"))]
    )
    clock.now = T0 + timedelta(hours=3)  # the next day
    store.append(
        "p2", [CtrPaymentRequested(organization_id="o1", currency="EUR", amount=Decimal("2"))]
    )
    store.append("p1", [CtrPaymentCompleted()])

    trend = stats.trend(T0, T0 + 2 * DAY, "day")

    assert trend.buckets == {
        "2025-01-30": Totals(1, {"amount": Decimal("1")}),
        "2025-01-31": Totals(1, {"amount": Decimal("2")}),
    }
    assert stats.trend(T0, T0 + 2 * DAY, "month").buckets == {
        "2025-01": Totals(2, {"amount": Decimal("3")})
    }


def test_ranges_are_widened_to_whole_hours(stats: CounterTable) -> None:
    result = stats.breakdown(T0 + timedelta(minutes=10), T0 + timedelta(hours=1, seconds=1))

    assert (result.since, result.until) == (T0, T0 + timedelta(hours=2))


def test_counting_events_once_each_without_tracking_entities(store: InMemoryEventStore) -> None:
    def each_event(event: Event, envelope: RecordedEvent, previous: Fact | None) -> Fact:
        assert previous is None
        return Fact(envelope.recorded_at, {"type": envelope.event_type})

    engine = ProjectionEngine(store)
    handle = engine.register(
        counters_projection(
            "event_counts",
            {CtrPaymentRequested: each_event, CtrPaymentCompleted: each_event},
            dimensions=("type",),
            entity=None,
        )
    )
    engine.start()
    store.append(
        "p1", [CtrPaymentRequested(organization_id="o", currency="EUR", amount=Decimal(1))]
    )
    store.append("p1", [CtrPaymentCompleted(), CtrPaymentCompleted()])

    result = handle.state.breakdown(T0, T0 + DAY, by=["type"])

    assert result.by["type"] == {"CtrPaymentCompleted": Totals(2), "CtrPaymentRequested": Totals(1)}
    assert len(handle.state) == 0


def test_versions_move_for_the_partition_written_only(
    stats: CounterTable, store: InMemoryEventStore
) -> None:
    before = stats.current_versions(["payment_stats", "payment_stats/o1", "payment_stats/o2"])

    store.append(
        "p1", [CtrPaymentRequested(organization_id="o1", currency="EUR", amount=Decimal(1))]
    )

    after = stats.current_versions(["payment_stats", "payment_stats/o1", "payment_stats/o2"])
    assert after["payment_stats"] > before["payment_stats"]
    assert after["payment_stats/o1"] > before["payment_stats/o1"]
    assert after["payment_stats/o2"] == before["payment_stats/o2"]
    assert stats.versions_for("o1") == {"payment_stats/o1": after["payment_stats/o1"]}
    assert stats.current_versions(["elsewhere"]) == {"elsewhere": -1}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.breakdown(T0, T0 + DAY, by=["colour"]), "not a dimension"),
        (lambda t: t.breakdown(T0, T0 + DAY, where={"colour": "red"}), "not a dimension"),
        (lambda t: t.trend(T0, T0 + DAY, "fortnight"), "Unknown interval"),
        (lambda t: t.breakdown(T0 + DAY, T0), "ends"),
        (lambda t: t.breakdown(T0.replace(tzinfo=None), T0 + DAY), "time zone"),
    ],
)
def test_bad_queries_are_refused_with_a_clear_error(
    stats: CounterTable, call: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        call(stats)


def test_several_partition_fields_name_a_partition_by_their_joined_values() -> None:
    table = CounterTable(
        "events",
        ("organization_id", "event_type", "user_id"),
        partition_by=("organization_id", "event_type"),
    )
    table.add(Fact(T0, {"organization_id": "o1", "event_type": "Paid", "user_id": "u1"}))
    table.add(Fact(T0, {"organization_id": "o1", "event_type": "Failed", "user_id": "u1"}))

    pinned = table.breakdown(T0, T0 + DAY, where={"organization_id": "o1", "event_type": "Paid"})
    by_user = table.breakdown(T0, T0 + DAY, where={"organization_id": "o1"}, by=["user_id"])

    assert pinned.total.count == 1
    assert by_user.by["user_id"] == {"u1": Totals(2)}
    assert table.versions_for("o1|Paid") == {"events/o1|Paid": 1}


def test_a_partition_field_must_be_a_dimension() -> None:
    with pytest.raises(ValidationError, match="partition_by"):
        CounterTable("t", ("status",), partition_by="organization_id")


# -- properties ------------------------------------------------------------------------------

STATUSES = ("pending", "completed", "failed")
ORGS = ("o1", "o2", "o3")
CURRENCIES = ("EUR", "USD")
SPAN_HOURS = 24 * 75

facts = st.builds(
    lambda minutes, org, status, currency, cents: Fact(
        T0 + timedelta(minutes=minutes),
        {"organization_id": org, "status": status, "currency": currency},
        {"amount": Decimal(cents) / 100},
    ),
    st.integers(0, SPAN_HOURS * 60),
    st.sampled_from(ORGS),
    st.sampled_from(STATUSES),
    st.sampled_from(CURRENCIES),
    st.integers(0, 100_000),
)
operations = st.lists(
    st.tuples(st.integers(0, 15), st.one_of(facts, st.none())), min_size=0, max_size=60
)
instants = st.integers(-48, SPAN_HOURS + 48).map(lambda m: T0 + timedelta(minutes=m * 59))
wheres = st.fixed_dictionaries(
    {},
    optional={
        "organization_id": st.sampled_from(ORGS),
        "status": st.lists(st.sampled_from(STATUSES), min_size=1, unique=True),
    },
)


def _floor_hour(when: datetime) -> datetime:
    return when.replace(minute=0, second=0, microsecond=0)


def _ceil_hour(when: datetime) -> datetime:
    floor = _floor_hour(when)
    return floor if floor == when else floor + timedelta(hours=1)


def _final(ops: list[tuple[int, Fact | None]]) -> list[Fact]:
    table = CounterTable("t", ("organization_id", "status", "currency"), ("amount",))
    current: dict[int, Fact] = {}
    for entity, fact in ops:
        if fact is None:
            table.remove(str(entity))
            current.pop(entity, None)
        else:
            table.put(str(entity), fact)
            current[entity] = fact
    return list(current.values())


def _matches(fact: Fact, where: dict[str, Any]) -> bool:
    return all(fact.dimensions[k] in ([v] if isinstance(v, str) else v) for k, v in where.items())


PARTITIONINGS: list[Any] = [None, "organization_id", ("organization_id", "status"), "currency"]


@settings(max_examples=200, deadline=None)
@given(
    operations,
    instants,
    instants,
    wheres,
    st.sampled_from(["hour", "day", "week", "month"]),
    st.sampled_from(PARTITIONINGS),
)
def test_breakdowns_and_trends_equal_a_naive_count_of_the_current_facts(
    ops: list[tuple[int, Fact | None]],
    a: datetime,
    b: datetime,
    where: dict[str, Any],
    interval: str,
    partition_by: Any,
) -> None:
    since, until = min(a, b), max(a, b)
    table = CounterTable(
        "t", ("organization_id", "status", "currency"), ("amount",), partition_by=partition_by
    )
    for entity, fact in ops:
        if fact is None:
            table.remove(str(entity))
        else:
            table.put(str(entity), fact)
    lo, hi = _floor_hour(since), _ceil_hour(until)
    chosen = [f for f in _final(ops) if lo <= f.at < hi and _matches(f, where)]

    result = table.breakdown(
        since, until, where=where, by=["status", ("organization_id", "currency")]
    )
    trend = table.trend(since, until, interval, where=where)
    total_only = table.breakdown(since, until, where=where)

    assert result.total.count == len(chosen)
    assert result.total.sums["amount"] == sum((f.amounts["amount"] for f in chosen), Decimal(0))
    expected_status = Counter(f.dimensions["status"] for f in chosen)
    assert {k: v.count for k, v in result.by["status"].items()} == dict(expected_status)
    sums: defaultdict[str, Decimal] = defaultdict(Decimal)
    for f in chosen:
        sums[f"{f.dimensions['organization_id']}|{f.dimensions['currency']}"] += f.amounts["amount"]
    assert {k: v.sums["amount"] for k, v in result.by["organization_id|currency"].items()} == sums
    assert total_only.total == result.total
    expected_trend = Counter(bucket_key(f.at, interval) for f in chosen)
    assert {k: v.count for k, v in trend.buckets.items()} == dict(expected_trend)


@given(st.integers(0, 24 * 800), st.integers(0, 24 * 800), st.sampled_from(list(Level)))
def test_decomposition_covers_the_range_exactly_once(a: int, b: int, coarsest: Level) -> None:
    h0, h1 = min(a, b), max(a, b)
    covered: list[tuple[int, int]] = []
    for level, start, stop in decompose(h0, h1, coarsest):
        assert level <= coarsest
        assert start < stop
        first = bucket_start(level, start)
        last = bucket_start(level, stop)
        covered.append((int(first.timestamp()) // 3600, int(last.timestamp()) // 3600))
    assert [c for c in covered if c[0] != c[1]] == covered
    position = h0
    for start, stop in covered:
        assert start == position
        position = stop
    assert position == h1 or (h0 == h1 and not covered)
