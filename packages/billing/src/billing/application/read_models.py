"""The payments read models: one document per payment, its analytics, and event counters.

``payments_projection`` keeps the ``payments`` collection (the seeds' indexed document, in
snake_case) partitioned by organization, and the payment analytics counter table
(:func:`billing.application.counters.payment_analytics`) in step with it: each event moves the
document's fact from its old state to its new one, then writes the document, so a collection
version that moved always covers the analytics too.

``event_counters_projection`` counts payment events by type, hour, organization and user
(:func:`billing.application.counters.event_fact`), for event statistics and trends of one
organization or of all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Final

import msgspec

from billing.application.counters import (
    COUNTED_EVENTS,
    EVENT_DIMENSIONS,
    event_edges,
    event_fact,
    payment_analytics,
    payment_fact,
)
from billing.domain import (
    PaymentFailed,
    PaymentProcessed,
    PaymentRefunded,
    PaymentRequested,
    PaymentStatus,
)
from eventram import EventIndex, NotFoundError, RecordedEvent
from eventram.projection import Projection, counters_projection
from eventram.readmodel import (
    EXACT,
    Collection,
    CounterTable,
    HashIndex,
    Search,
    SortedIndex,
    TextIndex,
    asc,
    eq,
    gte,
    lte,
)

__all__ = [
    "EVENT_COUNTERS",
    "PAYMENTS",
    "PAYMENT_FIELDS",
    "PaymentsReadModel",
    "event_counters_projection",
    "payments_projection",
]

PAYMENTS: Final = "payments"
"""Name of the payments projection and of its collection."""
EVENT_COUNTERS: Final = "event_counters"
"""Name of the event counters projection and of its counter table."""

PAYMENT_FIELDS: Final[Mapping[str, type]] = {
    "payment_id": str,
    "organization_id": str,
    "user_id": str,
    "amount": Decimal,
    "currency": str,
    "status": str,
    "description": str,
    "created_at": datetime,
    "processed_at": datetime,
    "failed_at": datetime,
    "error": str,
    "refunded_amount": Decimal,
    "refunded_at": datetime,
    "updated_at": datetime,
    "indexed_at": datetime,
    "version": int,
}
"""Declared (filterable, sortable) fields of a payment document; ``metadata`` rides along."""

_INDEXES: Final = (
    HashIndex("organization_id"),
    HashIndex("user_id"),
    HashIndex("status"),
    HashIndex("currency"),
    SortedIndex("amount"),
    SortedIndex("created_at"),
    SortedIndex("processed_at"),
    SortedIndex("updated_at"),
    TextIndex("description"),
)
_SCAN_PAGE: Final = 1000

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PaymentsReadModel:
    """The state of the payments projection: the collection and its analytics.

    ``clock`` stamps ``indexed_at`` (when the document was last written by the projection);
    every other time comes from the events' ``recorded_at``, so a rebuild gives the same
    documents apart from ``indexed_at``.
    """

    def __init__(self, clock: Clock = _utc_now) -> None:
        self.payments = Collection(
            PAYMENTS,
            fields=PAYMENT_FIELDS,
            id_field="payment_id",
            indexes=_INDEXES,
            partition_by="organization_id",
        )
        self.analytics = payment_analytics(self.created_between)
        self.clock = clock

    def read_models(self) -> dict[str, Collection]:
        """The versioned read models of this state, by the name their version keys start with."""
        return {PAYMENTS: self.payments}

    def created_between(
        self, organization_id: str | None, since: datetime, until: datetime
    ) -> Iterator[dict[str, Any]]:
        """Documents created in ``[since, until]``, of one organization or of all, page by page.

        Served by the ``created_at`` index; the analytics use it for partial hours.
        """
        where = gte("created_at", since) & lte("created_at", until)
        if organization_id is not None:
            where &= eq("organization_id", organization_id)
        cursor: str | None = None
        while True:
            page = self.payments.search(
                Search(filter=where, sort=(asc("created_at"),), size=_SCAN_PAGE, cursor=cursor)
            )
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def write(self, old: Mapping[str, Any] | None, new: dict[str, Any]) -> None:
        """Move the analytics from ``old`` to ``new``, then store ``new``."""
        if old is None:
            self.analytics.add(payment_fact(new))
        else:
            self.analytics.move(payment_fact(old), payment_fact(new))
        self.payments.put(new)

    def current(self, payment_id: str, event_type: str) -> dict[str, Any]:
        """The document an event updates; a missing one means events arrived out of order."""
        doc = self.payments.get(payment_id)
        if doc is None:
            raise NotFoundError("Payment document", f"{payment_id} (needed by {event_type})")
        return doc


def _stamp(state: PaymentsReadModel, envelope: RecordedEvent) -> dict[str, Any]:
    return {
        "updated_at": envelope.recorded_at,
        "indexed_at": state.clock(),
        "version": envelope.version,
    }


def on_requested(
    state: PaymentsReadModel, event: PaymentRequested, envelope: RecordedEvent
) -> None:
    """A new pending payment document."""
    old = state.payments.get(event.payment_id)
    state.write(
        old,
        {
            "payment_id": event.payment_id,
            "organization_id": event.organization_id,
            "user_id": event.user_id,
            "amount": event.amount,
            "currency": event.currency,
            "status": PaymentStatus.PENDING.value,
            "description": event.description,
            "metadata": dict(event.metadata),
            "created_at": envelope.recorded_at,
            "processed_at": None,
            "failed_at": None,
            "error": None,
            # zero with the amount's own scale: "0.00" for EUR, "0" for JPY
            "refunded_amount": event.amount - event.amount,
            "refunded_at": None,
            **_stamp(state, envelope),
        },
    )


def on_processed(
    state: PaymentsReadModel, event: PaymentProcessed, envelope: RecordedEvent
) -> None:
    """The payment is completed."""
    old = state.current(event.payment_id, envelope.event_type)
    state.write(
        old,
        {
            **old,
            "status": PaymentStatus.COMPLETED.value,
            "processed_at": envelope.recorded_at,
            **_stamp(state, envelope),
        },
    )


def on_failed(state: PaymentsReadModel, event: PaymentFailed, envelope: RecordedEvent) -> None:
    """The payment failed, with its error text."""
    old = state.current(event.payment_id, envelope.event_type)
    state.write(
        old,
        {
            **old,
            "status": PaymentStatus.FAILED.value,
            "error": event.error,
            "failed_at": envelope.recorded_at,
            **_stamp(state, envelope),
        },
    )


def on_refunded(state: PaymentsReadModel, event: PaymentRefunded, envelope: RecordedEvent) -> None:
    """Part or all of the payment was refunded; fully refunded once nothing is left."""
    old = state.current(event.payment_id, envelope.event_type)
    refunded = EXACT.add(old["refunded_amount"], event.amount)
    status = (
        PaymentStatus.REFUNDED if refunded == old["amount"] else PaymentStatus.PARTIALLY_REFUNDED
    )
    state.write(
        old,
        {
            **old,
            "status": status.value,
            "refunded_amount": refunded,
            "refunded_at": envelope.recorded_at,
            **_stamp(state, envelope),
        },
    )


class _Snapshot(msgspec.Struct, frozen=True, array_like=True):
    """A payments read model as bytes: the collection's and the analytics' own dumps."""

    collection: bytes
    analytics: bytes


_snapshot_decoder = msgspec.msgpack.Decoder(_Snapshot)


def dump_payments(state: PaymentsReadModel) -> bytes:
    """The state as bytes, for a snapshot (taken while no event is applied)."""
    return msgspec.msgpack.encode(_Snapshot(state.payments.dump(), state.analytics.dump()))


def load_payments(data: bytes, clock: Clock = _utc_now) -> PaymentsReadModel:
    """A state from :func:`dump_payments`; ``ValidationError`` when the collection's shape
    (fields, indexes, partitioning) is not the one this code declares."""
    snapshot = _snapshot_decoder.decode(data)
    state = PaymentsReadModel(clock)
    state.payments.restore(snapshot.collection)
    state.analytics.restore(snapshot.analytics)
    return state


def payments_projection(clock: Clock = _utc_now) -> Projection[PaymentsReadModel]:
    """The payments projection: documents and analytics from the four payment events.

    It can be snapshotted, so a restart loads the newest snapshot and replays only the
    events after it.
    """
    return Projection(
        PAYMENTS,
        {
            PaymentRequested: on_requested,
            PaymentProcessed: on_processed,
            PaymentFailed: on_failed,
            PaymentRefunded: on_refunded,
        },
        lambda: PaymentsReadModel(clock),
        dump=dump_payments,
        load=lambda data: load_payments(data, clock),
    )


def event_counters_projection(store: EventIndex) -> Projection[CounterTable]:
    """Payment events counted once each, by type, hour, organization (the partition) and user;
    ranges are exact, the partial hours at their edges read from ``store``."""
    return counters_projection(
        EVENT_COUNTERS,
        dict.fromkeys(COUNTED_EVENTS, event_fact),
        dimensions=EVENT_DIMENSIONS,
        partition_by="organization_id",
        entity=None,
        edges=event_edges(store),
    )
