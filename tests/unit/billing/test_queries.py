"""Queries: checked at the boundary, answered from projections fed by real commands, cached."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from billing.application.command_handlers import HANDLERS, CommandResult
from billing.application.demo import SimulatedClock
from billing.application.queries import (
    GetEventStatistics,
    GetEventTrends,
    GetPayment,
    GetPaymentHistory,
    GetPaymentStatistics,
    GetPaymentSuggestions,
    SearchPaymentEvents,
    SearchPayments,
)
from billing.application.query_bus import query_bus
from billing.application.read_models import PAYMENTS, event_counters_projection, payments_projection
from billing.bootstrap import INDEXED_METADATA
from billing.domain import (
    Payment,
    ProcessPayment,
    RefundPayment,
    RequestPayment,
    UnknownCurrencyError,
)
from eventram import (
    CommandBus,
    CorrelationMiddleware,
    EventQuery,
    InMemoryEventStore,
    NotFoundError,
    Query,
    Repository,
    ValidationError,
    inject,
)
from eventram.cache import LRUCache, QueryCacheMiddleware
from eventram.projection import Mode, ProjectionEngine

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)


class Billing:
    """Commands through the real bus, projections on an engine, and the real query bus."""

    def __init__(self, mode: Mode = Mode.INLINE) -> None:
        self.clock = SimulatedClock(T0)
        self.store = InMemoryEventStore(metadata_fields=INDEXED_METADATA, clock=self.clock)
        self.engine = ProjectionEngine(self.store, poll_interval=0.01)
        payments = self.engine.register(payments_projection(), mode)
        counters = self.engine.register(event_counters_projection(self.store), mode)
        self.engine.start()
        repository = Repository(self.store, Payment)
        self.commands = CommandBus(
            {t: inject(h, {"payments": repository}) for t, h in HANDLERS.items()},
            [CorrelationMiddleware()],
        )
        self.queries, caching = query_bus(
            self.store,
            self.store,
            payments,
            counters,
            cache=LRUCache(),
            waiter=self.engine,
        )
        assert caching is not None
        self.cache: QueryCacheMiddleware = caching
        self.count = 0

    def at(self, minutes: float) -> datetime:
        return T0 + timedelta(minutes=minutes)

    def pay(
        self,
        *,
        org: str = "org-1",
        user: str = "user-1",
        amount: str = "100.00",
        currency: str = "EUR",
        description: str = "Compute — vCPU hours",
        minutes: float | None = None,
        process: bool = True,
        refund: str | None = None,
        correlation_id: str | None = None,
    ) -> str:
        self.count += 1
        payment_id = f"p-{self.count}"
        if minutes is not None:
            self.clock.advance_to(self.at(minutes))
        self.commands.handle(
            RequestPayment(
                payment_id=payment_id,
                organization_id=org,
                user_id=user,
                amount=Decimal(amount),
                currency=currency,
                description=description,
                correlation_id=correlation_id,
            )
        )
        if process:
            self.commands.handle(
                ProcessPayment(
                    payment_id=payment_id,
                    amount=Decimal(amount),
                    currency=currency,
                    correlation_id=correlation_id,
                )
            )
        if refund is not None:
            self.commands.handle(
                RefundPayment(
                    payment_id=payment_id,
                    amount=Decimal(refund),
                    currency=currency,
                    reason="customer request",
                )
            )
        return payment_id

    def ask(self, query: Query) -> Any:
        return self.queries.ask(query)


@pytest.fixture
def billing() -> Iterator[Billing]:
    app = Billing()
    yield app
    app.engine.close()


# -- boundary validation -------------------------------------------------------------------

NAIVE = datetime(2025, 1, 1)  # a naive datetime, on purpose
ORG: dict[str, Any] = {"organization_id": "org-1"}


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose."""
    return value


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: GetPayment(payment_id="", **ORG), "payment_id"),
        (lambda: GetPayment(payment_id="p-1"), "organization_id"),
        (lambda: GetPayment(payment_id="p-1", organization_id=""), "organization_id"),
        (lambda: GetPayment(payment_id="p-1", operator=wrong("yes")), "operator"),
        (lambda: GetPayment(payment_id="p-1", min_position=-1, **ORG), "min_position"),
        (lambda: GetPayment(payment_id="p" * 201, **ORG), "payment_id"),
        (lambda: SearchPayments(statuses=("paid",), **ORG), "statuses"),
        (lambda: SearchPayments(statuses=wrong(["pending"]), **ORG), "statuses"),
        (lambda: SearchPayments(currencies=("EURO",), **ORG), "currencies"),
        (lambda: SearchPayments(user_id=wrong(5), **ORG), "user_id"),
        (lambda: SearchPayments(min_amount=wrong(1.5), **ORG), "min_amount"),
        (lambda: SearchPayments(min_amount=Decimal("-1"), **ORG), "min_amount"),
        (lambda: SearchPayments(max_amount=Decimal("NaN"), **ORG), "max_amount"),
        (
            lambda: SearchPayments(min_amount=Decimal(5), max_amount=Decimal(4), **ORG),
            "max_amount",
        ),
        (lambda: SearchPayments(since=NAIVE, **ORG), "since"),
        (lambda: SearchPayments(since=T0, until=T0 - timedelta(seconds=1), **ORG), "until"),
        (lambda: SearchPayments(since=wrong("2025-01-01"), **ORG), "since"),
        (lambda: SearchPayments(text="x" * 201, **ORG), "text"),
        (lambda: SearchPayments(sort="status", **ORG), "sort"),
        (lambda: SearchPayments(page=0, **ORG), "page"),
        (lambda: SearchPayments(size=1001, **ORG), "size"),
        (lambda: SearchPayments(size=True, **ORG), "size"),
        (lambda: GetPaymentStatistics(since=T0, until=T0 - timedelta(days=1), **ORG), "until"),
        (lambda: GetPaymentSuggestions(text="  ", **ORG), "text"),
        (lambda: GetPaymentSuggestions(text="co", size=101, **ORG), "size"),
        (lambda: GetPaymentHistory(payment_id=wrong(7), **ORG), "payment_id"),
        (lambda: SearchPaymentEvents(event_types=("Foo",), **ORG), "event_types"),
        (lambda: SearchPaymentEvents(correlation_id="", **ORG), "correlation_id"),
        (lambda: SearchPaymentEvents(size=0, **ORG), "size"),
        (
            lambda: GetEventStatistics(event_type="Foo", since=T0, until=T0, **ORG),
            "event_type",
        ),
        (
            lambda: GetEventStatistics(
                event_type="PaymentRequested", since=wrong(None), until=T0, **ORG
            ),
            "since",
        ),
        (
            lambda: GetEventTrends(
                event_type="PaymentRequested", since=T0, until=T0, interval="year", **ORG
            ),
            "interval",
        ),
    ],
)
def test_a_bad_query_is_refused_naming_its_field(build: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.field == field
    assert field in str(caught.value)


def test_an_unknown_currency_is_refused_with_the_domains_reason() -> None:
    with pytest.raises(ValidationError, match="ISO 4217") as caught:
        SearchPayments(currencies=("XXX",), **ORG)
    assert isinstance(caught.value.__cause__, UnknownCurrencyError)


def test_an_operator_may_query_every_organization() -> None:
    query = SearchPayments(operator=True)

    assert query.organization_id is None


# -- payments ------------------------------------------------------------------------------


def test_a_payment_is_read_back_by_id_as_its_organization_sees_it(billing: Billing) -> None:
    payment_id = billing.pay(amount="42.50")

    view = billing.ask(GetPayment(payment_id=payment_id, **ORG))

    assert (view.payment_id, view.amount, view.status) == (
        payment_id,
        Decimal("42.50"),
        "completed",
    )
    assert view.version == 2


def test_another_organizations_payment_is_not_found(billing: Billing) -> None:
    payment_id = billing.pay(org="org-2")

    with pytest.raises(NotFoundError):
        billing.ask(GetPayment(payment_id=payment_id, **ORG))
    assert billing.ask(GetPayment(payment_id=payment_id, operator=True)).organization_id == "org-2"


def test_an_unknown_payment_is_not_found(billing: Billing) -> None:
    with pytest.raises(NotFoundError, match="p-404"):
        billing.ask(GetPayment(payment_id="p-404", **ORG))


def test_search_combines_every_filter(billing: Billing) -> None:
    wanted = billing.pay(amount="50.00", user="ada", description="Object storage — archive")
    billing.pay(amount="50.00", user="bob", description="Object storage — archive")
    billing.pay(amount="500.00", user="ada", description="Object storage — archive")
    billing.pay(amount="50.00", user="ada", currency="USD", description="Object storage — x")
    billing.pay(amount="50.00", user="ada", process=False, description="Object storage — y")
    billing.pay(amount="50.00", user="ada", description="Compute")
    billing.pay(amount="50.00", user="ada", org="org-2", description="Object storage")

    found = billing.ask(
        SearchPayments(
            statuses=("completed",),
            currencies=("EUR",),
            user_id="ada",
            min_amount=Decimal("10"),
            max_amount=Decimal("100"),
            text="stor",
            **ORG,
        )
    )

    assert [p.payment_id for p in found.items] == [wanted]
    assert found.total == 1


def test_search_bounds_the_creation_time(billing: Billing) -> None:
    billing.pay(minutes=10)
    inside = billing.pay(minutes=20)
    billing.pay(minutes=30)

    found = billing.ask(SearchPayments(since=billing.at(15), until=billing.at(25), **ORG))

    assert [p.payment_id for p in found.items] == [inside]


def test_search_sorts_and_pages_and_counts_every_match(billing: Billing) -> None:
    for amount in ("30.00", "10.00", "20.00", "40.00", "50.00"):
        billing.pay(amount=amount)

    first = billing.ask(SearchPayments(sort="amount", size=2, **ORG))
    third = billing.ask(SearchPayments(sort="amount", size=2, page=3, **ORG))
    newest = billing.ask(SearchPayments(size=1, **ORG))

    assert [p.amount for p in first.items] == [Decimal("10.00"), Decimal("20.00")]
    assert [p.amount for p in third.items] == [Decimal("50.00")]
    assert (first.total, first.page, first.size) == (5, 1, 2)
    assert newest.items[0].amount == Decimal("50.00")  # default: newest first


def test_statistics_sum_amounts_per_currency_never_across_currencies(billing: Billing) -> None:
    billing.pay(amount="100.00")
    billing.pay(amount="200.00", currency="USD")
    billing.pay(amount="300.00", refund="100.00")
    billing.pay(amount="1500", currency="JPY", process=False)
    billing.pay(amount="999.00", org="org-2")

    stats = billing.ask(GetPaymentStatistics(**ORG))

    assert stats.total == 4
    assert stats.by_status == {"completed": 2, "partially_refunded": 1, "pending": 1}
    assert stats.by_currency == {"EUR": 2, "JPY": 1, "USD": 1}
    assert stats.total_amount == {
        "EUR": Decimal("400.00"),
        "JPY": Decimal("1500"),
        "USD": Decimal("200.00"),
    }
    assert stats.processed_amount["EUR"] == Decimal("400.00")
    assert stats.processed_amount["JPY"] == 0
    assert stats.refunded_amount["EUR"] == Decimal("100.00")
    assert stats.net_amount["EUR"] == Decimal("300.00")
    assert stats.by_day == {"2025-03-10": 4}


def test_statistics_count_the_payments_created_in_the_range(billing: Billing) -> None:
    billing.pay(minutes=10)
    billing.pay(minutes=70, amount="5.00")
    billing.pay(minutes=200)

    stats = billing.ask(GetPaymentStatistics(since=billing.at(30), until=billing.at(150), **ORG))

    assert stats.total == 1
    assert stats.total_amount == {"EUR": Decimal("5.00")}


def test_suggestions_complete_words_of_descriptions_most_used_first(billing: Billing) -> None:
    billing.pay(description="Hébergement — serveur dédié")
    billing.pay(description="Hébergement — serveur dédié")
    billing.pay(description="Hébergement — nom de domaine")
    billing.pay(description="Compute")
    billing.pay(description="Hébergement — secret", org="org-2")

    found = billing.ask(GetPaymentSuggestions(text="heb", **ORG))

    assert [(s.text, s.score) for s in found] == [
        ("Hébergement — serveur dédié", pytest.approx(2 / 3, abs=1e-6)),
        ("Hébergement — nom de domaine", pytest.approx(1 / 3, abs=1e-6)),
    ]


# -- events --------------------------------------------------------------------------------


def test_history_lists_a_payments_events_in_order_with_their_envelopes(billing: Billing) -> None:
    payment_id = billing.pay(refund="10.00", correlation_id="checkout-1")

    history = billing.ask(GetPaymentHistory(payment_id=payment_id, **ORG))

    assert [e.event_type for e in history.events] == [
        "PaymentRequested",
        "PaymentProcessed",
        "PaymentRefunded",
    ]
    assert [e.version for e in history.events] == [1, 2, 3]
    first = history.events[0]
    assert first.correlation_id == "checkout-1"
    assert first.metadata == {"organization_id": "org-1", "user_id": "user-1"}
    assert first.data["amount"] == "100.00"
    assert history.events[2].data["reason"] == "customer request"


def test_history_of_another_organizations_payment_is_not_found(billing: Billing) -> None:
    payment_id = billing.pay(org="org-2")

    with pytest.raises(NotFoundError):
        billing.ask(GetPaymentHistory(payment_id=payment_id, **ORG))
    with pytest.raises(NotFoundError):
        billing.ask(GetPaymentHistory(payment_id="p-404", operator=True))


def test_event_search_filters_by_type_time_and_correlation(billing: Billing) -> None:
    billing.pay(minutes=10, correlation_id="c-1")
    billing.pay(minutes=20, correlation_id="c-2")
    billing.pay(minutes=30, correlation_id="c-2", org="org-2")

    by_type = billing.ask(SearchPaymentEvents(event_types=("PaymentProcessed",), **ORG))
    by_time = billing.ask(SearchPaymentEvents(since=billing.at(15), until=billing.at(25), **ORG))
    by_correlation = billing.ask(SearchPaymentEvents(correlation_id="c-2", operator=True))

    assert by_type.total == 2
    assert {e.event_type for e in by_type.items} == {"PaymentProcessed"}
    assert by_time.total == 2
    assert {e.correlation_id for e in by_time.items} == {"c-2"}
    assert by_correlation.total == 4


def test_event_search_pages_in_global_order(billing: Billing) -> None:
    for _ in range(3):
        billing.pay()

    second = billing.ask(SearchPaymentEvents(page=2, size=4, **ORG))

    assert second.total == 6
    assert [e.position for e in second.items] == [5, 6]


def test_event_statistics_of_an_organization_are_exact_at_partial_hours(billing: Billing) -> None:
    for minutes in (5, 50, 70, 130, 190, 250):
        billing.pay(minutes=minutes, user=f"user-{int(minutes) % 2}")
    billing.pay(minutes=100, org="org-2")
    since, until = billing.at(40), billing.at(200)

    stats = billing.ask(
        GetEventStatistics(event_type="PaymentRequested", since=since, until=until, **ORG)
    )

    requested = billing.store.find(
        EventQuery(
            event_types=["PaymentRequested"],
            metadata={"organization_id": "org-1"},
            since=since,
            until=until,
            limit=None,
        )
    )
    assert stats.total == len(requested) == 4
    assert stats.by_organization == {"org-1": 4}
    assert stats.by_user == dict(Counter(e.metadata["user_id"] for e in requested))
    assert stats.by_hour == {
        "2025-03-10T09:00:00Z": 1,
        "2025-03-10T10:00:00Z": 1,
        "2025-03-10T11:00:00Z": 1,
        "2025-03-10T12:00:00Z": 1,
    }
    assert stats.by_day == {"2025-03-10": 4}


def test_event_statistics_across_organizations_count_what_the_store_holds(
    billing: Billing,
) -> None:
    billing.pay(minutes=5)
    billing.pay(minutes=10, org="org-2")
    billing.pay(minutes=70, org="org-2", user="user-9")
    until = billing.at(61)

    stats = billing.ask(
        GetEventStatistics(event_type="PaymentProcessed", since=T0, until=until, operator=True)
    )

    processed = billing.store.find(
        EventQuery(event_types=["PaymentProcessed"], since=T0, until=until, limit=None)
    )
    assert stats.total == len(processed) == 2
    assert stats.by_organization == {"org-1": 1, "org-2": 1}
    assert stats.by_user == dict(Counter(e.metadata["user_id"] for e in processed))
    assert stats.by_hour == {"2025-03-10T09:00:00Z": 2}


@pytest.mark.parametrize("scope", [ORG, {"operator": True}])
def test_event_trends_count_per_interval(billing: Billing, scope: dict[str, Any]) -> None:
    billing.pay(minutes=10)
    billing.pay(minutes=60 * 24 * 3)
    billing.pay(minutes=60 * 24 * 40)

    trends = billing.ask(
        GetEventTrends(
            event_type="PaymentRequested",
            since=T0,
            until=billing.at(60 * 24 * 60),
            interval="month",
            **scope,
        )
    )

    assert trends.buckets == {"2025-03": 2, "2025-04": 1}
    assert trends.interval == "month"


# -- caching -------------------------------------------------------------------------------


def test_a_repeated_query_is_served_from_the_cache(billing: Billing) -> None:
    billing.pay()
    query = GetPaymentStatistics(**ORG)

    first = billing.ask(query)
    second = billing.ask(query)

    assert first == second
    assert billing.cache.stats().hits == 1


def test_a_write_to_the_organization_invalidates_its_cached_answers(billing: Billing) -> None:
    billing.pay()
    query = SearchPayments(**ORG)
    billing.ask(query)

    billing.pay(amount="7.00")
    fresh = billing.ask(query)

    assert fresh.total == 2
    assert billing.cache.stats().stale == 1


def test_a_write_to_another_organization_keeps_the_cached_answer(billing: Billing) -> None:
    billing.pay()
    query = SearchPayments(**ORG)
    billing.ask(query)

    billing.pay(org="org-2")
    billing.ask(query)

    assert billing.cache.stats().hits == 1


def test_a_rebuild_invalidates_every_cached_answer(billing: Billing) -> None:
    billing.pay()
    query = GetPaymentStatistics(**ORG)
    billing.ask(query)

    billing.engine.rebuild(PAYMENTS)
    billing.ask(query)

    assert billing.cache.stats().hits == 0


def test_a_new_event_invalidates_the_cached_history_of_its_payment(billing: Billing) -> None:
    payment_id = billing.pay()
    query = GetPaymentHistory(payment_id=payment_id, **ORG)
    billing.ask(query)

    billing.commands.handle(
        RefundPayment(payment_id=payment_id, amount=Decimal(1), currency="EUR", reason="x")
    )

    assert len(billing.ask(query).events) == 3


def test_a_new_event_of_the_organization_invalidates_its_event_statistics(
    billing: Billing,
) -> None:
    billing.pay(minutes=5)
    query = GetEventStatistics(
        event_type="PaymentRequested", since=T0, until=billing.at(60 * 24), **ORG
    )
    billing.ask(query)

    billing.pay(minutes=10)

    assert billing.ask(query).total == 2


def test_a_query_with_min_position_reads_its_own_write_from_async_projections() -> None:
    app = Billing(Mode.ASYNC)
    try:
        app.pay(process=False)
        result: CommandResult = app.commands.handle(
            ProcessPayment(payment_id="p-1", amount=Decimal("100.00"), currency="EUR")
        )

        view = app.ask(GetPayment(payment_id="p-1", min_position=result.position, **ORG))

        assert view.status == "completed"
    finally:
        app.engine.close()
