"""Request and response bodies of the HTTP API, as msgspec Structs (they make the OpenAPI schema).

Amounts travel as decimal strings ("100.00"), never JSON numbers, so no client rounds them
through a float; times are RFC 3339 in UTC ("2026-01-31T12:00:00Z").
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

import msgspec
from msgspec import Meta

__all__ = [
    "AMOUNT_PATTERN",
    "CommandResponse",
    "CreatePaymentRequest",
    "EventOut",
    "EventPage",
    "EventStatisticsOut",
    "EventTrendsOut",
    "FailPaymentRequest",
    "HealthOut",
    "PaymentHistoryOut",
    "PaymentOut",
    "PaymentPage",
    "PaymentStatisticsOut",
    "ProcessPaymentRequest",
    "ProjectionOut",
    "RebuildAccepted",
    "RefundPaymentRequest",
    "SuggestionOut",
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
ShortText = Annotated[str, Meta(max_length=200)]
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


class PaymentOut(msgspec.Struct, kw_only=True):
    """A payment as the read model holds it."""

    payment_id: str
    organization_id: str
    user_id: str
    amount: str
    currency: str
    status: str
    description: str
    metadata: dict[str, str]
    created_at: datetime
    processed_at: datetime | None
    failed_at: datetime | None
    error: str | None
    refunded_amount: str
    refunded_at: datetime | None
    updated_at: datetime
    indexed_at: datetime
    version: int


class CommandResponse(msgspec.Struct, kw_only=True):
    """What a command did: the payment afterwards, its new version and the global position.

    Pass ``position`` as ``min_position`` to a later GET to read your own write.
    """

    payment: PaymentOut
    version: int
    position: int


class PaymentPage(msgspec.Struct, kw_only=True):
    """One page of payments and how many matched in all."""

    items: list[PaymentOut]
    total: int
    page: int
    size: int


class PaymentStatisticsOut(msgspec.Struct, kw_only=True):
    """Counts by status and currency, and amounts summed per currency (never across)."""

    total: int
    by_status: dict[str, int]
    by_currency: dict[str, int]
    total_amount: dict[str, str]
    processed_amount: dict[str, str]
    refunded_amount: dict[str, str]
    net_amount: dict[str, str]
    by_day: dict[str, int]


class SuggestionOut(msgspec.Struct):
    """A description completing the typed text, with a score from 0 to 1."""

    text: str
    score: float


class EventOut(msgspec.Struct, kw_only=True):
    """A stored event with its envelope."""

    event_id: str
    event_type: str
    stream_id: str
    stream_type: str
    version: int
    position: int
    recorded_at: str
    correlation_id: str | None
    causation_id: str | None
    metadata: dict[str, str]
    data: dict[str, Any]


class PaymentHistoryOut(msgspec.Struct, kw_only=True):
    """A payment's events, in order."""

    payment_id: str
    events: list[EventOut]


class EventPage(msgspec.Struct, kw_only=True):
    """One page of events (global order) and how many matched in all."""

    items: list[EventOut]
    total: int
    page: int
    size: int


class EventStatisticsOut(msgspec.Struct, kw_only=True):
    """Counts of one event type by hour, day, organization and user."""

    event_type: str
    total: int
    by_hour: dict[str, int]
    by_day: dict[str, int]
    by_organization: dict[str, int]
    by_user: dict[str, int]


class EventTrendsOut(msgspec.Struct, kw_only=True):
    """Counts of one event type per interval, in time order."""

    event_type: str
    interval: str
    buckets: dict[str, int]


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
