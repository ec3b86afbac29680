"""The store's lazy indexes agree with a scan of the log, however they catch up.

Appends (one at a time and in bulk, new and existing streams, several event types, shared and
private metadata, message ids, a clock that crosses hours) are interleaved with reads that make
the indexes catch up at random points; every index-backed answer must equal the same question
answered by filtering the whole log.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventram import ANY, AppendRequest, EventQuery, InMemoryEventStore, RecordedEvent
from tests.contract.event_store_contract import T0, ManualClock
from tests.contract.events import CartOpened, ItemAdded, ItemRemoved

SCALE = int(os.environ.get("EVENTRAM_STRESS", "1"))

ORGS = ["o-1", "o-2"]
USERS = ["u-1", "u-2", "u-3"]
STREAMS = [f"s-{i}" for i in range(6)]

# metadata: shared (both indexed fields), one field only, an extra field, or none
metadatas = st.one_of(
    st.builds(
        lambda o, u: {"organization_id": o, "user_id": u},
        st.sampled_from(ORGS),
        st.sampled_from(USERS),
    ),
    st.builds(lambda o: {"organization_id": o}, st.sampled_from(ORGS)),
    st.builds(
        lambda o, u: {"organization_id": o, "user_id": u, "ip": "10.0.0.1"},
        st.sampled_from(ORGS),
        st.sampled_from(USERS),
    ),
    st.none(),
)
kinds = st.sampled_from(["added", "removed", "opened"])
message_ids = st.sampled_from([None, "m-1", "m-2"])
# (stream, event kinds, metadata, correlation id, causation id)
requests = st.tuples(
    st.sampled_from(STREAMS),
    st.lists(kinds, min_size=1, max_size=3),
    metadatas,
    message_ids,
    message_ids,
)
# each step: appended one by one or in bulk, the minutes the clock moves, and whether a read
# makes the indexes catch up after it
steps = st.lists(
    st.tuples(
        st.lists(requests, min_size=1, max_size=5), st.booleans(), st.integers(0, 90), st.booleans()
    ),
    min_size=1,
    max_size=12,
)


Request = tuple[str, list[str], dict[str, str] | None, str | None, str | None]
Step = tuple[list[Request], bool, int, bool]

OWNER_FIELDS = ("organization_id", "user_id")
"""The metadata fields the stores under test index (and count by)."""


def _event(kind: str, n: int) -> ItemAdded | ItemRemoved | CartOpened:
    if kind == "added":
        return ItemAdded(sku=str(n))
    if kind == "removed":
        return ItemRemoved(sku=str(n))
    return CartOpened(customer=str(n))


def _play(plan: list[Step]) -> InMemoryEventStore:
    clock = ManualClock(T0)
    store = InMemoryEventStore(metadata_fields=OWNER_FIELDS, clock=clock)
    n = 0
    for batch, bulk, minutes, read in plan:
        clock.advance(minutes=minutes)
        if bulk:
            seen: set[str] = set()
            chosen: list[AppendRequest] = []
            for stream, events, meta, corr, cause in batch:
                if stream not in seen:
                    seen.add(stream)
                    chosen.append(
                        AppendRequest(
                            stream_id=stream,
                            events=[_event(k, n + i) for i, k in enumerate(events)],
                            expected_version=ANY,
                            stream_type="Cart",
                            metadata=meta,
                            correlation_id=corr,
                            causation_id=cause,
                        )
                    )
                    n += len(events)
            assert store.append_many(chosen).ok
        else:
            for stream, events, meta, corr, cause in batch:
                store.append(
                    stream,
                    [_event(k, n + i) for i, k in enumerate(events)],
                    ANY,
                    stream_type="Cart" if n % 2 else "Basket",
                    metadata=meta,
                    correlation_id=corr,
                    causation_id=cause,
                )
                n += len(events)
        if read:
            store.find(EventQuery(event_types=[ItemAdded.event_type], limit=1))
    return store


def _positions(events: list[RecordedEvent]) -> list[int]:
    return [e.position for e in events]


@settings(max_examples=60 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_every_index_answers_as_a_scan_of_the_log(plan: list[Step]) -> None:
    store = _play(plan)
    log = store.read_all()

    for org in ORGS:
        expected = [e for e in log if e.metadata.get("organization_id") == org]
        assert _positions(
            store.find(EventQuery(metadata={"organization_id": org}, limit=None))
        ) == _positions(expected)
    for user in USERS:
        expected = [e for e in log if e.metadata.get("user_id") == user]
        assert _positions(
            store.find(EventQuery(metadata={"user_id": user}, limit=None))
        ) == _positions(expected)
        both = {"organization_id": ORGS[0], "user_id": user}
        expected = [e for e in log if all(e.metadata.get(k) == v for k, v in both.items())]
        assert _positions(store.find(EventQuery(metadata=both, limit=None))) == _positions(expected)
    for cls in (ItemAdded, ItemRemoved, CartOpened):
        expected = [e for e in log if e.event_type == cls.event_type]
        assert _positions(
            store.find(EventQuery(event_types=[cls.event_type], limit=None))
        ) == _positions(expected)
    for stream_type in ("Cart", "Basket"):
        expected = [e for e in log if e.stream_type == stream_type]
        assert _positions(
            store.find(EventQuery(stream_types=[stream_type], limit=None))
        ) == _positions(expected)
    for message_id in ("m-1", "m-2"):
        expected = [e for e in log if e.correlation_id == message_id]
        assert _positions(
            store.find(EventQuery(correlation_id=message_id, limit=None))
        ) == _positions(expected)
        expected = [e for e in log if e.causation_id == message_id]
        assert _positions(
            store.find(EventQuery(causation_id=message_id, limit=None))
        ) == _positions(expected)
