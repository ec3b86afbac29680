"""Journal frames: envelopes survive encoding, and frames written before keep decoding the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec

from eventram import AppendRequest, InMemoryEventStore, NewEvent
from eventram.store.journal.frame import FRAME_HEADER, decode_payload, encode_frame
from tests.contract.event_store_contract import ManualClock
from tests.contract.events import ItemAdded, ItemRemoved

WHEN = datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)


def test_a_frame_of_several_batches_decodes_to_equal_envelopes() -> None:
    # given batches stored by a bulk append: several events, own metadata, message ids
    store = InMemoryEventStore(clock=ManualClock(WHEN))
    store.append("solo", [ItemAdded(sku="x")], metadata={"organization_id": "org-1"})
    store.append_many(
        [
            AppendRequest(
                stream_id="cart-1",
                events=[
                    ItemAdded(sku="a"),
                    NewEvent(data=ItemRemoved(sku="a"), metadata={"user_id": "u-2"}),
                ],
                correlation_id="corr-1",
                causation_id="cmd-1",
            ),
            AppendRequest(stream_id="cart-2", events=[ItemAdded(sku="b")]),
        ]
    )
    solo, *bulk = store.read_all()

    # when each call's batches are framed and the payloads decoded
    decoded = [
        decode_payload(frame[FRAME_HEADER.size :])
        for frame in (encode_frame([[solo]]), encode_frame([bulk[:2], bulk[2:]]))
    ]

    # then every field reads back the same, ids and times included
    assert decoded == [[[solo]], [bulk[:2], bulk[2:]]]
    assert [e.event_id for batch in decoded[1] for e in batch] == [e.event_id for e in bulk]
    assert {e.recorded_at for batch in decoded[1] for e in batch} == {WHEN}


def test_a_frame_holding_uuids_and_datetimes_decodes_to_the_same_ids_and_times() -> None:
    # given a payload in the journal's format: ids as 16-byte UUIDs, times as msgpack timestamps
    # (how frames were encoded when envelopes held UUID and datetime objects)
    event_id = uuid.uuid4()
    payload = msgspec.msgpack.Encoder(uuid_format="bytes").encode(
        [
            (
                7,
                1,
                "cart-1",
                "Cart",
                WHEN,
                None,
                None,
                {"organization_id": "org-1"},
                [
                    (
                        event_id,
                        ItemAdded.event_type,
                        msgspec.msgpack.encode(ItemAdded(sku="a")),
                        1,
                        None,
                    )
                ],
            )
        ]
    )

    # when it is decoded
    ((event,),) = decode_payload(payload)

    # then the envelope gives the same UUID and time
    assert event.event_id == event_id
    assert event.recorded_at == WHEN
    assert (event.position, event.version, event.stream_id) == (7, 1, "cart-1")
    assert event.data == ItemAdded(sku="a")
