"""Billing's two configurations of eventram's counter table: payment analytics and event counts.

- **Payment analytics**: one fact per payment document (its creation time; organization,
  status and currency; requested, processed and refunded amounts), moved as the payment's
  status changes; partitioned by organization. The partial hours at a range's edges are read
  from the payments collection's ``created_at`` index.
- **Event counts**: one fact per payment event (its time; type, organization and user, from
  its metadata), never retracted; partitioned by organization. The partial hours at a range's
  edges are read from the event store.

Amounts are summed per (status, currency) cell and reported per currency, never across them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from billing.domain import (
    PaymentFailed,
    PaymentProcessed,
    PaymentRefunded,
    PaymentRequested,
    PaymentStatus,
)
from eventram import EventIndex, EventQuery, RecordedEvent
from eventram.readmodel import CounterTable, EdgeReader, Fact

__all__ = [
    "COUNTED_EVENTS",
    "EVENT_DIMENSIONS",
    "PAYMENT_AMOUNTS",
    "PAYMENT_ANALYTICS",
    "PAYMENT_DIMENSIONS",
    "event_edges",
    "event_fact",
    "payment_analytics",
    "payment_fact",
]

PAYMENT_ANALYTICS: Final = "payment_analytics"
"""Name of the payment analytics table (inside the payments read model)."""
PAYMENT_DIMENSIONS: Final = ("organization_id", "status", "currency")
PAYMENT_AMOUNTS: Final = ("amount", "processed", "refunded")
EVENT_DIMENSIONS: Final = ("event_type", "organization_id", "user_id")
COUNTED_EVENTS: Final = (PaymentRequested, PaymentProcessed, PaymentFailed, PaymentRefunded)
"""The events the event counts count."""

_PROCESSED: Final = frozenset(
    {PaymentStatus.COMPLETED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)
_UNKNOWN: Final = "unknown"

Document = Mapping[str, Any]
Documents = Callable[[str | None, datetime, datetime], Iterable[Document]]
"""``documents(organization_id or None, since, until)``: payments created in ``[since, until]``."""


def _one(where: Mapping[str, frozenset[str]], field: str) -> str | None:
    """The single value ``where`` pins ``field`` to, or None (the table checks the rest)."""
    values = where.get(field)
    return next(iter(values)) if values is not None and len(values) == 1 else None


def payment_fact(doc: Document) -> Fact:
    """What a payment document counts: when it was created, its dimensions and amounts."""
    amount = doc["amount"]
    return Fact(
        doc["created_at"],
        {
            "organization_id": doc["organization_id"],
            "status": doc["status"],
            "currency": doc["currency"],
        },
        {
            "amount": amount,
            # zero with the amount's own scale, so sums keep the currency's scale
            "processed": amount if doc["status"] in _PROCESSED else amount - amount,
            "refunded": doc["refunded_amount"],
        },
    )


def payment_analytics(documents: Documents) -> CounterTable:
    """An empty payment analytics table, exact at the edges through ``documents``."""

    def edges(
        since: datetime, until: datetime, where: Mapping[str, frozenset[str]]
    ) -> Iterator[Fact]:
        for doc in documents(_one(where, "organization_id"), since, until):
            yield payment_fact(doc)

    return CounterTable(
        PAYMENT_ANALYTICS,
        PAYMENT_DIMENSIONS,
        PAYMENT_AMOUNTS,
        partition_by="organization_id",
        edges=edges,
    )


def event_fact(event: object, envelope: RecordedEvent, previous: Fact | None) -> Fact:
    """What a payment event counts: its time, type, organization and user."""
    meta = envelope.metadata
    return Fact(
        envelope.recorded_at,
        {
            "event_type": envelope.event_type,
            "organization_id": meta.get("organization_id", _UNKNOWN),
            "user_id": meta.get("user_id", _UNKNOWN),
        },
    )


def event_edges(store: EventIndex) -> EdgeReader:
    """The event counts' edge reader: the counted events in a closed range, from the store."""
    counted = [e.event_type for e in COUNTED_EVENTS]

    def edges(
        since: datetime, until: datetime, where: Mapping[str, frozenset[str]]
    ) -> Iterator[Fact]:
        wanted = where.get("event_type")
        types = counted if wanted is None else [t for t in counted if t in wanted]
        if not types:
            return
        organization_id = _one(where, "organization_id")
        found = store.find(
            EventQuery(
                event_types=types,
                metadata=None if organization_id is None else {"organization_id": organization_id},
                since=since,
                until=until,
                limit=None,
            )
        )
        for envelope in found:
            yield event_fact(None, envelope, None)

    return edges
