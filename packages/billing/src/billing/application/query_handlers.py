"""Query handlers: plain functions over the read models and the event store, in ``HANDLERS``.

Each takes its query and the dependencies its signature names, given by name when the bus is
built: ``payments`` (the payments projection's handle), ``counters`` (the event counters
projection's handle) and ``store`` (the event store and its index). Statistics and trends are
asked of the counter tables (``billing.application.counters``), which answer exact ranges
themselves. A payment of another organization is "not found" (``billing.application.scope``),
so its existence never leaks across tenants.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, Protocol

import msgspec

from billing.application.queries import (
    PAYMENT_EVENT_TYPES,
    EventSearchResult,
    EventStatistics,
    EventTrends,
    EventView,
    GetEventStatistics,
    GetEventTrends,
    GetPayment,
    GetPaymentHistory,
    GetPaymentStatistics,
    GetPaymentSuggestions,
    PaymentHistory,
    PaymentSearchResult,
    PaymentStatistics,
    PaymentView,
    SearchPaymentEvents,
    SearchPayments,
    Suggestion,
)
from billing.application.read_models import PaymentsReadModel
from billing.application.scope import check_scope
from billing.domain import Payment
from eventram import (
    EventIndex,
    EventQuery,
    EventStore,
    NotFoundError,
    Query,
    RecordedEvent,
)
from eventram.projection import ProjectionHandle
from eventram.readmodel import (
    EXACT,
    CounterTable,
    Filter,
    Search,
    SortKey,
    Totals,
    Where,
    eq,
    gte,
    is_in,
    lte,
    prefix,
)

__all__ = [
    "HANDLERS",
    "EventLog",
    "event_view",
    "get_event_statistics",
    "get_event_trends",
    "get_payment",
    "get_payment_history",
    "get_payment_statistics",
    "get_payment_suggestions",
    "payment_view",
    "search_payment_events",
    "search_payments",
]


class EventLog(EventStore, EventIndex, Protocol):
    """What the event queries read: the event store and its index."""


# -- payments ------------------------------------------------------------------------------


def payment_view(doc: Mapping[str, Any]) -> PaymentView:
    """A read-model document as a typed view."""
    return msgspec.convert(doc, PaymentView)


def get_payment(query: GetPayment, payments: ProjectionHandle[PaymentsReadModel]) -> PaymentView:
    """One payment; ``NotFoundError`` when absent or another organization's."""
    doc = payments.state.payments.get(query.payment_id)
    if doc is None:
        raise NotFoundError("Payment", query.payment_id)
    check_scope(query.payment_id, doc["organization_id"], query.organization_id)
    return payment_view(doc)


def _search_filter(query: SearchPayments) -> Filter:
    where = Filter()
    if query.organization_id is not None:
        where &= eq("organization_id", query.organization_id)
    if query.statuses:
        where &= is_in("status", query.statuses)
    if query.currencies:
        where &= is_in("currency", query.currencies)
    if query.user_id is not None:
        where &= eq("user_id", query.user_id)
    if query.min_amount is not None:
        where &= gte("amount", query.min_amount)
    if query.max_amount is not None:
        where &= lte("amount", query.max_amount)
    if query.since is not None:
        where &= gte("created_at", query.since)
    if query.until is not None:
        where &= lte("created_at", query.until)
    if query.text:
        where &= prefix("description", query.text)
    return where


def search_payments(
    query: SearchPayments, payments: ProjectionHandle[PaymentsReadModel]
) -> PaymentSearchResult:
    """One page of the payments matching every filter, and how many matched in all."""
    field = query.sort.removeprefix("-")
    found = payments.state.payments.search(
        Search(
            filter=_search_filter(query),
            sort=(SortKey(field, descending=query.sort.startswith("-")),),
            page=query.page,
            size=query.size,
        )
    )
    return PaymentSearchResult(
        items=[payment_view(doc) for doc in found.items],
        total=found.total,
        page=found.page,
        size=found.size,
    )


def _counts(found: Mapping[str, Totals]) -> dict[str, int]:
    return {name: totals.count for name, totals in found.items()}


def _sums(found: Mapping[str, Totals], amount: str) -> dict[str, Decimal]:
    return {name: totals.sums[amount] for name, totals in found.items()}


def _scope(organization_id: str | None) -> Where:
    return {} if organization_id is None else {"organization_id": organization_id}


