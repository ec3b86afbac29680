"""Repository: load an aggregate by replay (or snapshot + tail), save with its expected version."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Generic, TypeVar

import msgspec

from eventram.context import current_context
from eventram.errors import (
    ConcurrencyError,
    InvalidExpectedVersionError,
    NotFoundError,
    ValidationError,
)
from eventram.model.aggregate import Aggregate
from eventram.model.snapshot import Snapshot, SnapshotStore
from eventram.store.ports import NO_STREAM, AppendResult, EventStore

__all__ = ["Repository"]

A = TypeVar("A", bound=Aggregate)

_encoder = msgspec.msgpack.Encoder()


class Repository(Generic[A]):
    """Loads and saves one aggregate type through an event store.

    ``cache_size`` recently saved aggregates are kept; a load checks one out (so two threads
    never share an instance), brings it up to the stream's current version, and a successful
    save puts it back, so the cache is never stale. With a ``snapshots`` store, a snapshot is
    taken every ``snapshot_every`` events and loads replay only the events after it.
    """

    def __init__(
        self,
        store: EventStore,
        aggregate_type: type[A],
        *,
        snapshots: SnapshotStore | None = None,
        snapshot_every: int = 100,
        cache_size: int = 10_000,
    ) -> None:
        if snapshots is not None:
            # refuse now, not in save() after the events were appended
            if aggregate_type.snapshot_state is Aggregate.snapshot_state:
                raise ValidationError(
                    f"{aggregate_type.__qualname__} cannot be snapshotted: implement "
                    "snapshot_state and restore_state, or pass no snapshot store.",
                    field="snapshots",
                )
            if type(snapshot_every) is not int or snapshot_every < 1:
                raise ValidationError(
                    f"snapshot_every={snapshot_every!r} must be an int >= 1.",
                    field="snapshot_every",
                )
        self._store = store
        self._type = aggregate_type
        self._snapshots = snapshots
        self._snapshot_every = snapshot_every
        self._cache_size = cache_size
        self._cache: OrderedDict[str, A] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, aggregate_id: str) -> A | None:
        """The aggregate with this id, up to date, or None if its stream does not exist."""
        aggregate = self._checkout(aggregate_id)
        if aggregate is None:
            aggregate = self._type(aggregate_id)
            snapshot = self._snapshots.get(aggregate_id) if self._snapshots is not None else None
            if snapshot is not None:
                aggregate.restore_state(msgspec.msgpack.decode(snapshot.state))
                aggregate.version = snapshot.version
        events = self._store.read_stream(aggregate_id, aggregate.version + 1)
        if events:
            aggregate.replay(events)
        if aggregate.version == 0:
            return None
        return aggregate

    def load(self, aggregate_id: str) -> A:
        """The aggregate with this id, up to date; ``NotFoundError`` if it does not exist."""
        aggregate = self.get(aggregate_id)
        if aggregate is None:
            raise NotFoundError(self._type.stream_type or self._type.__name__, aggregate_id)
        return aggregate

    def save(
        self,
        aggregate: A,
        *,
        metadata: Mapping[str, str] | None = None,
        expected_version: int | None = None,
    ) -> AppendResult | None:
        """Append the aggregate's pending events, expecting the version it was loaded at.

        With ``expected_version`` (the version a caller saw, say an HTTP ``If-Match``) the
        store's append expects that version instead, so the check and the write are one atomic
        step: ``ConcurrencyError`` when the stream is elsewhere, and nothing is written.
        Events carry the current message context (correlation, causation, metadata) merged
        with ``metadata``. Returns None when there was nothing to save.
        """
        pending = aggregate.pending_events
        if not pending:
            self._checkin(aggregate)
            return None
        if expected_version is None:
            expected_version = aggregate.version - len(pending)  # the saved version
        elif type(expected_version) is not int or expected_version < 0:
            raise InvalidExpectedVersionError(aggregate.id, expected_version)
        expected = expected_version or NO_STREAM
        ctx = current_context()
        meta = {**ctx.metadata, **metadata} if metadata else ctx.metadata
        try:
            result = self._store.append(
                aggregate.id,
                pending,
                expected,
                stream_type=aggregate.stream_type,
                metadata=meta,
                correlation_id=ctx.correlation_id,
                causation_id=ctx.causation_id,
            )
        except ConcurrencyError:
            self.evict(aggregate.id)
            raise
        aggregate.mark_saved()
        aggregate.version = result.version
        if self._snapshots is not None:
            self._maybe_snapshot(aggregate, len(pending))
        self._checkin(aggregate)
        return result

    def evict(self, aggregate_id: str) -> None:
        """Drop a cached aggregate (the next load replays it)."""
        with self._lock:
            self._cache.pop(aggregate_id, None)

    def _checkout(self, aggregate_id: str) -> A | None:
        with self._lock:
            aggregate = self._cache.pop(aggregate_id, None)
        if aggregate is not None and aggregate.saved_version != aggregate.version:
            return None  # a handler recorded events and never saved them: state is not the store's
        return aggregate

    def _checkin(self, aggregate: A) -> None:
        if self._cache_size <= 0:
            return
        with self._lock:
            self._cache[aggregate.id] = aggregate
            self._cache.move_to_end(aggregate.id)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _maybe_snapshot(self, aggregate: A, appended: int) -> None:
        if self._snapshots is None:
            return
        every = self._snapshot_every
        if aggregate.version // every == (aggregate.version - appended) // every:
            return
        self._snapshots.put(
            Snapshot(
                aggregate.id,
                aggregate.stream_type,
                aggregate.version,
                _encoder.encode(aggregate.snapshot_state()),
            )
        )
