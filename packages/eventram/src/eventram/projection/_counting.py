"""The counters projection: events become facts, facts feed a CounterTable (a read model)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from eventram.codec import EventRegistry, registry
from eventram.envelope import RecordedEvent
from eventram.messages import Event
from eventram.projection._declaration import EventHandler, Projection
from eventram.readmodel.counters import CounterTable, EdgeReader, Fact

__all__ = ["REMOVE", "FactMapper", "Remove", "by_stream", "counters_projection"]


class Remove(enum.Enum):
    """Marker type of :data:`REMOVE`."""

    REMOVE = "remove"


REMOVE = Remove.REMOVE
"""Returned by a fact mapper: retract the entity's contribution (e.g. a deleted document)."""

FactMapper = Callable[[Any, RecordedEvent, Fact | None], Fact | Remove | None]
"""``mapper(event, envelope, previous)`` -> the entity's new fact, ``REMOVE``, or None (no change).

``previous`` is the entity's current fact, so an event that only changes a status can return
``previous.replace(status="completed")``.
"""

EntityKey = Callable[[RecordedEvent], str | None]


def by_stream(envelope: RecordedEvent) -> str:
    """Entity key: the stream id (one fact per aggregate)."""
    return envelope.stream_id


def counters_projection(
    name: str,
    mappers: Mapping[type[Event] | str, FactMapper],
    *,
    dimensions: Sequence[str],
    amounts: Sequence[str] = (),
    partition_by: str | Sequence[str] | None = None,
    entity: EntityKey | None = by_stream,
    edges: EdgeReader | None = None,
    event_registry: EventRegistry = registry,
) -> Projection[CounterTable]:
    """A projection whose state is a :class:`CounterTable` named ``name``.

    Each event type maps to a fact mapper. With ``entity`` (default: the stream id), each
    entity has at most one fact and a new one replaces the previous (moving its count between
    dimension values and time buckets). With ``entity=None`` every fact is counted once and
    never retracted: use it to count events themselves (by type, hour, and whatever metadata
    the mappers turn into dimensions). ``edges`` makes the table's ranges exact (see
    :class:`~eventram.readmodel.counters.CounterTable`). The projection can be snapshotted.
    """

    def new_table() -> CounterTable:
        return CounterTable(name, dimensions, amounts, partition_by=partition_by, edges=edges)

    def load(data: bytes) -> CounterTable:
        table = new_table()
        table.restore(data)
        return table

    def handler(mapper: FactMapper) -> EventHandler[CounterTable]:
        if entity is None:

            def count(table: CounterTable, event: Any, envelope: RecordedEvent) -> None:
                fact = mapper(event, envelope, None)
                if isinstance(fact, Fact):
                    table.add(fact)

            return count

        def track(table: CounterTable, event: Any, envelope: RecordedEvent) -> None:
            key = entity(envelope)
            if key is None:
                return
            fact = mapper(event, envelope, table.fact(key))
            if fact is REMOVE:
                table.remove(key)
            elif fact is not None:
                table.put(key, fact)

        return track

    return Projection(
        name,
        {event_type: handler(mapper) for event_type, mapper in mappers.items()},
        new_table,
        dump=CounterTable.dump,
        load=load,
        event_registry=event_registry,
    )
