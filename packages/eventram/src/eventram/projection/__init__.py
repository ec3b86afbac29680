"""Projections: read models fed by events, inline or async, rebuildable while they serve.

Declare a :class:`Projection` (event types -> handlers, and a factory for its state), register
it with a :class:`ProjectionEngine` as inline or async, start the engine, and read the state
through the :class:`ProjectionHandle` it returns. :func:`counters_projection` feeds a
:class:`~eventram.readmodel.counters.CounterTable` (counts and Decimal sums by configured
dimensions and time buckets).
"""

from eventram.projection._checkpoint import CheckpointStore, InMemoryCheckpointStore
from eventram.projection._counting import (
    REMOVE,
    FactMapper,
    Remove,
    by_stream,
    counters_projection,
)
from eventram.projection._declaration import EventHandler, Projection
from eventram.projection._engine import ProjectionEngine
from eventram.projection._handle import ProjectionHandle
from eventram.projection._rebuild import ProgressCallback
from eventram.projection._snapshots import ProjectionSnapshots
from eventram.projection._source import EventSource
from eventram.projection._status import (
    Mode,
    ProjectionState,
    ProjectionStatus,
    RebuildProgress,
    RebuildReport,
)
from eventram.projection._versions import LiveVersions, VersionedReadModel
from eventram.projection._wait import PositionWaiter, WaitForPositionMiddleware

__all__ = [
    "REMOVE",
    "CheckpointStore",
    "EventHandler",
    "EventSource",
    "FactMapper",
    "InMemoryCheckpointStore",
    "LiveVersions",
    "Mode",
    "PositionWaiter",
    "ProgressCallback",
    "Projection",
    "ProjectionEngine",
    "ProjectionHandle",
    "ProjectionSnapshots",
    "ProjectionState",
    "ProjectionStatus",
    "RebuildProgress",
    "RebuildReport",
    "Remove",
    "VersionedReadModel",
    "WaitForPositionMiddleware",
    "by_stream",
    "counters_projection",
]
