"""The message context: correlation id, causation id and metadata of the work in progress.

The command bus sets it while a command is handled; repositories read it when they append, so
every event recorded while handling a command carries the command's correlation id and the
command id as causation id, without threading them through every call.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

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


@contextmanager
def message_context(
    *,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Iterator[MessageContext]:
    """Run a block with a message context; metadata is merged over the enclosing context's."""
    outer = _current.get()
    merged = {**outer.metadata, **metadata} if metadata else outer.metadata
    ctx = MessageContext(
        correlation_id if correlation_id is not None else outer.correlation_id,
        causation_id if causation_id is not None else outer.causation_id,
        merged,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)
