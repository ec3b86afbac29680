"""What the billing queries answer: typed, msgspec-encodable results (cached as they are).

Amounts are ``Decimal`` and are summed per currency only; times are timezone-aware UTC.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

__all__ = [
    "EventSearchResult",
    "EventStatistics",
    "EventTrends",
    "EventView",
    "PaymentHistory",
    "PaymentSearchResult",
    "PaymentStatistics",
    "PaymentView",
    "Suggestion",
]


class PaymentView(msgspec.Struct, frozen=True, kw_only=True):
    """A payment as the read model holds it (the seeds' indexed document, in snake_case)."""

    payment_id: str
    organization_id: str
    user_id: str
    amount: Decimal
    currency: str
    status: str
    description: str
    metadata: dict[str, str]
    created_at: datetime
    processed_at: datetime | None = None
    failed_at: datetime | None = None
    error: str | None = None
    refunded_amount: Decimal = Decimal(0)
    refunded_at: datetime | None = None
    updated_at: datetime
    indexed_at: datetime
    version: int


class PaymentSearchResult(msgspec.Struct, frozen=True, kw_only=True):
    """One page of payments and the number of all that matched (the seeds' result)."""

    items: list[PaymentView]
    total: int
    page: int
    size: int


class PaymentStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """Counts and per-currency sums of payments; amounts are never added across currencies.

    ``total_amount`` sums requested amounts whatever the status; ``processed_amount`` those
    processed (completed or refunded, in part or in full); ``refunded_amount`` what was given
    back; ``net_amount`` is processed minus refunded.
    """

    total: int
    by_status: dict[str, int]
    by_currency: dict[str, int]
    total_amount: dict[str, Decimal]
    processed_amount: dict[str, Decimal]
    refunded_amount: dict[str, Decimal]
    net_amount: dict[str, Decimal]
    by_day: dict[str, int]


class Suggestion(msgspec.Struct, frozen=True):
    """A description that completes the typed text, and how well it matches (0 to 1)."""

    text: str
    score: float


class EventView(msgspec.Struct, frozen=True, kw_only=True):
    """A stored event with its envelope, as plain data."""

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


class PaymentHistory(msgspec.Struct, frozen=True, kw_only=True):
    """A payment's events in stream order."""

    payment_id: str
    events: list[EventView]


class EventSearchResult(msgspec.Struct, frozen=True, kw_only=True):
    """One page of events (in global order) and the number of all that matched."""

    items: list[EventView]
    total: int
    page: int
    size: int


class EventStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """Counts of one event type over a time range (the seeds' ``getEventStatistics``)."""

    total: int
    by_hour: dict[str, int]
    by_day: dict[str, int]
    by_organization: dict[str, int]
    by_user: dict[str, int]


class EventTrends(msgspec.Struct, frozen=True, kw_only=True):
    """Counts of one event type per interval bucket, in time order."""

    event_type: str
    interval: str
    buckets: dict[str, int]
