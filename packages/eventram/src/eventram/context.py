"""The message context: correlation id, causation id and metadata of the work in progress.

The command bus sets it while a command is handled; repositories read it when they append, so
every event recorded while handling a command carries the command's correlation id and the
command id as causation id, without threading them through every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar, Token

import msgspec

__all__ = ["MessageContext", "current_context", "message_context"]


class MessageContext(msgspec.Struct, frozen=True):
    """Ids and metadata that events recorded now should carry."""

    correlation_id: str | None = None
    causation_id: str | None = None
    metadata: Mapping[str, str] = msgspec.field(default_factory=dict)


_EMPTY = MessageContext()
_current: ContextVar[MessageContext] = ContextVar("eventram_message_context", default=_EMPTY)


def current_context() -> MessageContext:
    """The context of the message being handled (empty outside any)."""
    return _current.get()


class _Scope:
    """The block run by ``message_context``: sets the context on entry, restores it on exit.

    A plain class rather than ``@contextmanager``: the bus enters one per command, and a
    generator-based manager costs several times more.
    """

    __slots__ = ("_causation_id", "_correlation_id", "_metadata", "_token")

    def __init__(
        self,
        correlation_id: str | None,
        causation_id: str | None,
        metadata: Mapping[str, str] | None,
    ) -> None:
        self._correlation_id = correlation_id
        self._causation_id = causation_id
        self._metadata = metadata
        self._token: Token[MessageContext] | None = None

    def __enter__(self) -> MessageContext:
        outer = _current.get()
        metadata = self._metadata
        ctx = MessageContext(
            self._correlation_id if self._correlation_id is not None else outer.correlation_id,
            self._causation_id if self._causation_id is not None else outer.causation_id,
            {**outer.metadata, **metadata} if metadata else outer.metadata,
        )
        self._token = _current.set(ctx)
        return ctx

    def __exit__(self, *exc_info: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None


def message_context(
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> AbstractContextManager[MessageContext]:
    """Run a block with a message context; metadata is merged over the enclosing context's."""
    return _Scope(correlation_id, causation_id, metadata)
