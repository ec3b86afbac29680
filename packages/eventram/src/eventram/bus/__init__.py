"""Buses: commands to one handler each, queries to one handler each, events to many.

A middleware is a callable ``(message, next) -> result`` (:data:`Middleware`) that calls
:data:`Next` to go on; the buses take a list of them, the first being the outermost.
"""

from eventram.bus._pipeline import Handler, Middleware, Next, inject
from eventram.bus.command import CommandBus
from eventram.bus.events import EventBus, EventHandler
from eventram.bus.idempotency import (
    IdempotencyMiddleware,
    IdempotencyRecord,
    IdempotencyStore,
    InMemoryIdempotencyStore,
    ReplayWatch,
    watch_replays,
)
from eventram.bus.middleware import (
    CorrelationMiddleware,
    LoggingMiddleware,
    RetryOnConflictMiddleware,
)
from eventram.bus.query import QueryBus

__all__ = [
    "CommandBus",
    "CorrelationMiddleware",
    "EventBus",
    "EventHandler",
    "Handler",
    "IdempotencyMiddleware",
    "IdempotencyRecord",
    "IdempotencyStore",
    "InMemoryIdempotencyStore",
    "LoggingMiddleware",
    "Middleware",
    "Next",
    "QueryBus",
    "ReplayWatch",
    "RetryOnConflictMiddleware",
    "inject",
    "watch_replays",
]
