"""Journal frames: ``crc32c | length | payload``, the payload a msgpack list of batches.

A frame holds what one store call committed (one batch, or several from a bulk append). The
CRC32C covers the length field and the payload, so a flipped length is caught like a flipped
payload byte. A batch is encoded as an array: the fields its events share (first position and
version, stream, time, correlation, causation, metadata) once, then one small array per event;
decoding goes through typed ``msgspec`` Structs and builds each ``RecordedEvent`` in one call.
An event id is 16 bytes (big-endian, the UUID's bytes) and a time a msgpack timestamp.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Final

import google_crc32c
import msgspec

from eventram.envelope import RecordedEvent, to_epoch_us
from eventram.errors import ValidationError

__all__ = [
    "EVENTS",
    "FRAME_HEADER",
    "MAX_PAYLOAD",
    "Batch",
    "Interner",
    "decode_event",
    "decode_into",
    "decode_payload",
    "encode_frame",
    "frame_at",
    "payload_decoder",
]

FRAME_HEADER = struct.Struct("<II")
"""CRC32C of (length field + payload), then the payload length, both little-endian u32."""
MAX_PAYLOAD = 1 << 28
"""Largest payload accepted (256 MiB); a larger length field can only be damage."""

_crc = google_crc32c.value
_extend = google_crc32c.extend
_pack = FRAME_HEADER.pack
_HEADER_SIZE = FRAME_HEADER.size
_unpack_header = FRAME_HEADER.unpack_from
_LENGTH = struct.Struct("<I")
_encoder = msgspec.msgpack.Encoder()
_from_bytes = int.from_bytes

# (event_id (16 bytes), event_type, payload, schema_version, metadata or None when it is the
# batch's)
_Entry = tuple[bytes, str, bytes, int, dict[str, str] | None]


# (position, version, stream_id, stream_type, recorded_at (microseconds since the epoch; a
#  msgpack timestamp in journals written before), correlation_id, causation_id, metadata (left
#  encoded, see Interner), events): decoded as a tuple, cheaper than a Struct
Batch = tuple[int, int, str, str, int | datetime, str | None, str | None, msgspec.Raw, list[_Entry]]

EVENTS: Final = 8
"""Index of a batch's events in a decoded batch (``Batch``)."""

_metadata_decoder = msgspec.msgpack.Decoder(dict[str, str])


class Interner:
    """Shares equal metadata dicts and type names among the events a reader decodes.

    Metadata such as a tenant and a user repeats across many events: one dict per distinct
    value instead of one per event keeps a recovered store as small as one built by appends.
    At most ``limit`` distinct metadata values are shared; rarer ones get their own dict.
    """

    def __init__(self, limit: int = 65_536) -> None:
        self.limit = limit
        self.metadata: dict[bytes, dict[str, str]] = {}
        self.names: dict[str, str] = {}

    def meta(self, raw: msgspec.Raw) -> dict[str, str]:
        """The shared dict for encoded metadata."""
        key = bytes(raw)
        found = self.metadata.get(key)
        if found is None:
            found = _metadata_decoder.decode(key)
            if len(self.metadata) < self.limit:
                self.metadata[key] = found
        return found


payload_decoder = msgspec.msgpack.Decoder(list[Batch])
"""Decodes a frame's payload: its batches as tuples (see ``Batch``)."""


def encode_frame(batches: Sequence[Sequence[RecordedEvent]]) -> bytes:
    """The bytes of one frame holding ``batches`` (each non-empty, events in order)."""
    if len(batches) == 1 and len(batches[0]) == 1:  # the usual frame: one command, one event
        (e,) = batches[0]
        payload = _encoder.encode(
            (
                (
                    e.position,
                    e.version,
                    e.stream_id,
                    e.stream_type,
                    e.recorded_at_us,
                    e.correlation_id,
                    e.causation_id,
                    e.metadata,
                    ((_id_bytes(e), e.event_type, e.payload, e.schema_version, None),),
                ),
            )
        )
        return _framed(payload)
    encoded = []
    for batch in batches:
        first = batch[0]
        meta = first.metadata
        entries: list[tuple[bytes, str, bytes, int, Mapping[str, str] | None]] = [
            (_id_bytes(first), first.event_type, first.payload, first.schema_version, None)
        ]
        for e in batch[1:]:
            own = e.metadata
            entries.append(
                (
                    _id_bytes(e),
                    e.event_type,
                    e.payload,
                    e.schema_version,
                    None if own is meta or own == meta else own,
                )
            )
        encoded.append(
            (
                first.position,
                first.version,
                first.stream_id,
                first.stream_type,
                first.recorded_at_us,
                first.correlation_id,
                first.causation_id,
                meta,
                entries,
            )
        )
    return _framed(_encoder.encode(encoded))


