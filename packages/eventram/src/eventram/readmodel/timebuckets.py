"""Time buckets in UTC: hours, days and months as integers, their labels, range decomposition.

The hour is the unit: an instant falls in hour ``to_epoch_us(when) // HOUR_US``. A range of
whole hours ``[h0, h1)`` is split into the fewest buckets of the allowed levels (leading hours
up to a day boundary, leading days up to a month boundary, whole months, then trailing days
and hours), so a query touches O(months + 2*31 days + 2*24 hours) buckets at most.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal

from eventram.envelope import from_epoch_us, to_epoch_us
from eventram.errors import ValidationError

__all__ = [
    "HOUR_US",
    "INTERVALS",
    "Interval",
    "Level",
    "Piece",
    "bucket_key",
    "bucket_start",
    "coarsest_for",
    "decompose",
    "hour_of",
    "label",
    "utc",
]

HOUR_US = 3_600_000_000
"""Microseconds in an hour: the one bucket width every counter uses."""
_DAY_US = 24 * HOUR_US
_ZERO = timedelta(0)

Interval = Literal["hour", "day", "week", "month"]
INTERVALS: tuple[str, ...] = ("hour", "day", "week", "month")


class Level(enum.IntEnum):
    """Bucket sizes kept by the counters (finest first)."""

    HOUR = 0
    DAY = 1
    MONTH = 2


Piece = tuple[Level, int, int]
"""Buckets ``[start, stop)`` of one level."""


def _unknown_interval(interval: str) -> ValidationError:
    return ValidationError(
        f"Unknown interval {interval!r}: use one of {', '.join(INTERVALS)}.", field="interval"
    )


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
    raise _unknown_interval(interval)


def utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive datetime is refused."""
    offset = when.utcoffset()
    if offset is None:
        raise ValidationError(f"Time {when.isoformat()} has no time zone; use UTC.", field="time")
    return when if offset == _ZERO and when.tzinfo is UTC else when.astimezone(UTC)


def hour_of(when: datetime) -> int:
    """Hours since the epoch of an aware datetime (floored)."""
    return to_epoch_us(when) // HOUR_US


def month_of(when: datetime) -> int:
    """Months since year 0 of a UTC datetime."""
    return when.year * 12 + when.month - 1


def _month_first_day(month: int) -> int:
    return to_epoch_us(datetime(month // 12, month % 12 + 1, 1, tzinfo=UTC)) // _DAY_US


def bucket_start(level: Level, index: int) -> datetime:
    """The first instant of a bucket."""
    if level is Level.HOUR:
        return from_epoch_us(index * HOUR_US)
    if level is Level.DAY:
        return from_epoch_us(index * _DAY_US)
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@lru_cache(maxsize=65_536)
def label(level: Level, index: int, interval: str) -> str:
    """The label of the ``interval`` bucket (hour, day, week, month) holding a bucket."""
    return bucket_key(bucket_start(level, index), interval)


def decompose(h0: int, h1: int, coarsest: Level = Level.MONTH) -> list[Piece]:
    """Split hours ``[h0, h1)`` into pieces of levels up to ``coarsest``, in time order."""
    if h0 >= h1:
        return []
    if coarsest is Level.HOUR:
        return [(Level.HOUR, h0, h1)]
    d0, d1 = -(-h0 // 24), h1 // 24
    if d0 >= d1:
        return [(Level.HOUR, h0, h1)]
    head: list[Piece] = [(Level.HOUR, h0, d0 * 24)] if h0 < d0 * 24 else []
    tail: list[Piece] = [(Level.HOUR, d1 * 24, h1)] if d1 * 24 < h1 else []
    middle: list[Piece] = [(Level.DAY, d0, d1)]
    if coarsest is Level.MONTH:
        start = bucket_start(Level.DAY, d0)
        m0 = month_of(start) + (0 if start.day == 1 else 1)
        m1 = month_of(bucket_start(Level.DAY, d1))
        if m0 < m1:
            f0, f1 = _month_first_day(m0), _month_first_day(m1)
            middle = [
                *([(Level.DAY, d0, f0)] if d0 < f0 else []),
                (Level.MONTH, m0, m1),
                *([(Level.DAY, f1, d1)] if f1 < d1 else []),
            ]
    return [*head, *middle, *tail]


def coarsest_for(interval: str) -> Level:
    """The coarsest level whose buckets never straddle two ``interval`` buckets."""
    levels = {"hour": Level.HOUR, "day": Level.DAY, "week": Level.DAY, "month": Level.MONTH}
    level = levels.get(interval)
    if level is None:
        raise _unknown_interval(interval)
    return level
