"""The payments domain's commands: what a caller asks for, in the imperative.

Amounts are a ``Decimal`` plus an ISO 4217 code, as in the seeds' ``processPayment($amount,
$currency)``; a float is refused at the boundary. ``organization_id`` on the commands that act
on an existing payment scopes them to a tenant: a payment of another organization is "not
found" to them. Their ``expected_version``, when set, is the version the caller saw (an HTTP
``If-Match``): the command is refused with ``ConcurrencyError`` when the payment is at another
version, and never retried into success.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from eventram import Command

__all__ = ["FailPayment", "PaymentCommand", "ProcessPayment", "RefundPayment", "RequestPayment"]


class RequestPayment(Command, frozen=True, kw_only=True):
    """Ask for a new payment of ``amount`` by a user of an organization."""

    payment_id: str
    organization_id: str
    user_id: str
    amount: Decimal
    currency: str
    description: str = ""
    metadata: dict[str, str] = msgspec.field(default_factory=dict)


class ProcessPayment(Command, frozen=True, kw_only=True):
    """Record that a pending payment was collected; amount and currency must be the requested."""

    payment_id: str
    amount: Decimal
    currency: str
    organization_id: str | None = None
    expected_version: int | None = None


class FailPayment(Command, frozen=True, kw_only=True):
    """Record that collecting a pending payment failed, with the provider's error text."""

    payment_id: str
    error: str
    organization_id: str | None = None
    expected_version: int | None = None


class RefundPayment(Command, frozen=True, kw_only=True):
    """Pay back part or all of what is left of a completed payment."""

    payment_id: str
    amount: Decimal
    currency: str
    reason: str
    organization_id: str | None = None
    expected_version: int | None = None


PaymentCommand = RequestPayment | ProcessPayment | FailPayment | RefundPayment
"""Every command of the payments domain."""
