"""Properties of the in-memory store's appends and reads, and a stateful test against a model.

The model is a dict of lists (stream id -> event ids) plus the global log; the state machine
drives the store and the model with random appends, conflicts, idempotent retries, bulk appends
and reads, and checks after every step that both agree.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from eventram import (
    ANY,
    NO_STREAM,
    STREAM_EXISTS,
    AppendRequest,
    AppendResult,
    ConcurrencyError,
    DuplicateEventIdError,
    EventQuery,
    InMemoryEventStore,
    NewEvent,
    RecordedEvent,
)
from tests.contract.event_store_contract import T0, ManualClock
from tests.contract.events import CartOpened, ItemAdded, ItemRemoved

STREAMS = ["s-a", "s-b", "s-c", "s-d"]
TYPES: dict[str, type[ItemAdded] | type[ItemRemoved]] = {"added": ItemAdded, "removed": ItemRemoved}

streams = st.sampled_from(STREAMS)
batch_sizes = st.integers(min_value=1, max_value=4)
# (stream, batch size, event kind) for a plain append
appends = st.lists(
    st.tuples(streams, batch_sizes, st.sampled_from(sorted(TYPES))), min_size=1, max_size=25
)

SCALE = int(os.environ.get("EVENTRAM_STRESS", "1"))
"""Multiplies the examples tried (``EVENTRAM_STRESS=20`` for a long hunt outside make test)."""

FAST = settings(
    max_examples=100 * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

OWNER_FIELDS = ("organization_id", "user_id")
"""The metadata fields the stores under test index (and count by)."""


def _fill(
    plan: list[tuple[str, int, str]], store: InMemoryEventStore | None = None
) -> InMemoryEventStore:
    store = store or InMemoryEventStore(metadata_fields=OWNER_FIELDS)
    for n, (stream, size, kind) in enumerate(plan):
        cls = TYPES[kind]
        store.append(stream, [cls(sku=f"{n}-{i}") for i in range(size)], ANY)
    return store


@FAST
@given(appends)
def test_the_log_is_the_concatenation_of_batches_in_append_order(
    plan: list[tuple[str, int, str]],
) -> None:
    store = _fill(plan)

    log = store.read_all()

    expected_skus = [f"{n}-{i}" for n, (_, size, _) in enumerate(plan) for i in range(size)]
    assert [getattr(e.data, "sku", None) for e in log] == expected_skus
    assert [e.position for e in log] == list(range(1, len(log) + 1))
    assert store.last_position() == len(log)


@FAST
@given(appends)
def test_each_stream_is_the_log_filtered_by_stream_with_versions_from_one(
    plan: list[tuple[str, int, str]],
) -> None:
    store = _fill(plan)
    log = store.read_all()

    for stream in STREAMS:
        events = store.read_stream(stream)
        assert events == [e for e in log if e.stream_id == stream]
        assert [e.version for e in events] == list(range(1, len(events) + 1))
        assert store.stream_version(stream) == len(events)


@FAST
@given(
    appends,
    st.integers(min_value=-2, max_value=120),
    st.one_of(st.none(), st.integers(min_value=0, max_value=120)),
)
def test_read_all_after_a_position_with_a_limit_is_a_slice_of_the_log(
    plan: list[tuple[str, int, str]], after: int, limit: int | None
) -> None:
    store = _fill(plan)
    log = store.read_all()
    start = max(after, 0)

    assert store.read_all(after, limit) == log[start : None if limit is None else start + limit]


@FAST
@given(
    appends,
    streams,
    st.integers(min_value=-2, max_value=40),
    st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
)
def test_read_stream_forwards_and_backwards_are_slices_of_the_stream(
    plan: list[tuple[str, int, str]], stream: str, from_version: int, limit: int | None
) -> None:
    store = _fill(plan)
    whole = store.read_stream(stream)
    start = max(from_version, 1) - 1
    top = len(whole) if from_version <= 0 else min(from_version, len(whole))
    backwards = whole[:top][::-1]

    assert store.read_stream(stream, from_version, limit) == whole[start:][:limit]
    assert store.read_stream(stream, from_version, limit, backwards=True) == backwards[:limit]


@FAST
@given(
    appends,
    st.sets(st.sampled_from(sorted(t.event_type for t in TYPES.values()))),
    st.sets(streams),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=1, max_value=30),
)
def test_find_pages_are_the_filtered_log(
    plan: list[tuple[str, int, str]],
    event_types: set[str],
    stream_ids: set[str],
    after: int,
    limit: int,
) -> None:
    store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
    for n, (stream, size, kind) in enumerate(plan):
        events = [TYPES[kind](sku=f"{n}-{i}") for i in range(size)]
        store.append(stream, events, ANY, metadata={"organization_id": stream})
    orgs = sorted(stream_ids)
    expected = [
        e
        for e in store.read_all()
        if (not event_types or e.event_type in event_types)
        and (not orgs or e.metadata["organization_id"] == orgs[0])
    ]
    criteria = {
        "event_types": sorted(event_types) or None,
        "metadata": {"organization_id": orgs[0]} if orgs else None,
    }

    found = store.find(EventQuery(**criteria, after_position=after, limit=limit))  # type: ignore[arg-type]

    assert found == [e for e in expected if e.position > after][:limit]
    assert store.count(EventQuery(**criteria)) == len(expected)  # type: ignore[arg-type]


# minutes since T0 of successive appends; the clock may step back, the store keeps order
offsets = st.lists(st.integers(min_value=0, max_value=4 * 24 * 60), min_size=1, max_size=40)
instants = st.integers(min_value=-60, max_value=5 * 24 * 60).map(
    lambda m: T0 + timedelta(minutes=m, seconds=m % 7)
)


def _clocked(minutes: list[int]) -> InMemoryEventStore:
    clock = ManualClock()
    store = InMemoryEventStore(metadata_fields=OWNER_FIELDS, clock=clock)
    for n, m in enumerate(minutes):
        clock.set(T0 + timedelta(minutes=m))
        meta = {"organization_id": f"o-{n % 3}", "user_id": f"u-{n % 2}"}
        event: ItemAdded | CartOpened = (
            ItemAdded(sku=str(n)) if n % 4 else CartOpened(customer=str(n))
        )
        store.append(f"s-{n % 5}", [event], ANY, metadata=meta)
    return store


@FAST
@given(offsets, instants, instants)
def test_time_range_finds_exactly_the_events_recorded_in_the_range(
    minutes: list[int], a: datetime, b: datetime
) -> None:
    store = _clocked(minutes)
    since, until = min(a, b), max(a, b)
    log = store.read_all()

    assert [e.recorded_at for e in log] == sorted(e.recorded_at for e in log)
    assert store.find(EventQuery(since=since, until=until, limit=None)) == [
        e for e in log if since <= e.recorded_at <= until
    ]


# -- the stateful test -------------------------------------------------------------------------


class Batch:
    """A batch the model knows was stored: its ids (to retry it) and its first result."""

    def __init__(self, stream: str, events: list[NewEvent], result: AppendResult) -> None:
        self.stream = stream
        self.events = events
        self.result = result


class StoreMachine(RuleBasedStateMachine):
    """Drives an InMemoryEventStore and a dict-of-lists model side by side."""

    batches = Bundle("batches")

    def __init__(self) -> None:
        super().__init__()
        self.store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
        self.model: dict[str, list[uuid.UUID]] = {}
        self.log: list[uuid.UUID] = []
        self.counter = 0
        self.subscription = self.store.subscribe()
        self.followed: list[uuid.UUID] = []
        self.position_of: dict[uuid.UUID, int] = {}

    def _events(self, size: int) -> list[NewEvent]:
        self.counter += 1
        return [NewEvent(data=ItemAdded(sku=f"{self.counter}-{i}")) for i in range(size)]

    def _record(self, stream: str, events: list[NewEvent]) -> None:
        ids = [e.event_id for e in events]
        self.model.setdefault(stream, []).extend(ids)
        for event_id in ids:
            self.log.append(event_id)
            self.position_of[event_id] = len(self.log)

    def _version(self, stream: str) -> int:
        return len(self.model.get(stream, []))

    @rule(target=batches, stream=streams, size=batch_sizes, exact=st.booleans())
    def append_at_the_right_version(self, stream: str, size: int, exact: bool) -> Batch:
        version = self._version(stream)
        expected = version if exact else (NO_STREAM if version == 0 else STREAM_EXISTS)
        events = self._events(size)

        result = self.store.append(stream, events, expected, metadata={"organization_id": stream})

        assert (result.first_version, result.version) == (version + 1, version + size)
        assert (result.first_position, result.position) == (
            len(self.log) + 1,
            len(self.log) + size,
        )
        self._record(stream, events)
        return Batch(stream, events, result)

    @rule(stream=streams, size=batch_sizes, wrong=st.sampled_from(["stale", "ahead", "named"]))
    def append_at_a_wrong_version_conflicts(self, stream: str, size: int, wrong: str) -> None:
        version = self._version(stream)
        if wrong == "named":
            expected = STREAM_EXISTS if version == 0 else NO_STREAM
        elif wrong == "stale" and version > 0:
            expected = version - 1
        else:
            expected = version + 1

        with pytest.raises(ConcurrencyError) as caught:
            self.store.append(stream, self._events(size), expected)

        assert caught.value.actual == version

    @rule(batch=batches)
    def retry_returns_the_first_result(self, batch: Batch) -> None:
        assert self.store.append(batch.stream, batch.events, ANY) == batch.result

    @rule(batch=batches, stream=streams)
    def reusing_a_stored_id_in_a_new_batch_is_refused(self, batch: Batch, stream: str) -> None:
        with pytest.raises(DuplicateEventIdError):
            self.store.append(stream, [*self._events(1), batch.events[0]], ANY)

    @rule(
        plan=st.lists(
            st.tuples(streams, batch_sizes, st.booleans()),
            min_size=1,
            max_size=4,
            unique_by=lambda t: t[0],
        )
    )
    def append_many_appends_the_right_versions_and_refuses_the_rest(
        self, plan: list[tuple[str, int, bool]]
    ) -> None:
        requests = []
        for stream, size, right in plan:
            version = self._version(stream)
            expected = version if right else version + 1
            requests.append(
                AppendRequest(
                    stream_id=stream,
                    events=self._events(size),
                    expected_version=expected,
                    metadata={"organization_id": stream},
                )
            )

        bulk = self.store.append_many(requests)

        for request, (_, _, right) in zip(requests, plan, strict=True):
            if right:
                assert request.stream_id in bulk.results
                self._record(request.stream_id, list(request.events))  # type: ignore[arg-type]
            else:
                assert isinstance(bulk.errors[request.stream_id], ConcurrencyError)

    @rule(
        stream=streams,
        from_version=st.integers(min_value=0, max_value=30),
        limit=st.one_of(st.none(), st.integers(min_value=0, max_value=10)),
    )
    def read_stream_matches_the_model(
        self, stream: str, from_version: int, limit: int | None
    ) -> None:
        ids = self.model.get(stream, [])
        start = max(from_version, 1) - 1
        got = self.store.read_stream(stream, from_version, limit)
        assert [e.event_id for e in got] == ids[start:][:limit]

    @precondition(lambda self: bool(self.log))
    @rule(data=st.data())
    def read_all_pages_match_the_model(self, data: st.DataObject) -> None:
        after = data.draw(st.integers(min_value=0, max_value=len(self.log)))
        limit = data.draw(st.integers(min_value=1, max_value=10))
        got = self.store.read_all(after, limit)
        assert [e.event_id for e in got] == self.log[after : after + limit]

    @rule(most=st.integers(min_value=1, max_value=12))
    def a_subscription_follows_the_log_in_order(self, most: int) -> None:
        for _ in range(most):
            event = self.subscription.next(timeout=0)
            if event is None:
                break
            self.followed.append(event.event_id)
        assert len(self.followed) <= len(self.log)
        assert self.followed == self.log[: len(self.followed)]

    @rule(stream=streams, after=st.integers(min_value=0, max_value=60))
    def find_by_metadata_is_the_stream_in_global_order(self, stream: str, after: int) -> None:
        found = self.store.find(
            EventQuery(metadata={"organization_id": stream}, after_position=after)
        )
        expected = [i for i in self.model.get(stream, []) if self.position_of[i] > after]
        assert [e.event_id for e in found] == expected[:100]

    @invariant()
    def the_store_equals_the_model(self) -> None:
        log = self.store.read_all()
        assert [e.event_id for e in log] == self.log
        assert [e.position for e in log] == list(range(1, len(self.log) + 1))
        assert self.store.last_position() == len(self.log)
        for stream in STREAMS:
            events: list[RecordedEvent] = self.store.read_stream(stream)
            assert [e.event_id for e in events] == self.model.get(stream, [])
            assert [e.version for e in events] == list(range(1, len(events) + 1))
            assert self.store.stream_version(stream) == len(events)


StoreMachine.TestCase.settings = settings(
    max_examples=100 * SCALE, stateful_step_count=30, deadline=None
)
TestStoreAgainstModel = StoreMachine.TestCase
