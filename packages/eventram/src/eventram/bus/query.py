"""QueryBus: one handler per query type, middleware composed once (caching lives there)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventram.bus._pipeline import Handler, Middleware, Pipeline
from eventram.messages import Query

__all__ = ["QueryBus"]


class QueryBus:
    """Dispatches each query to the one handler registered for its type.

    ``middleware`` is a list of callables ``(query, next) -> result``; the first is the
    outermost. An unregistered query type raises ``HandlerNotFoundError``.
    """

    def __init__(
        self,
        handlers: Mapping[type[Query], Handler],
        middleware: Sequence[Middleware[Query]] = (),
    ) -> None:
        self._pipeline: Pipeline[Query] = Pipeline(handlers, middleware)

    def ask(self, query: Query) -> Any:
        """Answer a query with its handler's result."""
        return self._pipeline.handle(query)

    def handles(self, query_type: type[Query]) -> bool:
        """Whether a handler is registered for this query type."""
        return self._pipeline.handles(query_type)
