"""The Payment aggregate: requested, then processed or failed; a processed payment is refunded
in one or several parts.

    pending ──process──▶ completed ──refund──▶ partially_refunded ──refund──▶ refunded
       │                     └─────────────refund (all that is left)──────────▶ ┘
       └────fail────▶ failed

Each command method decides (checks the rules, raising a domain error) and then records one
event; ``apply`` only moves state and never raises, and replay uses the same ``apply``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from billing.domain.errors import (
    AmountMismatchError,
    CurrencyMismatchError,
    InvalidTransitionError,
    NonPositiveAmountError,
    RefundExceedsRemainingError,
)
from billing.domain.events import (
    PaymentFailed,
    PaymentProcessed,
    PaymentRefunded,
    PaymentRequested,
)
from billing.domain.money import Money
from eventram import Aggregate, Event

__all__ = ["Payment", "PaymentStatus"]


class PaymentStatus(StrEnum):
    """Where a payment is in its lifecycle."""

    PENDING = "pending"
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


_REFUNDABLE = (PaymentStatus.COMPLETED, PaymentStatus.PARTIALLY_REFUNDED)
_PROCESSED = (*_REFUNDABLE, PaymentStatus.REFUNDED)


class Payment(Aggregate):
    """One payment of an organization's user; its stream id is the payment id."""

    stream_type = "Payment"

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.status: PaymentStatus | None = None
        self.organization_id = ""
        self.user_id = ""
        self.description = ""
        self.metadata: dict[str, str] = {}
        self.error: str | None = None
        self._amount: Money | None = None
        self._refunded: Money | None = None

    # -- state --------------------------------------------------------------------------

    @property
    def amount(self) -> Money:
        """The amount requested (and, once completed, processed)."""
        if self._amount is None:
            raise self._not_requested("read")
        return self._amount

    @property
    def refunded(self) -> Money:
        """The total refunded so far (zero before any refund)."""
        if self._refunded is None:
            raise self._not_requested("read")
        return self._refunded

    @property
    def processed(self) -> Money:
        """The amount collected: the requested amount once processed, zero before or if failed."""
        if self.status in _PROCESSED:
            return self.amount
        return self.refunded  # zero: nothing is refunded before processing

    @property
    def remaining(self) -> Money:
        """What is left to refund: the processed amount minus the refunds."""
        return self.processed - self.refunded

    # -- decisions ----------------------------------------------------------------------

    @classmethod
    def request(
        cls,
        payment_id: str,
        *,
        organization_id: str,
        user_id: str,
        amount: Money,
        description: str = "",
        metadata: Mapping[str, str] | None = None,
    ) -> Payment:
        """A new pending payment of a positive ``amount``."""
        _require_positive(amount)
        payment = cls(payment_id)
        payment.record(
            PaymentRequested(
                payment_id=payment_id,
                organization_id=organization_id,
                user_id=user_id,
                amount=amount.amount,
                currency=amount.currency,
                description=description,
                metadata=dict(metadata or {}),
            )
        )
        return payment

    def process(self, amount: Money) -> None:
        """Record that the requested amount, exactly, was collected."""
        self._require_status("processed", PaymentStatus.PENDING)
        _require_positive(amount)
        self._require_currency(amount)
        if amount != self.amount:
            raise AmountMismatchError(
                self.id, self.amount.amount, amount.amount, self.amount.currency
            )
        self.record(
            PaymentProcessed(payment_id=self.id, amount=amount.amount, currency=amount.currency)
        )

    def fail(self, error: str) -> None:
        """Record that collecting the payment failed."""
        self._require_status("failed", PaymentStatus.PENDING)
        self.record(PaymentFailed(payment_id=self.id, error=error))

    def refund(self, amount: Money, reason: str) -> None:
        """Pay back ``amount``, at most what is left of the processed amount."""
        self._require_status("refunded", *_REFUNDABLE)
        _require_positive(amount)
        self._require_currency(amount)
        remaining = self.remaining
        if amount > remaining:
            raise RefundExceedsRemainingError(
                self.id, amount.amount, remaining.amount, amount.currency
            )
        self.record(
            PaymentRefunded(
                payment_id=self.id, amount=amount.amount, currency=amount.currency, reason=reason
            )
        )

    def _require_status(self, action: str, *allowed: PaymentStatus) -> None:
        if self.status not in allowed:
            raise InvalidTransitionError(
                self.id, self.status or "not requested", action, [str(s) for s in allowed]
            )

    def _require_currency(self, amount: Money) -> None:
        if amount.currency != self.amount.currency:
            raise CurrencyMismatchError(self.amount.currency, amount.currency, payment_id=self.id)

    def _not_requested(self, action: str) -> InvalidTransitionError:
        return InvalidTransitionError(self.id, "not requested", action, ["requested"])

    # -- evolution ----------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Move the state for one event; never raises (unknown event types are ignored)."""
        match event:
            case PaymentRequested():
                self.status = PaymentStatus.PENDING
                self.organization_id = event.organization_id
                self.user_id = event.user_id
                self.description = event.description
                self.metadata = dict(event.metadata)
                self._amount = Money.stored(event.amount, event.currency)
                # zero in the payment's own currency and scale, without consulting today's
                # ISO table (a currency withdrawn since must still replay)
                self._refunded = self._amount - self._amount
            case PaymentProcessed():
                self.status = PaymentStatus.COMPLETED
            case PaymentFailed():
                self.status = PaymentStatus.FAILED
                self.error = event.error
            case PaymentRefunded():
                refunded = self.refunded + Money.stored(event.amount, event.currency)
                self._refunded = refunded
                self.status = (
                    PaymentStatus.REFUNDED
                    if refunded == self.amount
                    else PaymentStatus.PARTIALLY_REFUNDED
                )


def _require_positive(amount: Money) -> None:
    if not amount.is_positive():
        raise NonPositiveAmountError(amount.amount, amount.currency)
