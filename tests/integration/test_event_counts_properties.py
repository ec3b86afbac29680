"""Event counts from a counter table equal a count over the stored events, for any range.

Moved from the store's property tests when statistics and trends left the store: the same
events, ranges and assertions, asked of a counter table fed by a projection over the store.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventram import ANY, InMemoryEventStore
from eventram.readmodel.timebuckets import INTERVALS, bucket_key
from tests.contract.event_counts_contract import EventCounts
from tests.contract.event_store_contract import T0, ManualClock
from tests.contract.events import CartOpened, ItemAdded, ItemRemoved
from tests.integration.test_store_index_properties import SCALE, Step, _play, steps

TYPES = (ItemAdded, ItemRemoved, CartOpened)
FAST = settings(
    max_examples=100 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
offsets = st.lists(st.integers(min_value=0, max_value=4 * 24 * 60), min_size=1, max_size=40)
instants = st.integers(min_value=-60, max_value=5 * 24 * 60).map(
    lambda m: T0 + timedelta(minutes=m, seconds=m % 7)
)


def _clocked(minutes: list[int]) -> InMemoryEventStore:
    clock = ManualClock()
    store = InMemoryEventStore(clock=clock)
    for n, m in enumerate(minutes):
        clock.set(T0 + timedelta(minutes=m))
        meta = {"organization_id": f"o-{n % 3}", "user_id": f"u-{n % 2}"}
        event: ItemAdded | CartOpened = (
            ItemAdded(sku=str(n)) if n % 4 else CartOpened(customer=str(n))
        )
        store.append(f"s-{n % 5}", [event], ANY, metadata=meta)
    return store


def _tally(labels: object) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in labels:  # type: ignore[attr-defined]
        counts[label] = counts.get(label, 0) + 1
    return dict(sorted(counts.items()))


@FAST
@given(offsets, instants, instants)
def test_statistics_and_trends_equal_a_count_over_the_events_in_range(
    minutes: list[int], a: datetime, b: datetime
) -> None:
    store = _clocked(minutes)
    since, until = min(a, b), max(a, b)
    in_range = [
        e
        for e in store.read_all()
        if e.event_type == ItemAdded.event_type and since <= e.recorded_at <= until
    ]

    with EventCounts(store) as counts:
        stats = counts.statistics(ItemAdded.event_type, since, until)
        trends = {i: counts.trends(ItemAdded.event_type, since, until, i) for i in INTERVALS}

    assert stats.total == len(in_range)
    assert stats.by_hour == _tally(bucket_key(e.recorded_at, "hour") for e in in_range)
    assert stats.by_day == _tally(bucket_key(e.recorded_at, "day") for e in in_range)
    assert stats.by_organization == _tally(e.metadata["organization_id"] for e in in_range)
    assert stats.by_user == _tally(e.metadata["user_id"] for e in in_range)
    for interval in INTERVALS:
        assert trends[interval] == _tally(bucket_key(e.recorded_at, interval) for e in in_range)


def test_statistics_do_not_depend_on_the_time_zone_of_the_range() -> None:
    india = timezone(timedelta(hours=5, minutes=30))  # a half-hour offset moves hour edges
    since, until = T0 + timedelta(minutes=20), T0 + timedelta(hours=3, minutes=25)

    with EventCounts(_clocked([0, 30, 61, 200, 201])) as counts:
        in_utc = counts.statistics(ItemAdded.event_type, since, until)
        elsewhere = counts.statistics(
            ItemAdded.event_type, since.astimezone(india), until.astimezone(india)
        )

    assert in_utc == elsewhere
    assert in_utc.total == 3


@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_statistics_count_what_a_scan_of_the_log_counts(plan: list[Step]) -> None:
    store = _play(plan)
    log = store.read_all()
    since, until = T0, T0 + timedelta(days=2)
    with EventCounts(store) as counts:
        found = {c: counts.statistics(c.event_type, since, until) for c in TYPES}

    for cls in TYPES:
        mine = [e for e in log if e.event_type == cls.event_type]
        stats = found[cls]
        assert stats.total == len(mine)
        assert stats.by_hour == dict(
            sorted(Counter(bucket_key(e.recorded_at, "hour") for e in mine).items())
        )
        assert stats.by_organization == dict(
            sorted(Counter(e.metadata.get("organization_id", "unknown") for e in mine).items())
        )
        assert stats.by_user == dict(
            sorted(Counter(e.metadata.get("user_id", "unknown") for e in mine).items())
        )
