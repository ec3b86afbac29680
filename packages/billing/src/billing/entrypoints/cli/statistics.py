"""The tables of ``billing stats`` (and of the end of ``billing demo``): payment figures, trends.

Every figure comes from a query on the service's query bus, scoped to one organization or, for
an operator, to all of them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from rich.table import Table

from billing.application.queries import (
    PAYMENT_EVENT_TYPES,
    GetEventStatistics,
    GetEventTrends,
    GetPaymentStatistics,
    PaymentStatistics,
)
from billing.bootstrap import BillingApp
from billing.entrypoints.cli.app import console
from billing.entrypoints.cli.choices import Interval
from eventram import QueryBus

__all__ = ["query_scope", "show_statistics"]


def query_scope(org: str | None) -> dict[str, Any]:
    """The scope fields of a query: one organization, or every one for an operator."""
    return {"organization_id": org, "operator": org is None}


def _money(value: Decimal) -> str:
    return f"{value:,f}"


def show_statistics(
    service: BillingApp,
    org: str | None,
    since: datetime | None,
    until: datetime | None,
    interval: Interval,
) -> None:
    """Payments by status and amounts per currency, then trends, then the largest organizations."""
    figures: PaymentStatistics = service.queries.ask(
        GetPaymentStatistics(since=since, until=until, **query_scope(org))
    )
    _show_payment_figures(figures, org)
    store = service.store
    if not store.last_position():
        return
    start = since or store.read_all(0, 1)[0].recorded_at
    end = until or store.read_all(store.last_position() - 1, 1)[0].recorded_at
    _show_trends(service.queries, org, start, end, interval)
    if org is None:
        _show_largest_organizations(service.queries, start, end)


def _show_payment_figures(figures: PaymentStatistics, org: str | None) -> None:
    who = f"organization {org}" if org else "every organization"
    status = Table("status", "payments", title=f"Payments of {who} by status")
    for name, count in sorted(figures.by_status.items(), key=lambda kv: -kv[1]):
        status.add_row(name, f"{count:,}")
    status.add_row("[bold]total[/]", f"[bold]{figures.total:,}[/]")
    console.print(status)
    money = Table(
        "currency",
        "payments",
        "requested",
        "processed",
        "refunded",
        "net",
        title="Amounts per currency (never added across currencies)",
    )
    for currency, count in sorted(figures.by_currency.items(), key=lambda kv: -kv[1]):
        money.add_row(
            currency,
            f"{count:,}",
            _money(figures.total_amount[currency]),
            _money(figures.processed_amount[currency]),
            _money(figures.refunded_amount[currency]),
            _money(figures.net_amount[currency]),
        )
    console.print(money)


def _show_trends(
    queries: QueryBus, org: str | None, start: datetime, end: datetime, interval: Interval
) -> None:
    headers = [t.removeprefix("Payment").lower() for t in PAYMENT_EVENT_TYPES]
    trends = Table(interval, *headers, title=f"Payment events per {interval}")
    columns = [
        queries.ask(
            GetEventTrends(
                event_type=t, since=start, until=end, interval=interval.value, **query_scope(org)
            )
        ).buckets
        for t in PAYMENT_EVENT_TYPES
    ]
    for label in sorted(set().union(*columns)):
        trends.add_row(label, *(f"{c.get(label, 0):,}" for c in columns))
    console.print(trends)


def _show_largest_organizations(queries: QueryBus, start: datetime, end: datetime) -> None:
    requested = queries.ask(
        GetEventStatistics(event_type="PaymentRequested", since=start, until=end, operator=True)
    )
    top = Table("organization", "payments requested", title="Largest organizations")
    ranked = sorted(requested.by_organization.items(), key=lambda kv: (-kv[1], kv[0]))
    for name, count in ranked[:10]:
        top.add_row(name, f"{count:,}")
    console.print(top)
