"""Slicing a stream or the log for a read: the window a reader asked for, among what is visible."""

from __future__ import annotations

from eventram.envelope import RecordedEvent
from eventram.errors import ValidationError

__all__ = ["check_limit", "stream_window", "visible_prefix"]


def check_limit(limit: int | None) -> None:
    """Refuse a limit that is neither None nor an int >= 0."""
    if limit is not None and (type(limit) is not int or limit < 0):
        raise ValidationError(f"limit={limit!r} must be None or an int >= 0.", field="limit")


def visible_prefix(events: list[RecordedEvent], visible: int) -> list[RecordedEvent]:
    """A stream's events up to global position ``visible``: all of them, or a shorter copy."""
    if not events or events[-1].position <= visible:
        return events
    end = len(events)
    while end and events[end - 1].position > visible:
        end -= 1
    return events[:end]


def stream_window(
    events: list[RecordedEvent], from_version: int, limit: int | None, backwards: bool
) -> list[RecordedEvent]:
    """The events of a stream from ``from_version`` up (or down from it when ``backwards``).

    ``backwards`` with ``from_version`` <= 0 starts at the end of the stream.
    """
    if backwards:
        top = len(events) if from_version <= 0 else min(from_version, len(events))
        chosen = events[top - 1 :: -1] if top > 0 else []
        return chosen if limit is None else chosen[:limit]
    start = max(from_version, 1) - 1
    stop = len(events) if limit is None else min(len(events), start + limit)
    return events[start:stop]
