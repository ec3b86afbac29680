"""Time bucket labels in UTC, shared by the store's counters, read models and projections."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from eventram.errors import ValidationError

__all__ = ["INTERVALS", "Interval", "bucket_key"]

Interval = Literal["hour", "day", "week", "month"]
INTERVALS: tuple[str, ...] = ("hour", "day", "week", "month")


def bucket_key(when: datetime, interval: str) -> str:
    """The label of the bucket holding ``when``: hour, day, ISO week or month, in UTC."""
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
    raise ValidationError(
        f"Unknown interval {interval!r}: use one of {', '.join(INTERVALS)}.", field="interval"
    )
