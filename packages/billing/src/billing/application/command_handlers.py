"""Command handlers of the payments service: plain functions, registered in ``HANDLERS``.

Each handler takes its command and the dependencies its signature names (``payments``, the
repository of Payment aggregates), given by name when the bus is built (``eventram.inject``).
Commands arrive checked (each validates its own fields when it is built); a handler loads or
creates the payment, lets the aggregate decide, and saves: either every event of the command is
stored, or (on any error) none is. Events carry the
payment's ``organization_id`` and ``user_id`` as metadata; correlation and causation ids come
from the bus's ``CorrelationMiddleware``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import msgspec

from billing.domain import (
    FailPayment,
    Payment,
    PaymentAlreadyExistsError,
    ProcessPayment,
    RefundPayment,
    RequestPayment,
)
from eventram import Command, NotFoundError, Repository

__all__ = [
    "HANDLERS",
    "CommandResult",
    "fail_payment",
    "process_payment",
    "refund_payment",
    "request_payment",
]


class CommandResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a payment command did: the payment's new version and status, and the global
    position of its last event (pass it as ``min_position`` to read your own write)."""

    payment_id: str
    version: int
    position: int
    status: str


def request_payment(command: RequestPayment, payments: Repository[Payment]) -> CommandResult:
    """Create a pending payment; ``PaymentAlreadyExistsError`` if the id is taken."""
    if payments.get(command.payment_id) is not None:
        raise PaymentAlreadyExistsError(command.payment_id)
    payment = Payment.request(
        command.payment_id,
        organization_id=command.organization_id,
        user_id=command.user_id,
        amount=command.money,
        description=command.description,
        metadata=command.metadata,
    )
    return _save(payments, payment)


def process_payment(command: ProcessPayment, payments: Repository[Payment]) -> CommandResult:
    """Complete a pending payment for exactly the requested amount and currency."""
    payment = _load(payments, command.payment_id, command.organization_id)
    payment.process(command.money)
    return _save(payments, payment)


def fail_payment(command: FailPayment, payments: Repository[Payment]) -> CommandResult:
    """Mark a pending payment as failed, with the error text."""
    payment = _load(payments, command.payment_id, command.organization_id)
    payment.fail(command.error)
    return _save(payments, payment)


def refund_payment(command: RefundPayment, payments: Repository[Payment]) -> CommandResult:
    """Refund part or all of what is left of a completed payment."""
    payment = _load(payments, command.payment_id, command.organization_id)
    payment.refund(command.money, command.reason)
    return _save(payments, payment)


HANDLERS: Mapping[type[Command], Callable[..., CommandResult]] = {
    RequestPayment: request_payment,
    ProcessPayment: process_payment,
    FailPayment: fail_payment,
    RefundPayment: refund_payment,
}
"""Every payments command type and its handler (dependencies still to inject)."""


def _load(payments: Repository[Payment], payment_id: str, organization_id: str | None) -> Payment:
    payment = payments.get(payment_id)
    # another tenant's payment is "not found", so that its existence does not leak
    if payment is None or (
        organization_id is not None and payment.organization_id != organization_id
    ):
        raise NotFoundError("Payment", payment_id)
    return payment


def _save(payments: Repository[Payment], payment: Payment) -> CommandResult:
    metadata = {
        "organization_id": payment.organization_id,
        "user_id": payment.user_id,
    }
    result = payments.save(payment, metadata=metadata)
    if result is None:  # pragma: no cover - every decision above records an event
        raise RuntimeError(f"Payment {payment.id!r}: the command recorded no event to save.")
    return CommandResult(
        payment_id=payment.id,
        version=result.version,
        position=result.position,
        status=str(payment.status),
    )
