"""Middleware composition shared by the command and query buses."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Generic, TypeVar

from eventram.errors import HandlerNotFoundError

__all__ = ["Handler", "Middleware", "Next", "Pipeline", "inject"]

M = TypeVar("M")

Handler = Callable[[Any], Any]
Next = Callable[[M], Any]
Middleware = Callable[[M, Next[M]], Any]


def inject(handler: Callable[..., Any], dependencies: Mapping[str, Any]) -> Handler:
    """Bind the dependencies a handler's signature names (beyond its first, the message)."""
    params = list(inspect.signature(handler).parameters.values())[1:]
    wanted = {p.name: dependencies[p.name] for p in params if p.name in dependencies}
    missing = [
        p.name
        for p in params
        if p.name not in dependencies and p.default is inspect.Parameter.empty
    ]
    if missing:
        raise TypeError(
            f"Handler {getattr(handler, '__qualname__', handler)!r} needs {', '.join(missing)}, "
            "which the dependencies do not provide."
        )
    return partial(handler, **wanted) if wanted else handler


class Pipeline(Generic[M]):
    """Routes a message to the handler of its exact type through middleware composed once.

    The first middleware in the list is the outermost: it sees the message first and the
    outcome last.
    """

    def __init__(
        self,
        handlers: Mapping[type[M], Handler],
        middleware: Sequence[Middleware[M]] = (),
    ) -> None:
        self._handlers = dict(handlers)
        self._middleware = tuple(middleware)
        chain: Next[M] = self._dispatch
        for mw in reversed(self._middleware):
            chain = _bind(mw, chain)
        self._chain = chain

    def _dispatch(self, message: M) -> Any:
        handler = self._handlers.get(type(message))
        if handler is None:
            raise HandlerNotFoundError(type(message))
        return handler(message)

    def handle(self, message: M) -> Any:
        """Run the message through the middleware to its handler; return the handler's result."""
        if type(message) not in self._handlers:
            raise HandlerNotFoundError(type(message))
        return self._chain(message)

    def handles(self, message_type: type[M]) -> bool:
        """Whether a handler is registered for this exact type."""
        return message_type in self._handlers


def _bind(mw: Middleware[M], nxt: Next[M]) -> Next[M]:
    def step(message: M) -> Any:
        return mw(message, nxt)

    return step
