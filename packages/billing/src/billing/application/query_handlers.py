"""Query handlers: plain functions over the read models and the event store, in ``HANDLERS``.

Each takes its query and the dependencies its signature names, given by name when the bus is
built: ``payments`` (the payments projection's handle), ``counters`` (the event counters
projection's handle) and ``store`` (the event store). A payment of another organization is
"not found" (``billing.application.scope``), so its existence never leaks across tenants.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
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
from eventram import EventStatistics as StoreStatistics
from eventram.projection import CounterTable, ProjectionHandle
from eventram.readmodel import Filter, Search, SortKey, eq, gte, is_in, lte, prefix

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

_HOUR = timedelta(hours=1)
_TICK = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class EventLog(EventStore, EventIndex, Protocol):
    """What the event queries read: the event store and its index, plus the store's legacy
    statistics and trends (until the counter-table read model replaces them)."""

    def statistics(self, event_type: str, since: datetime, until: datetime) -> StoreStatistics:
        """Counts of one event type by hour, day, organization and user in a time range."""
        ...

    def trends(
        self, event_type: str, since: datetime, until: datetime, interval: str = "day"
    ) -> dict[str, int]:
        """Counts of one event type per hour, day, week or month in a time range."""
        ...


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


def get_payment_statistics(
    query: GetPaymentStatistics, payments: ProjectionHandle[PaymentsReadModel]
) -> PaymentStatistics:
    """Counts by status, currency and day, and sums per currency, of payments created in range."""
    state = payments.state
    totals = state.analytics.totals(
        query.organization_id, query.since, query.until, state.created_between
    )
    return PaymentStatistics(
        total=totals.total,
        by_status=dict(sorted((+totals.by_status).items())),
        by_currency=dict(sorted((+totals.by_currency).items())),
        total_amount=dict(sorted(totals.amount.items())),
        processed_amount=dict(sorted(totals.processed.items())),
        refunded_amount=dict(sorted(totals.refunded.items())),
        net_amount=dict(sorted(totals.net().items())),
        by_day=dict(sorted((+totals.by_day).items())),
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


def _bucket(when: datetime, interval: str) -> str:
    """The label of the hour, day, ISO week or month holding ``when`` (the store's labels)."""
    when = when.astimezone(UTC)
    if interval == "hour":
        return when.strftime("%Y-%m-%dT%H:00:00Z")
    if interval == "day":
        return when.strftime("%Y-%m-%d")
    if interval == "week":
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    return when.strftime("%Y-%m")


def _whole_hours(since: datetime, until: datetime) -> tuple[datetime, datetime] | None:
    """The whole hours ``[start, end)`` inside ``[since, until]``, or None when there are none."""
    start = _EPOCH + _HOUR * -(-(since - _EPOCH) // _HOUR)
    end = _EPOCH + _HOUR * ((until + _TICK - _EPOCH) // _HOUR)
    return (start, end) if start < end else None


def _edges(
    since: datetime, until: datetime, hours: tuple[datetime, datetime] | None
) -> list[tuple[datetime, datetime]]:
    """The closed sub-ranges of ``[since, until]`` outside the whole hours."""
    if hours is None:
        return [(since, until)]
    start, end = hours
    edges = []
    if since < start:
        edges.append((since, start - _TICK))
    if end <= until:
        edges.append((end, until))
    return edges


class _OrganizationEvents:
    """One organization's events of one type: counters for whole hours, the log at the edges."""

    def __init__(
        self, table: CounterTable, store: EventLog, event_type: str, organization_id: str
    ) -> None:
        self.table = table
        self.store = store
        self.event_type = event_type
        self.organization_id = organization_id
        self.where = {"event_type": event_type, "organization_id": organization_id}

    def edge_events(self, since: datetime, until: datetime) -> Iterable[RecordedEvent]:
        for lo, hi in _edges(since, until, _whole_hours(since, until)):
            yield from self.store.find(
                EventQuery(
                    event_types=[self.event_type],
                    metadata={"organization_id": self.organization_id},
                    since=lo,
                    until=hi,
                    limit=None,
                )
            )

    def buckets(self, since: datetime, until: datetime, interval: str) -> Counter[str]:
        counts: Counter[str] = Counter()
        hours = _whole_hours(since, until)
        if hours is not None:
            trend = self.table.trend(*hours, interval, where=self.where)
            counts.update({label: t.count for label, t in trend.buckets.items()})
        for event in self.edge_events(since, until):
            counts[_bucket(event.recorded_at, interval)] += 1
        return counts

    def by_user(self, since: datetime, until: datetime) -> Counter[str]:
        counts: Counter[str] = Counter()
        hours = _whole_hours(since, until)
        if hours is not None:
            split = self.table.breakdown(*hours, where=self.where, by=("user_id",))
            counts.update({user: t.count for user, t in split.by["user_id"].items()})
        for event in self.edge_events(since, until):
            counts[event.metadata.get("user_id", "unknown")] += 1
        return counts


def get_event_statistics(
    query: GetEventStatistics, store: EventLog, counters: ProjectionHandle[CounterTable]
) -> EventStatistics:
    """Counts of one event type by hour, day, organization and user, in a time range."""
    if query.organization_id is None:
        stats = store.statistics(query.event_type, query.since, query.until)
        return EventStatistics(event_type=query.event_type, **msgspec.structs.asdict(stats))
    org = _OrganizationEvents(counters.state, store, query.event_type, query.organization_id)
    by_hour = org.buckets(query.since, query.until, "hour")
    by_day: Counter[str] = Counter()
    for label, n in by_hour.items():
        by_day[label[:10]] += n
    total = sum(by_hour.values())
    return EventStatistics(
        event_type=query.event_type,
        total=total,
        by_hour=dict(sorted((+by_hour).items())),
        by_day=dict(sorted((+by_day).items())),
        by_organization={query.organization_id: total} if total else {},
        by_user=dict(sorted((+org.by_user(query.since, query.until)).items())),
    )


def get_event_trends(
    query: GetEventTrends, store: EventLog, counters: ProjectionHandle[CounterTable]
) -> EventTrends:
    """Counts of one event type per hour, day, ISO week or month, in time order."""
    if query.organization_id is None:
        buckets = store.trends(query.event_type, query.since, query.until, query.interval)
    else:
        org = _OrganizationEvents(counters.state, store, query.event_type, query.organization_id)
        buckets = dict(sorted((+org.buckets(query.since, query.until, query.interval)).items()))
    return EventTrends(event_type=query.event_type, interval=query.interval, buckets=buckets)


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
