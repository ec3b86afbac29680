"""The small Payment aggregate, its commands and handlers, on eventram (our side of the bench).

It mirrors :mod:`bench.anchors.eventsourcing_payment` field for field, so both sides store the
same facts. Event type names carry a ``Bench`` prefix so they never collide with the billing
service's own events when several suites run in one process.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from functools import partial
from typing import ClassVar

from eventram import (
    Aggregate,
    AppendResult,
    Command,
    CommandBus,
    CorrelationMiddleware,
    DomainError,
    Event,
    EventStore,
    LoggingMiddleware,
    Repository,
    RetryOnConflictMiddleware,
)

__all__ = [
    "Payment",
    "PaymentProcessed",
    "PaymentRefunded",
    "PaymentRequested",
    "PaymentStateError",
    "ProcessPayment",
    "RefundPayment",
    "RequestPayment",
    "build_bus",
]


class PaymentRequested(Event, frozen=True, kw_only=True):
    """A payment was requested."""

    event_type: ClassVar[str] = "BenchPaymentRequested"
    amount: Decimal
    currency: str
    organization_id: str
    user_id: str
    description: str


class PaymentProcessed(Event, frozen=True, kw_only=True):
    """A requested payment was processed."""

    event_type: ClassVar[str] = "BenchPaymentProcessed"
    transaction_id: str


class PaymentRefunded(Event, frozen=True, kw_only=True):
    """Part of a processed payment was refunded."""

    event_type: ClassVar[str] = "BenchPaymentRefunded"
    amount: Decimal
    reason: str


class PaymentStateError(DomainError):
    """A payment command that its current status does not allow."""


class Payment(Aggregate):
    """A payment: requested, then processed, then refunded in part or in full."""

    stream_type = "BenchPayment"

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.status = ""
        self.amount = Decimal(0)
        self.currency = ""
        self.organization_id = ""
        self.user_id = ""
        self.description = ""
        self.transaction_id = ""
        self.refunded = Decimal(0)

    def request(
        self,
        amount: Decimal,
        currency: str,
        organization_id: str,
        user_id: str,
        description: str,
    ) -> None:
        """Request a new payment."""
        if self.status:
            raise PaymentStateError(f"payment {self.id} was already requested")
        self.record(
            PaymentRequested(
                amount=amount,
                currency=currency,
                organization_id=organization_id,
                user_id=user_id,
                description=description,
            )
        )

    def process(self, transaction_id: str) -> None:
        """Mark a requested payment processed."""
        if self.status != "requested":
            raise PaymentStateError(f"payment {self.id} is {self.status}, not requested")
        self.record(PaymentProcessed(transaction_id=transaction_id))

    def refund(self, amount: Decimal, reason: str) -> None:
        """Refund part of a processed payment."""
        if self.status != "processed" or self.refunded + amount > self.amount:
            raise PaymentStateError(f"payment {self.id} cannot refund {amount}")
        self.record(PaymentRefunded(amount=amount, reason=reason))

    def apply(self, event: Event) -> None:
        """Mutate state for one event."""
        match event:
            case PaymentRequested():
                self.status = "requested"
                self.amount = event.amount
                self.currency = event.currency
                self.organization_id = event.organization_id
                self.user_id = event.user_id
                self.description = event.description
            case PaymentProcessed():
                self.status = "processed"
                self.transaction_id = event.transaction_id
            case PaymentRefunded():
                self.refunded += event.amount


class RequestPayment(Command, frozen=True, kw_only=True):
    """Ask for a new payment."""

    payment_id: str
    amount: Decimal
    currency: str
    organization_id: str
    user_id: str
    description: str


class ProcessPayment(Command, frozen=True, kw_only=True):
    """Process a requested payment."""

    payment_id: str
    transaction_id: str


class RefundPayment(Command, frozen=True, kw_only=True):
    """Refund part of a processed payment."""

    payment_id: str
    amount: Decimal
    reason: str


def _owner(payment: Payment) -> dict[str, str]:
    return {"organization_id": payment.organization_id, "user_id": payment.user_id}


def request_payment(command: RequestPayment, payments: Repository[Payment]) -> AppendResult | None:
    """Handle ``RequestPayment``."""
    payment = Payment(command.payment_id)
    payment.request(
        command.amount,
        command.currency,
        command.organization_id,
        command.user_id,
        command.description,
    )
    return payments.save(payment, metadata=_owner(payment))


def process_payment(command: ProcessPayment, payments: Repository[Payment]) -> AppendResult | None:
    """Handle ``ProcessPayment``: load, decide, append."""
    payment = payments.load(command.payment_id)
    payment.process(command.transaction_id)
    return payments.save(payment, metadata=_owner(payment))


def refund_payment(command: RefundPayment, payments: Repository[Payment]) -> AppendResult | None:
    """Handle ``RefundPayment``: load, decide, append."""
    payment = payments.load(command.payment_id)
    payment.refund(command.amount, command.reason)
    return payments.save(payment, metadata=_owner(payment))


def build_bus(store: EventStore, *, cache_size: int = 10_000) -> CommandBus:
    """The command bus with the usual middleware: logging (level off), correlation, retry."""
    payments = Repository(store, Payment, cache_size=cache_size)
    quiet = logging.getLogger("bench.commands")
    quiet.setLevel(logging.WARNING)  # logged at INFO: the middleware pays only the level check
    return CommandBus(
        {
            RequestPayment: partial(request_payment, payments=payments),
            ProcessPayment: partial(process_payment, payments=payments),
            RefundPayment: partial(refund_payment, payments=payments),
        },
        [LoggingMiddleware(quiet), CorrelationMiddleware(), RetryOnConflictMiddleware()],
    )
