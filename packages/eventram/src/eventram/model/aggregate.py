"""Aggregate base: decide (check invariants), record (events), apply (mutate state).

A command method checks its invariants and either raises a domain error or calls
:meth:`Aggregate.record`; ``apply`` only mutates state and never raises, and replay uses the
same ``apply``. Subclasses dispatch ``apply`` explicitly (a ``match`` or ``singledispatchmethod``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar, Self

from eventram.envelope import RecordedEvent
from eventram.messages import Event

__all__ = ["Aggregate"]


class Aggregate:
    """Base of event-sourced aggregates; ``id`` is the stream id, ``version`` its last event's."""

    stream_type: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "stream_type" not in cls.__dict__:
            cls.stream_type = cls.__name__

    def __init__(self, id: str) -> None:
        self.id = id
        self.version = 0
        self._pending: list[Event] = []

    def apply(self, event: Event) -> None:
        """Mutate state for one event. Must not raise: events are facts."""
        raise NotImplementedError(f"{type(self).__qualname__} must implement apply(event)")

    def record(self, event: Event) -> None:
        """Apply a new event and keep it until the repository saves it."""
        self.apply(event)
        self.version += 1
        self._pending.append(event)

    @property
    def pending_events(self) -> list[Event]:
        """Events recorded since the aggregate was loaded or last saved."""
        return list(self._pending)

    @property
    def saved_version(self) -> int:
        """The version the stored stream had when this aggregate was loaded or saved."""
        return self.version - len(self._pending)

    def mark_saved(self) -> list[Event]:
        """Forget the pending events (they were appended) and return them."""
        pending, self._pending = self._pending, []
        return pending

    def replay(self, events: Iterable[RecordedEvent]) -> Self:
        """Apply stored events, in order, to bring the aggregate up to date."""
        for recorded in events:
            self.apply(recorded.data)
            self.version = recorded.version
        return self

    def snapshot_state(self) -> Any:
        """State as plain data (msgspec-encodable), for snapshots; override to enable them."""
        raise NotImplementedError(f"{type(self).__qualname__} does not support snapshots")

    def restore_state(self, state: Any) -> None:
        """Set state from :meth:`snapshot_state`'s output; override to enable snapshots."""
        raise NotImplementedError(f"{type(self).__qualname__} does not support snapshots")