def _id_bytes(event: RecordedEvent) -> bytes:
    return event.event_id_int.to_bytes(16)  # what UUID.bytes gives


def _framed(payload: bytes) -> bytes:
    size = len(payload)
    if size > MAX_PAYLOAD:
        raise ValidationError(
            f"A journal frame of {size} bytes is over the {MAX_PAYLOAD}-byte limit; "
            "split the bulk append.",
            field="events",
        )
    return _pack(_extend(_crc(_LENGTH.pack(size)), payload), size) + payload


def frame_at(data: bytes, offset: int) -> tuple[int, str | None]:
    """Check the frame starting at ``offset``: ``(end, None)`` if sound, else ``(offset, why)``."""
    size = len(data)
    if offset + _HEADER_SIZE > size:
        return offset, f"incomplete frame header ({size - offset} of {_HEADER_SIZE} bytes)"
    crc, length = _unpack_header(data, offset)
    if length == 0 or length > MAX_PAYLOAD:
        return offset, f"impossible frame length {length}"
    end = offset + _HEADER_SIZE + length
    if end > size:
        return offset, f"frame of {length} bytes runs past the end of the file by {end - size}"
    if _crc(data[offset + 4 : end]) != crc:
        return offset, "CRC mismatch"
    return end, None


def decode_payload(
    payload: bytes | memoryview,
    interner: Interner | None = None,
    envelope: type[RecordedEvent] = RecordedEvent,
) -> list[list[RecordedEvent]]:
    """The batches of a frame's payload (raises ``msgspec`` errors on bad bytes)."""
    events: list[RecordedEvent] = []
    batches: list[list[RecordedEvent]] = []
    decoded = payload_decoder.decode(payload)
    for first, count in decode_into(decoded, interner or Interner(), events, envelope):
        batches.append(events[first : first + count])
    return batches


def decode_into(
    decoded: list[Batch],
    interner: Interner,
    events: list[RecordedEvent],
    envelope: type[RecordedEvent] = RecordedEvent,
) -> list[tuple[int, int]]:
    """Append the events of a decoded frame payload (``payload_decoder``) to ``events``.

    Each event is built as an ``envelope`` (the class of the store that will hold them).
    Returns each batch as ``(index in events, event count)``. Recovery keeps the events in one
    flat list, as the store's log does.
    """
    meta_of, names = interner.meta, interner.names
    batches: list[tuple[int, int]] = []
    event, append = envelope, events.append
    for (
        position,
        version,
        stream_id,
        stream_type,
        at,
        correlation,
        causation,
        raw_meta,
        entries,
    ) in decoded:
        meta = meta_of(raw_meta)
        if causation == correlation:  # one string for both, as appends share them
            causation = correlation
        stream_type = names.setdefault(stream_type, stream_type)
        at_us = at if type(at) is int else to_epoch_us(at)  # type: ignore[arg-type]
        batches.append((len(events), len(entries)))
        for i, (event_id, event_type, body, schema_version, own_meta) in enumerate(entries):
            append(
                event(
                    position + i,
                    version + i,
                    stream_id,
                    stream_type,
                    names.setdefault(event_type, event_type),
                    _from_bytes(event_id),
                    at_us,
                    correlation,
                    causation,
                    meta if own_meta is None else own_meta,
                    body,
                    schema_version,
                )
            )
    return batches


def decode_event(
    batch: Batch, interner: Interner, envelope: type[RecordedEvent] = RecordedEvent
) -> RecordedEvent:
    """The event of a batch of one event, as ``decode_into`` builds it.

    Recovery calls this once per usual frame: it skips the per-batch bookkeeping of
    ``decode_into``, which pays on the recovery bench (see ``JournalReader``).
    """
    position, version, stream_id, stream_type, at, correlation, causation, raw_meta, entries = batch
    event_id, event_type, body, schema_version, own_meta = entries[0]
    names = interner.names
    meta = interner.metadata.get(bytes(raw_meta)) if own_meta is None else own_meta
    if meta is None:  # not shared yet (the shared dict is looked up first: it pays per frame)
        meta = interner.meta(raw_meta)
    return envelope(
        position,
        version,
        stream_id,
        names.setdefault(stream_type, stream_type),
        names.setdefault(event_type, event_type),
        _from_bytes(event_id),
        at if type(at) is int else to_epoch_us(at),  # type: ignore[arg-type]
        correlation,
        correlation if causation == correlation else causation,
        meta,
        body,
        schema_version,
    )
