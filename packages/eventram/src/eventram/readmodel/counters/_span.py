"""Which hours of a range the buckets answer, and which closed edges the events answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from eventram.envelope import to_epoch_us
from eventram.errors import ValidationError
from eventram.readmodel.timebuckets import HOUR_US, Level, bucket_start, hour_of, utc

__all__ = ["Span", "exact_span", "widened_span"]

_TICK = timedelta(microseconds=1)


class Span(NamedTuple):
    """A range resolved against hour buckets.

    Buckets answer hours ``[first, stop)`` (None: from the first, or through the last, hour
    used); ``edges`` are the closed sub-ranges left at either end, answered fact by fact.
    """

    since: datetime | None
    until: datetime | None
    first: int | None
    stop: int | None
    edges: tuple[tuple[datetime, datetime], ...]


def _checked(
    since: datetime | None, until: datetime | None
) -> tuple[datetime | None, datetime | None]:
    since = None if since is None else utc(since)
    until = None if until is None else utc(until)
    if since is not None and until is not None and until < since:
        raise ValidationError(
            f"The range ends ({until.isoformat()}) before it starts ({since.isoformat()}).",
            field="until",
        )
    return since, until


def exact_span(since: datetime | None, until: datetime | None) -> Span:
    """``since <= t <= until`` exactly: whole hours from buckets, partial hours as edges."""
    since, until = _checked(since, until)
    first = None if since is None else -(-to_epoch_us(since) // HOUR_US)
    # an hour [h, h+1) lies inside when its last microsecond is <= until
    stop = None if until is None else (to_epoch_us(until) + 1) // HOUR_US
    if (
        since is not None
        and until is not None
        and first is not None
        and stop is not None
        and first >= stop
    ):
        return Span(since, until, 0, 0, ((since, until),))
    edges = []
    if since is not None and first is not None and since < bucket_start(Level.HOUR, first):
        edges.append((since, bucket_start(Level.HOUR, first) - _TICK))
    if until is not None and stop is not None and bucket_start(Level.HOUR, stop) <= until:
        edges.append((bucket_start(Level.HOUR, stop), until))
    return Span(since, until, first, stop, tuple(edges))


def widened_span(since: datetime | None, until: datetime | None) -> Span:
    """``since <= t < until`` widened to whole hours: ``since`` floored, ``until`` ceiled."""
    since, until = _checked(since, until)
    first = None if since is None else hour_of(since)
    stop = None
    if until is not None:
        stop = hour_of(until)
        if bucket_start(Level.HOUR, stop) < until:
            stop += 1
    return Span(
        None if first is None else bucket_start(Level.HOUR, first),
        None if stop is None else bucket_start(Level.HOUR, stop),
        first,
        stop,
        (),
    )
