"""The query bus of billing: every handler, read-your-writes waits, and exact caching.

Each cached answer records the versions it depended on, read *before* the handler runs:

- payment queries: the organization's partition of the ``payments`` collection (every
  partition, i.e. the whole collection, for an operator's query across organizations), plus
  the projection's rebuild generation;
- a payment's history: the version of its stream;
- event search of one organization: that organization's partition of the event counters (and
  their generation); across organizations: the store's last position;
- event statistics and trends: the event counters' partition of the organization (the whole
  table for an operator's query across organizations), and their generation.

A hit whose versions have moved is a miss, so a reader never sees an answer older than the
read models it asks; the TTL only bounds memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from billing.application.queries import (
    EventSearchResult,
    EventStatistics,
    EventTrends,
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
from billing.application.query_handlers import HANDLERS, EventLog
from billing.application.read_models import EVENT_COUNTERS, PAYMENTS, PaymentsReadModel
from eventram import Query, QueryBus, inject
from eventram.cache import Cache, CachePolicy, QueryCacheMiddleware
from eventram.projection import (
    LiveVersions,
    PositionWaiter,
    ProjectionHandle,
    WaitForPositionMiddleware,
)
from eventram.readmodel import CounterTable

__all__ = ["BillingVersions", "Positions", "cache_policies", "query_bus"]

_EVENTS = "events"
_STREAM = "stream:"


class Positions(Protocol):
    """What the versions of event queries read of the store."""

    def last_position(self) -> int:
        """The highest visible global position."""
        ...

    def stream_version(self, stream_id: str) -> int:
        """A stream's current version (0 when it does not exist)."""
        ...


class BillingVersions:
    """The one version source of billing's cached queries (see the module docstring)."""

    def __init__(
        self,
        store: Positions,
        payments: ProjectionHandle[PaymentsReadModel],
        counters: ProjectionHandle[CounterTable],
    ) -> None:
        self.store = store
        self.payments = LiveVersions(payments, lambda state: state.read_models())
        self.counters = LiveVersions(counters, lambda table: {EVENT_COUNTERS: table})

    def of_payments(self, organization_id: str | None) -> dict[str, int]:
        """Versions a payment query of one organization (or of all) depends on."""

        def read(state: PaymentsReadModel) -> dict[str, int]:
            collection = state.payments
            if organization_id is None:
                return {PAYMENTS: collection.version}
            return {
                collection.partition_key(organization_id): collection.partition_version(
                    organization_id
                )
            }

        return self.payments.read(read)

    def of_events(self, organization_id: str | None) -> dict[str, int]:
        """Versions an event query of one organization (or of all) depends on."""
        if organization_id is None:
            return {_EVENTS: self.store.last_position()}
        return self.counters.read(lambda table: table.versions_for(organization_id))

    def of_event_counts(self, organization_id: str | None) -> dict[str, int]:
        """Versions event statistics and trends of one organization (or of all) depend on."""
        return self.counters.read(lambda table: table.versions_for(organization_id))

    def of_stream(self, stream_id: str) -> dict[str, int]:
        """Versions a stream's history depends on."""
        return {_STREAM + stream_id: self.store.stream_version(stream_id)}

    def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
        """The current version of each key, asked of the read model or store that owns it."""
        found: dict[str, int] = {}
        payments: list[str] = []
        counters: list[str] = []
        for key in keys:
            if key == _EVENTS:
                found[key] = self.store.last_position()
            elif key.startswith(_STREAM):
                found[key] = self.store.stream_version(key[len(_STREAM) :])
            elif key.startswith(PAYMENTS):
                payments.append(key)
            elif key.startswith(EVENT_COUNTERS):
                counters.append(key)
            else:
                found[key] = -1
        if payments:
            found.update(self.payments.current_versions(payments))
        if counters:
            found.update(self.counters.current_versions(counters))
        return found


def cache_policies(versions: BillingVersions) -> dict[type[Query], CachePolicy[Any]]:
    """One cache policy per query type."""

    def payments(query: Any) -> Mapping[str, int]:
        return versions.of_payments(query.organization_id)

    def events(query: Any) -> Mapping[str, int]:
        return versions.of_events(query.organization_id)

    def counts(query: Any) -> Mapping[str, int]:
        return versions.of_event_counts(query.organization_id)

    def history(query: Any) -> Mapping[str, int]:
        return versions.of_stream(query.payment_id)

    def policy(result: Any, of: Callable[[Any], Mapping[str, int]]) -> CachePolicy[Any]:
        return CachePolicy(result, versions, versions=of)

    return {
        GetPayment: policy(PaymentView, payments),
        SearchPayments: policy(PaymentSearchResult, payments),
        GetPaymentStatistics: policy(PaymentStatistics, payments),
        GetPaymentSuggestions: policy(list[Suggestion], payments),
        GetPaymentHistory: policy(PaymentHistory, history),
        SearchPaymentEvents: policy(EventSearchResult, events),
        GetEventStatistics: policy(EventStatistics, counts),
        GetEventTrends: policy(EventTrends, counts),
    }


def query_bus(
    store: EventLog,
    positions: Positions,
    payments: ProjectionHandle[PaymentsReadModel],
    counters: ProjectionHandle[CounterTable],
    *,
    cache: Cache | None,
    waiter: PositionWaiter,
    wait_timeout: float = 5.0,
) -> tuple[QueryBus, QueryCacheMiddleware | None]:
    """The query bus, and its cache middleware (None when ``cache`` is None).

    A query with ``min_position`` first waits (at most ``wait_timeout`` seconds) until the
    projections have processed that position (a position beyond the store's last one is a
    ``ValidationError``), then is answered from the cache if fresh.
    """
    dependencies = {"store": store, "payments": payments, "counters": counters}
    middleware: list[Any] = [
        WaitForPositionMiddleware(
            waiter, timeout=wait_timeout, last_position=positions.last_position
        )
    ]
    caching = None
    if cache is not None:
        versions = BillingVersions(positions, payments, counters)
        caching = QueryCacheMiddleware(cache, cache_policies(versions))
        middleware.append(caching)
    bus = QueryBus(
        {query: inject(handler, dependencies) for query, handler in HANDLERS.items()},
        middleware,
    )
    return bus, caching
