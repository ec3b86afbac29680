"""The payments domain's errors: business rules a command broke, each a sentence with its fields.

They all subclass eventram's ``DomainError``; those about a malformed amount or currency are
also ``ValidationError``s naming the offending ``field``, so a boundary that catches validation
errors catches them too::

    DomainError
    ├── InvalidMoneyError               (also a ValidationError, with ``field``)
    │   ├── UnknownCurrencyError            not an active ISO 4217 code
    │   ├── TooManyDecimalPlacesError       more decimals than the currency's minor units
    │   └── NonPositiveAmountError          zero or negative where a positive amount is due
    ├── CurrencyMismatchError           two amounts, two currencies
    ├── AmountMismatchError             processing an amount other than the one requested
    ├── InvalidTransitionError          an action the payment's status does not allow
    ├── RefundExceedsRemainingError     a refund above what is left to refund
    └── PaymentAlreadyExistsError       requesting a payment under an id already taken

Amounts are carried as ``Decimal`` plus a currency code (not ``Money``) so that this module
depends on nothing else in the domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from eventram import DomainError, ValidationError

__all__ = [
    "AmountMismatchError",
    "CurrencyMismatchError",
    "InvalidMoneyError",
    "InvalidTransitionError",
    "NonPositiveAmountError",
    "PaymentAlreadyExistsError",
    "RefundExceedsRemainingError",
    "TooManyDecimalPlacesError",
    "UnknownCurrencyError",
]


class InvalidMoneyError(DomainError, ValidationError):
    """An amount or currency that cannot be money here; ``field`` names the input."""


class UnknownCurrencyError(InvalidMoneyError):
    """A currency code that is not an active ISO 4217 code."""

    def __init__(self, currency: object, *, field: str = "currency") -> None:
        super().__init__(
            f"Currency {currency!r} is not an active ISO 4217 currency code "
            "(three upper-case letters, such as 'EUR', 'USD' or 'JPY').",
            field=field,
        )
        self.currency = currency


class TooManyDecimalPlacesError(InvalidMoneyError):
    """An amount with more decimal places than its currency's minor units."""

    def __init__(
        self, amount: Decimal, currency: str, minor_units: int, *, field: str = "amount"
    ) -> None:
        allowed = "no decimal places" if minor_units == 0 else f"at most {minor_units}"
        super().__init__(
            f"Amount {amount} has too many decimal places for {currency}, which allows {allowed}.",
            field=field,
        )
        self.amount = amount
        self.currency = currency
        self.minor_units = minor_units


class NonPositiveAmountError(InvalidMoneyError):
    """Zero or a negative amount where a positive one is required."""

    def __init__(self, amount: Decimal, currency: str, *, field: str = "amount") -> None:
        super().__init__(
            f"Amount {amount} {currency} must be greater than zero.",
            field=field,
        )
        self.amount = amount
        self.currency = currency


class CurrencyMismatchError(DomainError):
    """Two amounts in different currencies met where one currency is required."""

    field = "currency"

    def __init__(self, expected: str, actual: str, *, payment_id: str | None = None) -> None:
        subject = f"Payment {payment_id!r} is" if payment_id is not None else "The amounts are"
        super().__init__(
            f"{subject} in {expected}, but the amount given is in {actual}; "
            "amounts in different currencies are never combined."
        )
        self.expected = expected
        self.actual = actual
        self.payment_id = payment_id


class AmountMismatchError(DomainError):
    """Processing a payment for an amount other than the one requested."""

    field = "amount"

    def __init__(self, payment_id: str, expected: Decimal, actual: Decimal, currency: str) -> None:
        super().__init__(
            f"Payment {payment_id!r} was requested for {expected} {currency} and cannot be "
            f"processed for {actual} {currency}."
        )
        self.payment_id = payment_id
        self.expected = expected
        self.actual = actual
        self.currency = currency


class InvalidTransitionError(DomainError):
    """An action that the payment's current status does not allow."""

    def __init__(self, payment_id: str, status: str, action: str, allowed: Sequence[str]) -> None:
        if len(allowed) == 1:
            only = f"only a {allowed[0]} payment can be"
        else:
            only = "only " + " or ".join(allowed) + " payments can be"
        super().__init__(
            f"Payment {payment_id!r} is {status} and cannot be {action}; {only} {action}."
        )
        self.payment_id = payment_id
        self.status = status
        self.action = action
        self.allowed = tuple(allowed)


class RefundExceedsRemainingError(DomainError):
    """A refund larger than what is left to refund of the processed amount."""

    field = "amount"

    def __init__(
        self, payment_id: str, requested: Decimal, remaining: Decimal, currency: str
    ) -> None:
        super().__init__(
            f"Payment {payment_id!r} has {remaining} {currency} left to refund; "
            f"a refund of {requested} {currency} would exceed it."
        )
        self.payment_id = payment_id
        self.requested = requested
        self.remaining = remaining
        self.currency = currency


class PaymentAlreadyExistsError(DomainError):
    """A payment was requested under an id that another payment already has."""

    field = "payment_id"

    def __init__(self, payment_id: str) -> None:
        super().__init__(
            f"Payment {payment_id!r} already exists; request a new payment under a new id."
        )
        self.payment_id = payment_id
