"""Read-your-writes: wait until projections reach a position before answering a query."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import msgspec

from eventram.bus import Next
from eventram.messages import Query

__all__ = ["PositionWaiter", "WaitForPositionMiddleware"]


class PositionWaiter(Protocol):
    """Something that can block until it has processed a global position."""

    def wait_for(self, position: int, timeout: float) -> None:
        """Return once ``position`` is processed; raise ``ProjectionTimeoutError`` after timeout."""
        ...


class WaitForPositionMiddleware:
    """Query middleware: a query with ``min_position`` waits (bounded) before it is answered.

    ``waiters`` names, per query type, the projections its handler reads (a handle or the
    engine); ``default`` serves the other types (None: they do not wait). Once the wait is
    over the query goes on without ``min_position`` (it is satisfied), so the middleware after
    it, such as the cache, treats it as any query over read models already at that position.
    """

    def __init__(
        self,
        default: PositionWaiter | None = None,
        waiters: Mapping[type[Query], PositionWaiter] | None = None,
        *,
        timeout: float = 5.0,
    ) -> None:
        self._default = default
        self._waiters = dict(waiters or {})
        self._timeout = timeout

    def waiter_for(self, query_type: type[Query]) -> PositionWaiter | None:
        """The waiter used for a query type."""
        return self._waiters.get(query_type, self._default)

    def __call__(self, query: Query, next: Next[Query]) -> Any:
        if query.min_position is not None:
            waiter = self.waiter_for(type(query))
            if waiter is not None:
                waiter.wait_for(query.min_position, self._timeout)
                query = msgspec.structs.replace(query, min_position=None)
        return next(query)
