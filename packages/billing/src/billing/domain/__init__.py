"""The payments domain: Money, the Payment aggregate, its commands, events and errors."""

from billing.domain.commands import (
    FailPayment,
    PaymentCommand,
    ProcessPayment,
    RefundPayment,
    RequestPayment,
)
from billing.domain.errors import (
    AmountMismatchError,
    CurrencyMismatchError,
    InvalidMoneyError,
    InvalidTransitionError,
    NonPositiveAmountError,
    PaymentAlreadyExistsError,
    RefundExceedsRemainingError,
    TooManyDecimalPlacesError,
    UnknownCurrencyError,
)
from billing.domain.events import (
    PaymentFailed,
    PaymentProcessed,
    PaymentRefunded,
    PaymentRequested,
)
from billing.domain.money import CURRENCIES, MAX_DIGITS, Money, minor_units
from billing.domain.payment import Payment, PaymentStatus

__all__ = [
    "CURRENCIES",
    "MAX_DIGITS",
    "AmountMismatchError",
    "CurrencyMismatchError",
    "FailPayment",
    "InvalidMoneyError",
    "InvalidTransitionError",
    "Money",
    "NonPositiveAmountError",
    "Payment",
    "PaymentAlreadyExistsError",
    "PaymentCommand",
    "PaymentFailed",
    "PaymentProcessed",
    "PaymentRefunded",
    "PaymentRequested",
    "PaymentStatus",
    "ProcessPayment",
    "RefundExceedsRemainingError",
    "RefundPayment",
    "RequestPayment",
    "TooManyDecimalPlacesError",
    "UnknownCurrencyError",
    "minor_units",
]
