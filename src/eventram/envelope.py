"""The envelope of a stored event, and the shape of an event proposed for appending."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec

from eventram.codec import registry
from eventram.messages import Event

__all__ = ["NewEvent", "RecordedEvent"]


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event proposed for appending, with an event id chosen by the caller.

    Choosing the id lets a retried append be recognised: the same ids in the same order return
    the first result. ``metadata`` is merged over the batch's metadata.
    """

    data: Event
    event_id: uuid.UUID = msgspec.field(default_factory=uuid.uuid4)
    metadata: Mapping[str, str] | None = None


class RecordedEvent(msgspec.Struct, frozen=True, gc=False):
    """A stored event and everything known about it (the envelope).

    The event's fields are kept encoded (``payload``) to keep memory low; ``data`` decodes them
    into the typed event on each access, upcasting old shapes.
    """

    position: int
    """Global position: 1-based, gap-free, strictly increasing across the store."""
    version: int
    """Version within the stream: 1-based."""
    stream_id: str
    stream_type: str
    event_type: str
    event_id: uuid.UUID
    recorded_at: datetime
    correlation_id: str | None
    causation_id: str | None
    metadata: Mapping[str, str]
    payload: bytes
    schema_version: int = 1

    @property
    def data(self) -> Event:
        """The typed event, decoded from ``payload``."""
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
