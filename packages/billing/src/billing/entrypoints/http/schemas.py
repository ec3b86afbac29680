"""The bodies only HTTP has, as msgspec Structs (they make the OpenAPI schema): requests, the
answer to a command, and the operators' views. Query answers are ``billing.application.answers``,
which the routes return as they are.

Amounts travel as decimal strings ("100.00"), never JSON numbers, so no client rounds them
through a float; times are RFC 3339 in UTC ("2026-01-31T12:00:00Z").
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec
from msgspec import Meta

from billing.application.answers import PaymentView

__all__ = [
    "AMOUNT_PATTERN",
    "CommandResponse",
    "CreatePaymentRequest",
    "FailPaymentRequest",
    "HealthOut",
    "ProcessPaymentRequest",
    "ProjectionOut",
    "RebuildAccepted",
    "RefundPaymentRequest",
]

AMOUNT_PATTERN: Final = r"^-?[0-9]{1,30}(\.[0-9]{1,30})?$"
ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"

Amount = Annotated[
    str,
    Meta(
        pattern=AMOUNT_PATTERN,
        max_length=64,
        description='A decimal amount as a string, e.g. "100.00"',
        examples=["100.00"],
    ),
]
Currency = Annotated[
    str,
    Meta(pattern=r"^[A-Z]{3}$", description="ISO 4217 currency code", examples=["EUR"]),
]
Id = Annotated[str, Meta(pattern=ID_PATTERN, max_length=100, examples=["pay-123"])]
Text = Annotated[str, Meta(max_length=500)]
Metadata = Annotated[
    dict[Annotated[str, Meta(max_length=64)], Annotated[str, Meta(max_length=500)]],
    Meta(max_length=50),
]


class CreatePaymentRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Request a payment; the server picks ``payment_id`` unless the client gives one."""

    user_id: Id
    amount: Amount
    currency: Currency
    description: Text = ""
    payment_id: Id | None = None
    metadata: Metadata | None = None


class ProcessPaymentRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Record that the payment was collected: amount and currency must be those requested."""

    amount: Amount
    currency: Currency


class FailPaymentRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Record that collecting the payment failed."""

    error: Annotated[str, Meta(min_length=1, max_length=500)]


class RefundPaymentRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Refund part or all of what is left; ``currency`` defaults to the payment's, ``reason``
    to "unspecified"."""

    amount: Amount
    currency: Currency | None = None
    reason: Annotated[str, Meta(min_length=1, max_length=500)] = "unspecified"


class CommandResponse(msgspec.Struct, kw_only=True):
    """What a command did: the payment afterwards, its new version and the global position.

    Pass ``position`` as ``min_position`` to a later GET to read your own write.
    """

    payment: PaymentView
    version: int
    position: int


class ProjectionOut(msgspec.Struct, kw_only=True):
    """A projection's state, for operators."""

    name: str
    mode: str
    position: int
    lag_events: int
    lag_seconds: float
    state: str
    rebuild_progress: float | None = None
    error: str | None = None


class RebuildAccepted(msgspec.Struct, kw_only=True):
    """A rebuild was started; follow it in ``GET /projections``."""

    name: str
    state: str


class HealthOut(msgspec.Struct, kw_only=True):
    """Liveness and readiness."""

    status: str
    journal_writable: bool
    projections_running: bool
    position: int
    detail: str = ""
