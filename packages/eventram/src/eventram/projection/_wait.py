"""Read-your-writes: wait until projections reach a position before answering a query."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import msgspec

from eventram.bus import Next
from eventram.errors import ValidationError
from eventram.messages import Query

__all__ = ["PositionWaiter", "WaitForPositionMiddleware"]


class PositionWaiter(Protocol):
    """Something that can block until it has processed a global position."""

    def wait_for(self, position: int, timeout: float) -> None:
        """Return once ``position`` is processed; raise ``ProjectionTimeoutError`` after timeout."""
        ...


class WaitForPositionMiddleware:
    """Query middleware: a query with ``min_position`` waits (bounded) before it is answered.

    The one place where ``min_position`` is waited for: put it first in the query bus, before
    the cache. ``waiters`` names, per query type, the projections its handler reads (a handle
    or the engine); ``default`` serves the other types (None: they do not wait). Once the wait
    is over the query goes on without ``min_position`` (it is satisfied), so the middleware
    after it, such as the cache, treats it as any query over read models already at that
    position. With ``last_position`` (the store's), a position beyond the log is refused with
    ``ValidationError`` at once instead of being waited for until the timeout.
    """

    def __init__(
        self,
        default: PositionWaiter | None = None,
        waiters: Mapping[type[Query], PositionWaiter] | None = None,
        *,
        timeout: float = 5.0,
        last_position: Callable[[], int] | None = None,
    ) -> None:
        self._default = default
        self._waiters = dict(waiters or {})
        self._timeout = timeout
        self._last_position = last_position

    def waiter_for(self, query_type: type[Query]) -> PositionWaiter | None:
        """The waiter used for a query type."""
        return self._waiters.get(query_type, self._default)

    def __call__(self, query: Query, next: Next[Query]) -> Any:
        if query.min_position is not None:
            waiter = self.waiter_for(type(query))
            if waiter is not None:
                self._check_known(query.min_position)
                waiter.wait_for(query.min_position, self._timeout)
                query = msgspec.structs.replace(query, min_position=None)
        return next(query)

    def _check_known(self, position: int) -> None:
        if self._last_position is None:
            return
        last = self._last_position()
        if position > last:
            raise ValidationError(
                f"min_position {position} is beyond the last position of the event store "
                f"({last}); use a position returned by a command.",
                field="min_position",
            )
