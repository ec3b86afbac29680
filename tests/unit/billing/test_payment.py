"""The Payment aggregate, given past events, when a command method, then new events or an error.

Every lifecycle path and every domain error has its scenario here.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.domain import (
    AmountMismatchError,
    CurrencyMismatchError,
    InvalidTransitionError,
    Money,
    NonPositiveAmountError,
    Payment,
    PaymentFailed,
    PaymentProcessed,
    PaymentRefunded,
    PaymentRequested,
    PaymentStatus,
    RefundExceedsRemainingError,
    TooManyDecimalPlacesError,
    UnknownCurrencyError,
)
from eventram import ValidationError
from eventram.testing import AggregateScenario

PAYMENT_ID = "payment-123"


def scenario() -> AggregateScenario[Payment]:
    return AggregateScenario(Payment, PAYMENT_ID)


def requested(amount: str = "100.00", currency: str = "EUR") -> PaymentRequested:
    return PaymentRequested(
        payment_id=PAYMENT_ID,
        organization_id="org-456",
        user_id="user-789",
        amount=Decimal(amount),
        currency=currency,
        description="Cloud resources, March",
        metadata={"invoice": "INV-1"},
    )


def processed(amount: str = "100.00", currency: str = "EUR") -> PaymentProcessed:
    return PaymentProcessed(payment_id=PAYMENT_ID, amount=Decimal(amount), currency=currency)


def failed(error: str = "card declined") -> PaymentFailed:
    return PaymentFailed(payment_id=PAYMENT_ID, error=error)


def refunded(amount: str, reason: str = "goodwill", currency: str = "EUR") -> PaymentRefunded:
    return PaymentRefunded(
        payment_id=PAYMENT_ID, amount=Decimal(amount), currency=currency, reason=reason
    )


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


# -- requesting -------------------------------------------------------------------------------


def test_requesting_a_payment_records_it_as_pending() -> None:
    payment = (
        scenario()
        .when_created(
            lambda: Payment.request(
                PAYMENT_ID,
                organization_id="org-456",
                user_id="user-789",
                amount=eur("100"),
                description="Cloud resources, March",
                metadata={"invoice": "INV-1"},
            )
        )
        .then(requested())
    )
    assert payment.status is PaymentStatus.PENDING
    assert payment.amount == eur("100")
    assert (payment.organization_id, payment.user_id) == ("org-456", "user-789")
    assert payment.description == "Cloud resources, March"
    assert payment.metadata == {"invoice": "INV-1"}
    assert payment.refunded == eur("0")
    assert payment.processed == eur("0")
    assert payment.remaining == eur("0")


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_requesting_a_zero_or_negative_amount_is_rejected(amount: str) -> None:
    error = (
        scenario()
        .when_created(
            lambda: Payment.request(
                PAYMENT_ID, organization_id="o", user_id="u", amount=eur(amount)
            )
        )
        .then_raises(NonPositiveAmountError, match="must be greater than zero")
    )
    assert isinstance(error, NonPositiveAmountError)
    assert error.amount == Decimal(amount)
    assert error.field == "amount"


def test_requesting_with_more_decimals_than_the_currency_has_is_rejected() -> None:
    error = (
        scenario()
        .when_created(
            lambda: Payment.request(
                PAYMENT_ID, organization_id="o", user_id="u", amount=Money("1000.5", "JPY")
            )
        )
        .then_raises(TooManyDecimalPlacesError)
    )
    assert isinstance(error, TooManyDecimalPlacesError)
    assert (error.currency, error.minor_units) == ("JPY", 0)


def test_requesting_in_an_unknown_currency_is_rejected() -> None:
    (
        scenario()
        .when_created(
            lambda: Payment.request(
                PAYMENT_ID, organization_id="o", user_id="u", amount=Money("10", "XYZ")
            )
        )
        .then_raises(UnknownCurrencyError, match="'XYZ'")
    )


# -- processing and failing -----------------------------------------------------------------


def test_processing_a_pending_payment_for_the_requested_amount_completes_it() -> None:
    payment = scenario().given(requested()).when(lambda p: p.process(eur("100"))).then(processed())
    assert payment.status is PaymentStatus.COMPLETED
    assert payment.processed == eur("100")
    assert payment.remaining == eur("100")


def test_processing_for_another_amount_is_rejected() -> None:
    error = (
        scenario()
        .given(requested())
        .when(lambda p: p.process(eur("99.99")))
        .then_raises(AmountMismatchError, match="requested for 100.00 EUR")
    )
    assert isinstance(error, AmountMismatchError)
    assert (error.expected, error.actual) == (Decimal("100.00"), Decimal("99.99"))


def test_processing_in_another_currency_is_rejected() -> None:
    error = (
        scenario()
        .given(requested())
        .when(lambda p: p.process(Money("100", "USD")))
        .then_raises(CurrencyMismatchError, match="is in EUR")
    )
    assert isinstance(error, CurrencyMismatchError)
    assert (error.expected, error.actual, error.payment_id) == ("EUR", "USD", PAYMENT_ID)


def test_processing_a_non_positive_amount_is_rejected() -> None:
    scenario().given(requested()).when(lambda p: p.process(eur("0"))).then_raises(
        NonPositiveAmountError
    )


def test_failing_a_pending_payment_records_the_error() -> None:
    payment = (
        scenario()
        .given(requested())
        .when(lambda p: p.fail("card declined"))
        .then(failed("card declined"))
    )
    assert payment.status is PaymentStatus.FAILED
    assert payment.error == "card declined"
    assert payment.processed == eur("0")
    assert payment.remaining == eur("0")


@pytest.mark.parametrize(
    ("history", "status"),
    [
        ((processed(),), "completed"),
        ((failed(),), "failed"),
        ((processed(), refunded("10")), "partially_refunded"),
        ((processed(), refunded("100")), "refunded"),
    ],
    ids=["completed", "failed", "partially_refunded", "refunded"],
)
@pytest.mark.parametrize("action", ["processed", "failed"])
def test_only_a_pending_payment_can_be_processed_or_failed(
    history: tuple[PaymentProcessed | PaymentFailed | PaymentRefunded, ...],
    status: str,
    action: str,
) -> None:
    def act(payment: Payment) -> None:
        if action == "processed":
            payment.process(eur("100"))
        else:
            payment.fail("timeout")

    error = (
        scenario()
        .given(requested(), *history)
        .when(act)
        .then_raises(InvalidTransitionError, match=f"is {status} and cannot be {action}")
    )
    assert isinstance(error, InvalidTransitionError)
    assert (error.payment_id, error.status, error.action) == (PAYMENT_ID, status, action)
    assert error.allowed == ("pending",)


# -- refunding --------------------------------------------------------------------------------


def test_refunding_everything_at_once_makes_the_payment_refunded() -> None:
    payment = (
        scenario()
        .given(requested(), processed())
        .when(lambda p: p.refund(eur("100"), "customer cancelled"))
        .then(refunded("100.00", "customer cancelled"))
    )
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded == eur("100")
    assert payment.remaining == eur("0")


def test_a_partial_refund_makes_the_payment_partially_refunded() -> None:
    payment = (
        scenario()
        .given(requested(), processed())
        .when(lambda p: p.refund(eur("30.25"), "one seat less"))
        .then(refunded("30.25", "one seat less"))
    )
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert payment.refunded == eur("30.25")
    assert payment.remaining == eur("69.75")


def test_further_partial_refunds_keep_it_partially_refunded_until_nothing_remains() -> None:
    payment = (
        scenario()
        .given(requested(), processed(), refunded("30.25"))
        .when(lambda p: p.refund(eur("50"), "downtime credit"))
        .then(refunded("50.00", "downtime credit"))
    )
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert payment.remaining == eur("19.75")

    payment = (
        scenario()
        .given(requested(), processed(), refunded("30.25"), refunded("50"))
        .when(lambda p: p.refund(eur("19.75"), "closing the account"))
        .then(refunded("19.75", "closing the account"))
    )
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.refunded == payment.processed == eur("100")


def test_a_refund_above_what_remains_is_rejected() -> None:
    error = (
        scenario()
        .given(requested(), processed(), refunded("60"))
        .when(lambda p: p.refund(eur("40.01"), "too much"))
        .then_raises(RefundExceedsRemainingError, match="has 40.00 EUR left to refund")
    )
    assert isinstance(error, RefundExceedsRemainingError)
    assert (error.requested, error.remaining, error.currency) == (
        Decimal("40.01"),
        Decimal("40.00"),
        "EUR",
    )


def test_a_refund_larger_than_the_processed_amount_is_rejected() -> None:
    scenario().given(requested(), processed()).when(
        lambda p: p.refund(eur("100.01"), "too much")
    ).then_raises(RefundExceedsRemainingError)


def test_a_refund_in_another_currency_is_rejected() -> None:
    scenario().given(requested(), processed()).when(
        lambda p: p.refund(Money("10", "USD"), "wrong currency")
    ).then_raises(CurrencyMismatchError)


@pytest.mark.parametrize("amount", ["0", "-1"])
def test_a_zero_or_negative_refund_is_rejected(amount: str) -> None:
    scenario().given(requested(), processed()).when(
        lambda p: p.refund(eur(amount), "nothing")
    ).then_raises(NonPositiveAmountError)


def test_a_refund_with_too_many_decimal_places_is_rejected() -> None:
    scenario().given(requested("5.000", "KWD"), processed("5.000", "KWD")).when(
        lambda p: p.refund(Money("1.0005", "KWD"), "fils fraction")
    ).then_raises(TooManyDecimalPlacesError, match="KWD")


@pytest.mark.parametrize(
    ("history", "status"),
    [
        ((), "pending"),
        ((failed(),), "failed"),
        ((processed(), refunded("100")), "refunded"),
    ],
    ids=["pending", "failed", "refunded"],
)
def test_only_a_completed_or_partially_refunded_payment_can_be_refunded(
    history: tuple[PaymentProcessed | PaymentFailed | PaymentRefunded, ...], status: str
) -> None:
    error = (
        scenario()
        .given(requested(), *history)
        .when(lambda p: p.refund(eur("1"), "any"))
        .then_raises(
            InvalidTransitionError,
            match=f"is {status} and cannot be refunded; "
            "only completed or partially_refunded payments can be refunded",
        )
    )
    assert isinstance(error, InvalidTransitionError)
    assert error.allowed == ("completed", "partially_refunded")


def test_a_payment_never_requested_cannot_be_processed_nor_read() -> None:
    scenario().when(lambda p: p.process(eur("1"))).then_raises(
        InvalidTransitionError, match="is not requested"
    )
    with pytest.raises(InvalidTransitionError):
        _ = Payment("nobody").amount
    with pytest.raises(InvalidTransitionError):
        _ = Payment("nobody").refunded


def test_domain_errors_about_input_are_validation_errors_naming_the_field() -> None:
    error = (
        scenario()
        .given(requested(), processed())
        .when(lambda p: p.refund(eur("-1"), "negative"))
        .then_raises(ValidationError)
    )
    assert isinstance(error, ValidationError)
    assert error.field == "amount"


# -- replay -----------------------------------------------------------------------------------


def test_replay_rebuilds_the_same_state_from_the_same_events() -> None:
    payment = (
        scenario()
        .given(requested("0.010", "BHD"), processed("0.010", "BHD"))
        .when(lambda p: p.refund(Money("0.004", "BHD"), "partial"))
        .then(refunded("0.004", "partial", "BHD"))
    )
    assert payment.status is PaymentStatus.PARTIALLY_REFUNDED
    assert payment.remaining == Money("0.006", "BHD")
    assert payment.version == 3


def test_a_payment_in_a_currency_withdrawn_since_still_replays() -> None:
    payment = (
        scenario()
        .given(requested("10.00", "HRK"), processed("10.00", "HRK"))
        .when(lambda p: None)
        .then_nothing()
    )
    assert payment.status is PaymentStatus.COMPLETED
    assert payment.remaining == Money.stored(Decimal("10.00"), "HRK")
