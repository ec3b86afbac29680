"""The Payment aggregate and application on the ``eventsourcing`` library (the anchor).

Written the way that library documents it: an ``Aggregate`` whose ``@event`` methods record and
apply events, public methods that check invariants before calling them, and an ``Application``
whose methods are the command handlers (``repository.get``, a method, ``save``). With no
environment it uses the library's default in-memory (POPO) persistence.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

__all__ = ["ESPayment", "ESPaymentsApp", "PaymentStateError"]


class PaymentStateError(Exception):
    """A payment command that its current status does not allow."""


class ESPayment(Aggregate):
    """A payment: requested, then processed, then refunded in part or in full."""

    @event("Requested")
    def __init__(
        self,
        amount: Decimal,
        currency: str,
        organization_id: str,
        user_id: str,
        description: str,
    ) -> None:
        self.amount = amount
        self.currency = currency
        self.organization_id = organization_id
        self.user_id = user_id
        self.description = description
        self.status = "requested"
        self.transaction_id = ""
        self.refunded = Decimal(0)

    def process(self, transaction_id: str) -> None:
        """Mark a requested payment processed."""
        if self.status != "requested":
            raise PaymentStateError(f"payment {self.id} is {self.status}, not requested")
        self._processed(transaction_id)

    @event("Processed")
    def _processed(self, transaction_id: str) -> None:
        self.status = "processed"
        self.transaction_id = transaction_id

    def refund(self, amount: Decimal, reason: str) -> None:
        """Refund part of a processed payment."""
        if self.status != "processed" or self.refunded + amount > self.amount:
            raise PaymentStateError(f"payment {self.id} cannot refund {amount}")
        self._refunded(amount, reason)

    @event("Refunded")
    def _refunded(self, amount: Decimal, reason: str) -> None:
        self.refunded += amount


class ESPaymentsApp(Application[UUID]):
    """The payments application: each method is one command cycle."""

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env=dict(env) if env is not None else None)

    def request_payment(
        self,
        amount: Decimal,
        currency: str,
        organization_id: str,
        user_id: str,
        description: str,
    ) -> UUID:
        """Create a payment and save it; return its id."""
        payment = ESPayment(amount, currency, organization_id, user_id, description)
        self.save(payment)
        return payment.id

    def process_payment(self, payment_id: UUID, transaction_id: str) -> int:
        """Load a payment, process it, save it; return its new version."""
        payment: ESPayment = self.repository.get(payment_id)
        payment.process(transaction_id)
        self.save(payment)
        return payment.version

    def refund_payment(self, payment_id: UUID, amount: Decimal, reason: str) -> int:
        """Load a payment, refund part of it, save it; return its new version."""
        payment: ESPayment = self.repository.get(payment_id)
        payment.refund(amount, reason)
        self.save(payment)
        return payment.version
