"""Turn the application's answers (query results, events) into the API's response bodies."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from billing.entrypoints.http.schemas import (
    EventOut,
    EventPage,
    EventStatisticsOut,
    EventTrendsOut,
    PaymentHistoryOut,
    PaymentOut,
    PaymentPage,
    PaymentStatisticsOut,
    SuggestionOut,
)

__all__ = [
    "amount_text",
    "event_out",
    "event_page",
    "event_statistics_out",
    "event_trends_out",
    "history_out",
    "payment_out",
    "payment_page",
    "payment_statistics_out",
    "suggestions_out",
]


def amount_text(value: Decimal) -> str:
    """A Decimal as a plain decimal string ("100.00"), never in exponent notation."""
    return format(value, "f")


def _amounts(values: dict[str, Decimal]) -> dict[str, str]:
    return {currency: amount_text(amount) for currency, amount in sorted(values.items())}


def payment_out(view: Any) -> PaymentOut:
    """A read-model payment (``billing.application.queries.PaymentView``) as the API shows it."""
    return PaymentOut(
        payment_id=view.payment_id,
        organization_id=view.organization_id,
        user_id=view.user_id,
        amount=amount_text(view.amount),
        currency=view.currency,
        status=str(view.status),
        description=view.description,
        metadata=dict(view.metadata),
        created_at=view.created_at,
        processed_at=view.processed_at,
        failed_at=view.failed_at,
        error=view.error,
        refunded_amount=amount_text(view.refunded_amount),
        refunded_at=view.refunded_at,
        updated_at=view.updated_at,
        indexed_at=view.indexed_at,
        version=view.version,
    )


def payment_page(result: Any) -> PaymentPage:
    """A ``PaymentSearchResult`` as the API shows it."""
    return PaymentPage(
        items=[payment_out(v) for v in result.items],
        total=result.total,
        page=result.page,
        size=result.size,
    )


def payment_statistics_out(stats: Any) -> PaymentStatisticsOut:
    """``PaymentStatistics`` with amounts as decimal strings."""
    return PaymentStatisticsOut(
        total=stats.total,
        by_status=dict(stats.by_status),
        by_currency=dict(stats.by_currency),
        total_amount=_amounts(stats.total_amount),
        processed_amount=_amounts(stats.processed_amount),
        refunded_amount=_amounts(stats.refunded_amount),
        net_amount=_amounts(stats.net_amount),
        by_day=dict(stats.by_day),
    )


def suggestions_out(suggestions: Any) -> list[SuggestionOut]:
    """Suggestions as the API shows them."""
    return [SuggestionOut(s.text, float(s.score)) for s in suggestions]


def event_out(view: Any) -> EventOut:
    """An ``EventView`` as the API shows it."""
    return EventOut(
        event_id=view.event_id,
        event_type=view.event_type,
        stream_id=view.stream_id,
        stream_type=view.stream_type,
        version=view.version,
        position=view.position,
        recorded_at=view.recorded_at,
        correlation_id=view.correlation_id,
        causation_id=view.causation_id,
        metadata=dict(view.metadata),
        data=dict(view.data),
    )


def history_out(history: Any) -> PaymentHistoryOut:
    """A ``PaymentHistory`` as the API shows it."""
    return PaymentHistoryOut(
        payment_id=history.payment_id, events=[event_out(e) for e in history.events]
    )


def event_page(result: Any) -> EventPage:
    """An ``EventSearchResult`` as the API shows it."""
    return EventPage(
        items=[event_out(e) for e in result.items],
        total=result.total,
        page=result.page,
        size=result.size,
    )


def event_statistics_out(event_type: str, stats: Any) -> EventStatisticsOut:
    """``EventStatistics`` as the API shows it."""
    return EventStatisticsOut(
        event_type=event_type,
        total=stats.total,
        by_hour=dict(stats.by_hour),
        by_day=dict(stats.by_day),
        by_organization=dict(stats.by_organization),
        by_user=dict(stats.by_user),
    )


def event_trends_out(trends: Any) -> EventTrendsOut:
    """``EventTrends`` as the API shows them."""
    return EventTrendsOut(
        event_type=trends.event_type, interval=trends.interval, buckets=dict(trends.buckets)
    )
