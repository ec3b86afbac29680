"""The envelope of a stored event, and the shape of an event proposed for appending."""

from __future__ import annotations

import os
import struct
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from eventram.codec import registry
from eventram.errors import DecodeError
from eventram.messages import Event

__all__ = [
    "NewEvent",
    "RecordedEvent",
    "from_epoch_us",
    "new_event_id",
    "new_event_int",
    "to_epoch_us",
    "uuid_of",
]

_ID_POOL: list[int] = []
_ID_BATCH = 256
_V4_VERSION = bytes((b & 0x0F) | 0x40 for b in range(256))  # byte 6: version 4
_V4_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))  # byte 8: RFC 4122 variant
_HALVES = struct.Struct(f">{2 * _ID_BATCH}Q")
_new_uuid = uuid.UUID.__new__
_set_field = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown
_direct = registry._direct  # type name -> (class, decoder) of the default registry

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_fromtimestamp = datetime.fromtimestamp
# a float of seconds below 2**32 in magnitude is within half a microsecond of the exact time,
# so ``fromtimestamp`` rounds it back to the exact microsecond (years 1834 to 2106)
_FLOAT_EXACT_US = (1 << 32) * 1_000_000


def _refill_ids() -> None:
    # the version and variant bits are set on the random bytes by table lookups (in C), so
    # making each id costs one shift and one or
    data = bytearray(os.urandom(_HALVES.size))
    data[6::16] = data[6::16].translate(_V4_VERSION)
    data[8::16] = data[8::16].translate(_V4_VARIANT)
    halves = _HALVES.unpack(data)
    _ID_POOL.extend([high << 64 | low for high, low in zip(halves[::2], halves[1::2], strict=True)])


def new_event_int() -> int:
    """A random version-4 UUID as its 128-bit integer (what envelopes keep), from ``os.urandom``.

    Random bytes are drawn 256 ids at a time; the pool is emptied in a forked child, so parent
    and child never hand out the same ids.
    """
    while True:
        try:
            return _ID_POOL.pop()  # atomic: threads never get the same value
        except IndexError:
            _refill_ids()


def uuid_of(value: int) -> uuid.UUID:
    """The UUID whose 128-bit integer is ``value`` (what ``UUID(int=value)`` gives, faster)."""
    # UUID(int=value) without its argument checks: value is a valid 128-bit int
    event_id = _new_uuid(uuid.UUID)
    _set_field(event_id, "int", value)
    _set_field(event_id, "is_safe", _UNKNOWN)
    return event_id


def new_event_id() -> uuid.UUID:
    """A random version-4 UUID, like ``uuid.uuid4()`` at a fraction of its cost."""
    return uuid_of(new_event_int())


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ID_POOL.clear)


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
    into the typed event on each access, upcasting old shapes. For the same reason the id and
    the time are kept as integers (``event_id_int``, ``recorded_at_us``): ``event_id`` and
    ``recorded_at`` give them as a ``UUID`` and an aware UTC ``datetime``.
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

    @property
    def event_id(self) -> uuid.UUID:
        """The event's id (unique in the store)."""
        return uuid_of(self.event_id_int)

    @property
    def recorded_at(self) -> datetime:
        """When the event's batch was stored, as an aware datetime in UTC."""
        return from_epoch_us(self.recorded_at_us)

    @property
    def data(self) -> Event:
        """The typed event, decoded from ``payload``."""
        # the common case inline (a registered type at its current schema version): reading
        # the log decodes every event, and the call into the registry is a third of the cost
        direct = _direct.get(self.event_type)
        if direct is not None and self.schema_version == direct[0].schema_version:
            try:
                event: Event = direct[1].decode(self.payload)
            except (msgspec.DecodeError, msgspec.ValidationError) as exc:
                raise DecodeError(self.event_type, str(exc)) from exc
            return event
        return registry.decode(self.event_type, self.payload, self.schema_version)

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
