"""Message base types: commands ask for a change, events record one, queries ask a question.

All three are frozen msgspec Structs, so they are immutable, cheap to build and encode.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

import msgspec

__all__ = ["Command", "Event", "Query"]


def _new_id() -> str:
    return str(uuid.uuid4())


class Command(msgspec.Struct, frozen=True, kw_only=True):
    """Base of commands: an imperative request to change state (``RequestPayment``).

    ``command_id`` identifies this request (it becomes the causation id of the events it records);
    ``correlation_id`` ties it to the conversation it belongs to (defaults to ``command_id``);
    ``idempotency_key``, when set, makes a retried command return its first outcome.
    """

    command_id: str = msgspec.field(default_factory=_new_id)
    correlation_id: str | None = None
    idempotency_key: str | None = None


class Query(msgspec.Struct, frozen=True, kw_only=True):
    """Base of queries: a question to the read side (``GetPayment``).

    ``min_position``, when set, makes the query wait (bounded) until the read models it uses
    have processed the event store up to that global position (read-your-writes).
    """

    min_position: int | None = None


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """Base of domain events: a fact in the past tense (``PaymentProcessed``).

    ``event_type`` is the stored name (the class name unless overridden) and ``schema_version``
    the shape version; raise it and register an upcaster when a stored shape changes.
    """

    event_type: ClassVar[str] = ""
    schema_version: ClassVar[int] = 1

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            cls.event_type = cls.__name__