def get_payment_statistics(
    query: GetPaymentStatistics, payments: ProjectionHandle[PaymentsReadModel]
) -> PaymentStatistics:
    """Counts by status, currency and day, and sums per currency, of payments created in range."""
    found = payments.state.analytics.breakdown(
        query.since,
        query.until,
        where=_scope(query.organization_id),
        by=("status", "currency"),
        per=("day",),
    )
    by_currency = found.by["currency"]
    processed, refunded = _sums(by_currency, "processed"), _sums(by_currency, "refunded")
    return PaymentStatistics(
        total=found.total.count,
        by_status=_counts(found.by["status"]),
        by_currency=_counts(by_currency),
        total_amount=_sums(by_currency, "amount"),
        processed_amount=processed,
        refunded_amount=refunded,
        net_amount={c: EXACT.subtract(p, refunded[c]) for c, p in processed.items()},
        by_day=_counts(found.per["day"]),
    )


def get_payment_suggestions(
    query: GetPaymentSuggestions, payments: ProjectionHandle[PaymentsReadModel]
) -> list[Suggestion]:
    """Descriptions whose words start with the typed words, most used first.

    ``score`` is the share of the matching payments that carry the description (0 to 1).
    """
    where = Filter()
    if query.organization_id is not None:
        where = eq("organization_id", query.organization_id)
    found = payments.state.payments.suggest("description", query.text, where=where, size=query.size)
    total = sum(s.count for s in found)
    return [Suggestion(s.text, round(s.count / total, 6)) for s in found]


# -- events --------------------------------------------------------------------------------


def event_view(event: RecordedEvent) -> EventView:
    """A stored event and its envelope as plain data."""
    return msgspec.convert(event.to_dict(), EventView)


def get_payment_history(query: GetPaymentHistory, store: EventLog) -> PaymentHistory:
    """The payment's events in stream order; ``NotFoundError`` when absent or not the caller's."""
    events = store.read_stream(query.payment_id)
    if not events or events[0].stream_type != Payment.stream_type:
        raise NotFoundError("Payment", query.payment_id)
    check_scope(query.payment_id, events[0].metadata.get("organization_id"), query.organization_id)
    return PaymentHistory(payment_id=query.payment_id, events=[event_view(e) for e in events])


def search_payment_events(query: SearchPaymentEvents, store: EventLog) -> EventSearchResult:
    """Payment events in global order matching every filter, one page of them."""
    criteria: dict[str, Any] = {
        "event_types": list(query.event_types or PAYMENT_EVENT_TYPES),
        "stream_types": [Payment.stream_type],
        "correlation_id": query.correlation_id,
        "since": query.since,
        "until": query.until,
    }
    if query.organization_id is not None:
        criteria["metadata"] = {"organization_id": query.organization_id}
    total = store.count(EventQuery(**criteria))
    start = (query.page - 1) * query.size
    found = store.find(EventQuery(**criteria, limit=start + query.size)) if start < total else []
    return EventSearchResult(
        items=[event_view(e) for e in found[start:]],
        total=total,
        page=query.page,
        size=query.size,
    )


def _event_scope(event_type: str, organization_id: str | None) -> Where:
    return {"event_type": event_type, **_scope(organization_id)}


def get_event_statistics(
    query: GetEventStatistics, counters: ProjectionHandle[CounterTable]
) -> EventStatistics:
    """Counts of one event type by hour, day, organization and user, in a time range."""
    found = counters.state.breakdown(
        query.since,
        query.until,
        where=_event_scope(query.event_type, query.organization_id),
        by=("organization_id", "user_id"),
        per=("hour", "day"),
    )
    return EventStatistics(
        event_type=query.event_type,
        total=found.total.count,
        by_hour=_counts(found.per["hour"]),
        by_day=_counts(found.per["day"]),
        by_organization=_counts(found.by["organization_id"]),
        by_user=_counts(found.by["user_id"]),
    )


def get_event_trends(
    query: GetEventTrends, counters: ProjectionHandle[CounterTable]
) -> EventTrends:
    """Counts of one event type per hour, day, ISO week or month, in time order."""
    trend = counters.state.trend(
        query.since,
        query.until,
        query.interval,
        where=_event_scope(query.event_type, query.organization_id),
    )
    return EventTrends(
        event_type=query.event_type, interval=query.interval, buckets=_counts(trend.buckets)
    )


HANDLERS: Mapping[type[Query], Callable[..., Any]] = {
    GetPayment: get_payment,
    SearchPayments: search_payments,
    GetPaymentStatistics: get_payment_statistics,
    GetPaymentSuggestions: get_payment_suggestions,
    GetPaymentHistory: get_payment_history,
    SearchPaymentEvents: search_payment_events,
    GetEventStatistics: get_event_statistics,
    GetEventTrends: get_event_trends,
}
"""Every query type and its handler (dependencies still to inject)."""
