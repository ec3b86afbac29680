"""What a projection is: a name, the event types it handles, and a factory for its state."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from eventram.codec import EventRegistry, registry
from eventram.envelope import RecordedEvent
from eventram.errors import ValidationError
from eventram.messages import Event

__all__ = ["EventHandler", "Projection"]

S = TypeVar("S")

EventHandler = Callable[[S, Any, RecordedEvent], None]
"""``handler(state, event, envelope)``: update the state with one event (typed) and its envelope."""


class Projection(Generic[S]):
    """A read model definition: which event types it handles, how, and how to make fresh state.

    ``handlers`` maps an event class (or its stored type name) to a function
    ``(state, event, envelope) -> None``. Every type must be known to the registry when the
    projection is declared, so a typo fails at start-up with ``UnregisteredEventError`` rather
    than silently never matching. ``state`` builds an empty state (its collections); a rebuild
    calls it again to fill a shadow copy from position 0. ``dump`` and ``load`` (both or
    neither) turn a state into bytes and back, so it can be snapshotted with its position and a
    restart replays only the events after it.
    """

    def __init__(
        self,
        name: str,
        handlers: Mapping[type[Event] | str, EventHandler[S]],
        state: Callable[[], S],
        *,
        dump: Callable[[S], bytes] | None = None,
        load: Callable[[bytes], S] | None = None,
        event_registry: EventRegistry = registry,
    ) -> None:
        if (dump is None) != (load is None):
            raise ValidationError(
                f"Projection {name!r} needs both dump and load to be snapshotted, or neither.",
                field="dump",
            )
        if not isinstance(name, str) or not name:
            raise ValidationError(
                f"Projection name {name!r} must be a non-empty string.", field="name"
            )
        if not handlers:
            raise ValidationError(f"Projection {name!r} handles no event type.", field="handlers")
        self.name = name
        self.state_factory = state
        self.dump = dump
        self.load = load
        self.registry = event_registry
        self._handlers: dict[str, EventHandler[S]] = {}
        for key, handler in handlers.items():
            event_type = _type_name(key, event_registry)
            if event_type in self._handlers:
                raise ValidationError(
                    f"Projection {name!r} declares two handlers for {event_type!r}.",
                    field="handlers",
                )
            self._handlers[event_type] = handler

    @property
    def event_types(self) -> frozenset[str]:
        """The stored type names this projection handles."""
        return frozenset(self._handlers)

    def handler_for(self, event_type: str) -> EventHandler[S] | None:
        """The handler of a stored type name, or None when this projection ignores it."""
        return self._handlers.get(event_type)

    def new_state(self) -> S:
        """A fresh, empty state."""
        return self.state_factory()

    def __repr__(self) -> str:
        return f"Projection({self.name!r}, {sorted(self._handlers)})"


def _type_name(key: type[Event] | str, event_registry: EventRegistry) -> str:
    """The stored type name of a handler key, checked against the registry."""
    if isinstance(key, str):
        return event_registry.type_for(key).event_type
    if isinstance(key, type) and issubclass(key, Event):
        event_registry.type_for(key.event_type)
        return key.event_type
    raise ValidationError(
        f"Handler key {key!r} is neither an eventram.Event subclass nor a type name.",
        field="handlers",
    )
