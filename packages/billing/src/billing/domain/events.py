"""The payments domain's events: facts in the past tense, stored forever.

Amounts are a ``Decimal`` (encoded as a decimal string, so never rounded) plus the ISO 4217
code. When and by whom is in the envelope (``recorded_at``, ``metadata``), not here.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from eventram import Event

__all__ = ["PaymentFailed", "PaymentProcessed", "PaymentRefunded", "PaymentRequested"]


class PaymentRequested(Event, frozen=True, kw_only=True):
    """A user of an organization asked to pay an amount; the payment is pending."""

    payment_id: str
    organization_id: str
    user_id: str
    amount: Decimal
    currency: str
    description: str = ""
    metadata: dict[str, str] = msgspec.field(default_factory=dict)


class PaymentProcessed(Event, frozen=True, kw_only=True):
    """The requested amount was collected; the payment is completed."""

    payment_id: str
    amount: Decimal
    currency: str


class PaymentFailed(Event, frozen=True, kw_only=True):
    """Collecting the payment failed, for the reason in ``error``."""

    payment_id: str
    error: str


class PaymentRefunded(Event, frozen=True, kw_only=True):
    """Part or all of what is left of a completed payment was paid back."""

    payment_id: str
    amount: Decimal
    currency: str
    reason: str
