"""The read model labels time buckets exactly as the event store's counters do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventram.readmodel._buckets import INTERVALS, bucket_label
from eventram.store.counters import bucket_key

zones = st.sampled_from([UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-11))])


@given(
    when=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones
    ),
    interval=st.sampled_from(INTERVALS),
)
def test_labels_match_the_store_counters(when: datetime, interval: str) -> None:
    assert bucket_label(when, interval) == bucket_key(when, interval)


def test_labels_are_utc_and_iso_weeks_cross_years() -> None:
    late = datetime(2024, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-2)))

    assert bucket_label(late, "hour") == "2025-01-01T01:00:00Z"
    assert bucket_label(late, "day") == "2025-01-01"
    assert bucket_label(late, "week") == "2025-W01"
    assert bucket_label(late, "month") == "2025-01"


def test_an_unknown_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="fortnight"):
        bucket_label(datetime(2024, 1, 1, tzinfo=UTC), "fortnight")
