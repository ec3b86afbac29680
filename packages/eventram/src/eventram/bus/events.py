"""EventBus: delivers committed events to in-process subscribers, isolating their failures."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from eventram.envelope import RecordedEvent

__all__ = ["EventBus", "EventHandler"]

EventHandler = Callable[[RecordedEvent], None]


class EventBus:
    """Calls every subscriber of an event's type (or of all types) with each committed event.

    Attach it to a store with ``store.add_listener(bus.publish)``. A subscriber that raises is
    logged with the event's position and type and the others still run; ``failures`` counts them.
    """

    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._by_type: dict[str, list[EventHandler]] = {}
        self._all: list[EventHandler] = []
        self._logger = logger or logging.getLogger("eventram.events")
        self._lock = threading.Lock()
        self.failures = 0

    def subscribe(self, handler: EventHandler, event_types: Sequence[str] | None = None) -> None:
        """Call ``handler`` for events of these types (every event when None)."""
        with self._lock:
            if event_types is None:
                self._all.append(handler)
            else:
                for event_type in event_types:
                    self._by_type.setdefault(event_type, []).append(handler)

    def publish(self, events: Sequence[RecordedEvent]) -> None:
        """Deliver a batch of committed events, in order."""
        for event in events:
            for handler in (*self._all, *self._by_type.get(event.event_type, ())):
                try:
                    handler(event)
                except Exception:
                    self.failures += 1
                    self._logger.exception(
                        "event subscriber %s failed on %s at position %d",
                        getattr(handler, "__qualname__", repr(handler)),
                        event.event_type,
                        event.position,
                    )
