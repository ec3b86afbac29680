"""The seeds' integration scenarios (InMemoryCqrsTest, InMemoryEventSourcingCqrsTest), in our words.

Each runs the whole service as ``billing.bootstrap.build`` wires it: commands through the
command bus, inline projections, queries through the cached query bus.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from billing.application.demo import SimulatedClock
from billing.application.queries import (
    GetPayment,
    GetPaymentHistory,
    SearchPaymentEvents,
    SearchPayments,
)
from billing.bootstrap import BillingApp, Settings, build
from billing.domain import ProcessPayment, RequestPayment

SPRING_2024 = datetime(2024, 4, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> SimulatedClock:
    return SimulatedClock(SPRING_2024)


@pytest.fixture(params=["inline", "async"])
def app(request: pytest.FixtureRequest, clock: SimulatedClock) -> Iterator[BillingApp]:
    with build(Settings(projections=request.param), clock=clock) as service:
        yield service


def pay(app: BillingApp, payment_id: str, amount: str, currency: str, organization_id: str) -> int:
    """Request then process a payment, as the seeds' ProcessPaymentCommand does; its position."""
    app.commands.handle(
        RequestPayment(
            payment_id=payment_id,
            organization_id=organization_id,
            user_id="user-1",
            amount=Decimal(amount),
            currency=currency,
            description="Workflow executions",
        )
    )
    result = app.commands.handle(
        ProcessPayment(payment_id=payment_id, amount=Decimal(amount), currency=currency)
    )
    position: int = result.position
    return position


def test_a_processed_payment_is_read_back_by_its_id(app: BillingApp) -> None:
    position = pay(app, "payment-123", "100.00", "EUR", "org-456")

    payment = app.queries.ask(
        GetPayment(payment_id="payment-123", organization_id="org-456", min_position=position)
    )

    assert payment.payment_id == "payment-123"
    assert payment.amount == Decimal("100.00")
    assert payment.status == "completed"


def test_searching_one_organization_finds_only_its_payments(app: BillingApp) -> None:
    pay(app, "payment-1", "100.00", "EUR", "org-456")
    pay(app, "payment-2", "200.00", "USD", "org-456")
    position = pay(app, "payment-3", "300.00", "EUR", "org-789")

    result = app.queries.ask(
        SearchPayments(organization_id="org-456", page=1, size=10, min_position=position)
    )

    assert len(result.items) == 2
    assert result.total == 2
    assert {p.payment_id for p in result.items} == {"payment-1", "payment-2"}


def test_a_processed_payments_history_has_one_processed_event_after_its_request(
    app: BillingApp,
) -> None:
    pay(app, "payment-123", "100.00", "EUR", "org-456")

    history = app.queries.ask(GetPaymentHistory(payment_id="payment-123", operator=True))

    request, *after = history.events
    assert request.event_type == "PaymentRequested"
    assert len(after) == 1
    assert after[0].event_type == "PaymentProcessed"
    assert after[0].data == {"payment_id": "payment-123", "amount": "100.00", "currency": "EUR"}


def test_an_event_search_over_their_dates_finds_the_three_processed_payments(
    app: BillingApp, clock: SimulatedClock
) -> None:
    for n, (amount, currency) in enumerate(
        [("100.00", "EUR"), ("200.00", "USD"), ("300.00", "EUR")], start=1
    ):
        clock.advance_to(SPRING_2024 + timedelta(days=30 * n))
        pay(app, f"payment-{n}", amount, currency, "org-456")

    results = app.queries.ask(
        SearchPaymentEvents(
            event_types=("PaymentProcessed",),
            since=datetime(2024, 1, 1, tzinfo=UTC),
            until=datetime(2024, 12, 31, tzinfo=UTC),
            operator=True,
        )
    )

    assert results.total == 3
    assert len(results.items) == 3
    assert results.items[0].event_type == "PaymentProcessed"
    assert [e.stream_id for e in results.items] == ["payment-1", "payment-2", "payment-3"]
