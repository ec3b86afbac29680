"""Journal frames: what is written reads back the same, including frames of older journals."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from eventram import registry
from eventram.envelope import RecordedEvent, to_epoch_us
from eventram.store.journal.frame import (
    EVENTS,
    FRAME_HEADER,
    Interner,
    decode_event,
    decode_into,
    decode_payload,
    encode_frame,
    payload_decoder,
)
from tests.contract.events import ItemAdded


def _event(position: int, when: datetime) -> RecordedEvent:
    data = ItemAdded(sku=f"sku-{position}")
    return RecordedEvent(
        position,
        position,
        "cart-1",
        "cart",
        registry.check(data),
        uuid.uuid4().int,
        to_epoch_us(when),
        "corr",
        None,
        {"organization_id": "org-1"},
        registry.encode(data),
    )


def test_a_frame_reads_back_as_the_events_written() -> None:
    # given two events in one batch
    when = datetime(2026, 11, 24, 6, 30, 15, 123456, tzinfo=UTC)
    batch = [_event(1, when), _event(2, when)]
    # when they are framed and the payload decoded
    frame = encode_frame([batch])
    # then the same envelopes come back
    assert decode_payload(frame[FRAME_HEADER.size :]) == [batch]


def test_a_frame_from_an_older_journal_with_a_msgpack_timestamp_still_reads() -> None:
    # given a payload as journals before microsecond integers wrote it (a datetime)
    when = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    event = _event(1, when)
    payload = msgspec.msgpack.encode(
        [
            (
                1,
                1,
                "cart-1",
                "cart",
                when,
                "corr",
                None,
                {"organization_id": "org-1"},
                [(event.event_id.bytes, event.event_type, event.payload, 1, None)],
            )
        ]
    )
    # when it is decoded
    ((decoded,),) = decode_payload(payload)
    # then the time is the same instant
    assert decoded == event
    assert decoded.recorded_at == when


@pytest.mark.parametrize("legacy_time", [False, True], ids=["microseconds", "msgpack-timestamp"])
def test_the_one_event_decoder_builds_what_the_general_decoder_builds(legacy_time: bool) -> None:
    # given the payload of a frame of one batch of one event
    when = datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    event = _event(7, when)
    at: int | datetime = when if legacy_time else event.recorded_at_us
    payload = msgspec.msgpack.encode(
        [
            (
                7,
                7,
                "cart-1",
                "cart",
                at,
                "corr",
                None,
                {"organization_id": "org-1"},
                [(event.event_id.bytes, event.event_type, event.payload, 1, None)],
            )
        ]
    )
    decoded = payload_decoder.decode(payload)
    # when it is decoded by the one-event path and by the general one
    events: list[RecordedEvent] = []
    decode_into(decoded, Interner(), events)
    # then both build the same envelope
    assert len(decoded) == 1
    assert len(decoded[0][EVENTS]) == 1
    assert decode_event(decoded[0], Interner()) == event == events[0]
