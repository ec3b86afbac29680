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

from billing.application.scope import check_scope
from billing.domain import (
    FailPayment,
    Payment,
    PaymentAlreadyExistsError,
    ProcessPayment,
    RefundPayment,
    RequestPayment,
)
from eventram import Command, ConcurrencyError, Repository

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
    payment = _load(payments, command)
    payment.process(command.money)
    return _save(payments, payment, command.expected_version)


def fail_payment(command: FailPayment, payments: Repository[Payment]) -> CommandResult:
    """Mark a pending payment as failed, with the error text."""
    payment = _load(payments, command)
    payment.fail(command.error)
    return _save(payments, payment, command.expected_version)


def refund_payment(command: RefundPayment, payments: Repository[Payment]) -> CommandResult:
    """Refund part or all of what is left of a completed payment."""
    payment = _load(payments, command)
    payment.refund(command.money, command.reason)
    return _save(payments, payment, command.expected_version)


HANDLERS: Mapping[type[Command], Callable[..., CommandResult]] = {
    RequestPayment: request_payment,
    ProcessPayment: process_payment,
    FailPayment: fail_payment,
    RefundPayment: refund_payment,
}
"""Every payments command type and its handler (dependencies still to inject)."""


def _load(
    payments: Repository[Payment], command: ProcessPayment | FailPayment | RefundPayment
) -> Payment:
    """The payment a command acts on, in the caller's scope and at the version it expects.

    A stale ``expected_version`` is refused here, before the payment decides, so the caller
    hears that its version is stale rather than a rule about a state it never saw; the append
    checks it again, atomically (``_save``).
    """
    payment = payments.load(command.payment_id)
    check_scope(command.payment_id, payment.organization_id, command.organization_id)
    expected = command.expected_version
    if expected is not None and payment.version != expected:
        raise ConcurrencyError(payment.id, f"version {expected}", payment.version)
    return payment


def _save(
    payments: Repository[Payment], payment: Payment, expected_version: int | None = None
) -> CommandResult:
    metadata = {
        "organization_id": payment.organization_id,
        "user_id": payment.user_id,
    }
    result = payments.save(payment, metadata=metadata, expected_version=expected_version)
    if result is None:  # pragma: no cover - every decision above records an event
        raise RuntimeError(f"Payment {payment.id!r}: the command recorded no event to save.")
    return CommandResult(
        payment_id=payment.id,
        version=result.version,
        position=result.position,
        status=str(payment.status),
    )
