"""Time bucket labels in UTC (the same labels as the event store's counters)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["INTERVALS", "bucket_label"]

INTERVALS: tuple[str, ...] = ("hour", "day", "week", "month")


def bucket_label(when: datetime, interval: str) -> str:
    """The label of the bucket holding ``when``: an hour, a day, an ISO week or a month."""
    when = when.astimezone(UTC)
    if interval == "hour":
        return when.strftime("%Y-%m-%dT%H:00:00Z")
    if interval == "day":
        return when.strftime("%Y-%m-%d")
    if interval == "week":
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    if interval == "month":
        return when.strftime("%Y-%m")
    raise ValueError(f"unknown interval {interval!r}")
