"""Event type registry, msgpack/JSON encoding, and upcasters applied on decode.

An upcaster is a function from the dict of an old event shape (version N) to the dict of the next
shape (N + 1); the registry chains them from the stored version to the class's current
``schema_version`` before converting the dict to the event class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from eventram.errors import DecodeError, UnregisteredEventError, ValidationError
from eventram.messages import Event

__all__ = ["EventRegistry", "Upcaster", "registry"]

E = TypeVar("E", bound=Event)
Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_msgpack_encoder = msgspec.msgpack.Encoder()
_json_encoder = msgspec.json.Encoder()
_dict_decoder = msgspec.msgpack.Decoder(dict[str, Any])


def _all_subclasses(cls: type[Event]) -> list[type[Event]]:
    found: list[type[Event]] = []
    stack = list(cls.__subclasses__())
    while stack:
        sub = stack.pop()
        found.append(sub)
        stack.extend(sub.__subclasses__())
    return found


class EventRegistry:
    """Maps stored event type names to event classes and encodes/decodes their payloads.

    Classes are registered explicitly with :meth:`register`, or found on first use among the
    subclasses of :class:`Event` (so defining an event class is enough).
    """

    def __init__(self, *, discover: bool = True) -> None:
        self._by_name: dict[str, type[Event]] = {}
        self._decoders: dict[str, msgspec.msgpack.Decoder[Any]] = {}
        self.current: dict[str, tuple[type[Event], msgspec.msgpack.Decoder[Any]]] = {}
        """By type name: the registered class and its decoder, the one lookup that decoding a
        payload at the class's current schema version needs (read it, do not change it)."""
        self._upcasters: dict[tuple[str, int], Upcaster] = {}
        self._discover = discover

    def register(self, cls: type[E]) -> type[E]:
        """Register an event class under its ``event_type``; usable as a class decorator."""
        if not (isinstance(cls, type) and issubclass(cls, Event)):
            raise ValidationError(f"{cls!r} is not a subclass of eventram.Event", field="event")
        existing = self._by_name.get(cls.event_type)
        if existing is not None and existing is not cls:
            raise ValidationError(
                f"Event type {cls.event_type!r} is registered twice: by "
                f"{existing.__module__}.{existing.__qualname__} and "
                f"{cls.__module__}.{cls.__qualname__}; set event_type on one of them.",
                field="event_type",
            )
        self._by_name[cls.event_type] = cls
        decoder = msgspec.msgpack.Decoder(cls)
        self._decoders[cls.event_type] = decoder
        self.current[cls.event_type] = (cls, decoder)
        return cls

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Register a function turning version ``from_version`` of ``event_type`` into the next."""

        def decorate(fn: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = fn
            return fn

        return decorate

    def type_for(self, event_type: str) -> type[Event]:
        """Return the class registered for a stored type name."""
        cls = self._by_name.get(event_type)
        if cls is None and self._discover:
            for sub in _all_subclasses(Event):
                if sub.event_type == event_type:
                    cls = self.register(sub)
        if cls is None:
            raise UnregisteredEventError(event_type)
        return cls

    def check(self, event: Event) -> str:
        """Return the type name of an event instance, registering its class if needed."""
        cls = type(event)
        try:
            name = cls.event_type
        except AttributeError:  # not an Event at all (a dict, a plain object)
            raise UnregisteredEventError(cls.__qualname__) from None
        if self._by_name.get(name) is not cls:
            if not isinstance(event, Event):
                raise UnregisteredEventError(cls.__qualname__)
            self.register(cls)
        return name

    def encode(self, event: Event) -> bytes:
        """Encode an event's fields to msgpack."""
        return _msgpack_encoder.encode(event)

    def decode(self, event_type: str, payload: bytes, schema_version: int = 1) -> Event:
        """Decode a stored payload, upcasting it from ``schema_version`` to the current shape."""
        direct = self.current.get(event_type)
        if direct is not None and schema_version == direct[0].schema_version:
            try:
                event: Event = direct[1].decode(payload)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise DecodeError(event_type, str(exc)) from exc
            return event
        cls = self.type_for(event_type)
        try:
            if schema_version == cls.schema_version:
                decoded: Event = self._decoders[event_type].decode(payload)
                return decoded
            return msgspec.convert(
                self._upcast(event_type, _dict_decoder.decode(payload), schema_version, cls),
                cls,
            )
        except msgspec.DecodeError as exc:
            raise DecodeError(event_type, str(exc)) from exc
        except msgspec.ValidationError as exc:
            raise DecodeError(event_type, str(exc)) from exc

    def _upcast(
        self, event_type: str, data: dict[str, Any], version: int, cls: type[Event]
    ) -> dict[str, Any]:
        if version > cls.schema_version:
            raise DecodeError(
                event_type,
                f"stored schema version {version} is newer than the code's {cls.schema_version}",
            )
        while version < cls.schema_version:
            step = self._upcasters.get((event_type, version))
            if step is None:
                raise DecodeError(
                    event_type, f"no upcaster registered from schema version {version}"
                )
            data = step(data)
            version += 1
        return data

    def to_json(self, event: Event) -> bytes:
        """Encode an event's fields to JSON."""
        return _json_encoder.encode(event)

    def from_json(self, event_type: str, payload: bytes, schema_version: int = 1) -> Event:
        """Decode a JSON payload (upcasting as for msgpack)."""
        cls = self.type_for(event_type)
        try:
            data = msgspec.json.decode(payload, type=dict[str, Any])
            if schema_version != cls.schema_version:
                data = self._upcast(event_type, data, schema_version, cls)
            return msgspec.convert(data, cls)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise DecodeError(event_type, str(exc)) from exc


registry = EventRegistry()
"""The default registry, used by stores and envelopes unless told otherwise."""
