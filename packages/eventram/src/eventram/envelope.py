"""The envelope of a stored event, and the shape of an event proposed for appending."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import msgspec

from eventram.codec import EventRegistry, registry
from eventram.errors import DecodeError
from eventram.messages import Event

__all__ = [
    "NewEvent",
    "RecordedEvent",
    "envelope_type",
    "from_epoch_us",
    "new_event_id",
    "new_event_int",
    "to_epoch_us",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_fromtimestamp = datetime.fromtimestamp
# a float of seconds below 2**32 in magnitude is within half a microsecond of the exact time,
# so ``fromtimestamp`` rounds it back to the exact microsecond (years 1834 to 2106)
_FLOAT_EXACT_US = (1 << 32) * 1_000_000

# event ids need to be unique, not unpredictable: a generator of our own, seeded from
# os.urandom (and again in a forked child), draws them at a fifth of os.urandom's cost per id
# (bench/README.md); it is private so that an application seeding ``random`` cannot repeat ids
_ids = random.Random()
_random_bits = _ids.getrandbits
_NOT_V4 = ~(0xF << 76 | 0x3 << 62)
_V4 = 0x4 << 76 | 0x2 << 62  # version 4, RFC 4122 variant
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ids.seed)


def new_event_int() -> int:
    """A random version-4 UUID as its 128-bit integer (what envelopes keep)."""
    return _random_bits(128) & _NOT_V4 | _V4


def new_event_id() -> uuid.UUID:
    """A random version-4 UUID."""
    return uuid.UUID(int=new_event_int())


def to_epoch_us(when: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime (what envelopes keep)."""
    return (when - _EPOCH) // _ONE_US


def from_epoch_us(us: int) -> datetime:
    """The aware UTC datetime ``us`` microseconds after the Unix epoch."""
    if -_FLOAT_EXACT_US < us < _FLOAT_EXACT_US:
        return _fromtimestamp(us / 1_000_000, UTC)
    return _EPOCH + timedelta(0, 0, us)


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event proposed for appending, with an event id chosen by the caller.

    Choosing the id lets a retried append be recognised: the same ids in the same order return
    the first result. ``metadata`` is merged over the batch's metadata.
    """

    data: Event
    event_id: uuid.UUID = msgspec.field(default_factory=new_event_id)
    metadata: Mapping[str, str] | None = None


class RecordedEvent(msgspec.Struct, frozen=True, gc=False):
    """A stored event and everything known about it (the envelope).

    The event's fields are kept encoded (``payload``) to keep memory low; ``data`` decodes them
    into the typed event on each access, upcasting old shapes with the store's registry
    (:attr:`codec`). For the same reason the id and the time are kept as integers
    (``event_id_int``, ``recorded_at_us``): ``event_id`` and ``recorded_at`` give them as a
    ``UUID`` and an aware UTC ``datetime``.
    """

    position: int
    """Global position: 1-based, gap-free, strictly increasing across the store."""
    version: int
    """Version within the stream: 1-based."""
    stream_id: str
    stream_type: str
    event_type: str
    event_id_int: int
    """The event id as its 128-bit integer (``event_id.int``)."""
    recorded_at_us: int
    """When the event's batch was stored: microseconds since the Unix epoch, UTC."""
    correlation_id: str | None
    causation_id: str | None
    metadata: Mapping[str, str]
    payload: bytes
    schema_version: int = 1
    codec: ClassVar[EventRegistry] = registry
    """The registry that decodes ``data``: a store with a registry of its own builds its
    envelopes from :func:`envelope_type` (a class, not a field: it costs no memory per event)."""

    @property
    def event_id(self) -> uuid.UUID:
        """The event's id (unique in the store)."""
        return uuid.UUID(int=self.event_id_int)

    @property
    def recorded_at(self) -> datetime:
        """When the event's batch was stored, as an aware datetime in UTC."""
        return from_epoch_us(self.recorded_at_us)

    @property
    def data(self) -> Event:
        """The typed event, decoded from ``payload`` by the registry of the store that holds it."""
        # a registered type at its current schema version, without a call into the registry:
        # reading the log decodes every event, and that call is a third of the cost (the read
        # figure of bench/README.md); any other case goes through the registry's decode
        current = self.codec.current.get(self.event_type)
        if current is None or self.schema_version != current[0].schema_version:
            return self.codec.decode(self.event_type, self.payload, self.schema_version)
        try:
            event: Event = current[1].decode(self.payload)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise DecodeError(self.event_type, str(exc)) from exc
        return event

    def to_dict(self) -> dict[str, Any]:
        """The envelope as plain data (ids as strings, time in RFC 3339), for JSON answers."""
        return {
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "stream_id": self.stream_id,
            "stream_type": self.stream_type,
            "version": self.version,
            "position": self.position,
            "recorded_at": self.recorded_at.isoformat().replace("+00:00", "Z"),
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "metadata": dict(self.metadata),
            "data": msgspec.to_builtins(self.data),
        }


_envelope_types: dict[EventRegistry, type[RecordedEvent]] = {registry: RecordedEvent}


def envelope_type(event_registry: EventRegistry) -> type[RecordedEvent]:
    """The envelope class whose ``data`` decodes with ``event_registry`` (one per registry)."""
    found = _envelope_types.get(event_registry)
    if found is None:

        class _Envelope(RecordedEvent, frozen=True, gc=False):
            codec: ClassVar[EventRegistry] = event_registry

        _Envelope.__name__ = _Envelope.__qualname__ = "RecordedEvent"
        found = _envelope_types.setdefault(event_registry, _Envelope)
    return found
