"""CommandBus: one handler per command type, middleware composed once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eventram.bus._pipeline import Handler, Middleware, Pipeline
from eventram.messages import Command

__all__ = ["CommandBus"]


class CommandBus:
    """Dispatches each command to the one handler registered for its type.

    ``middleware`` is a list of callables ``(command, next) -> result``; the first is the
    outermost. An unregistered command type raises ``HandlerNotFoundError``.
    """

    def __init__(
        self,
        handlers: Mapping[type[Command], Handler],
        middleware: Sequence[Middleware[Command]] = (),
    ) -> None:
        self._pipeline: Pipeline[Command] = Pipeline(handlers, middleware)

    def handle(self, command: Command) -> Any:
        """Handle a command and return what its handler returned."""
        return self._pipeline.handle(command)

    def handles(self, command_type: type[Command]) -> bool:
        """Whether a handler is registered for this command type."""
        return self._pipeline.handles(command_type)
