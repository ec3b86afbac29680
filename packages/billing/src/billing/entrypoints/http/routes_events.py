"""Event endpoints: search, statistics and trends over the payment events of the caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from litestar import Request, get
from litestar.params import Parameter

from billing.application.answers import EventSearchResult, EventStatistics, EventTrends
from billing.application.queries import GetEventStatistics, GetEventTrends, SearchPaymentEvents
from billing.entrypoints.http.auth import principal_of
from billing.entrypoints.http.gateway import Gateway
from billing.entrypoints.http.openapi import (
    MAX_PAGE,
    MIN_POSITION,
    QUERY_RESPONSES,
    problem_responses,
)

__all__ = ["DEFAULT_WINDOW", "EVENT_ROUTES"]

DEFAULT_WINDOW = timedelta(days=30)
EventType = Literal["PaymentRequested", "PaymentProcessed", "PaymentFailed", "PaymentRefunded"]
Since = Annotated[datetime | None, Parameter(query="from", required=False)]
Until = Annotated[datetime | None, Parameter(query="to", required=False)]


def _gateway(request: Request[Any, Any, Any]) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


def _window(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """A closed range, defaulting to the last 30 days up to now."""
    end = until if until is not None else datetime.now(UTC)
    return (since if since is not None else end - DEFAULT_WINDOW), end


@get("/events", summary="Search payment events", responses=problem_responses(QUERY_RESPONSES))
async def search_events(
    request: Request[Any, Any, Any],
    type: Annotated[list[EventType] | None, Parameter(query="type", required=False)] = None,
    since: Since = None,
    until: Until = None,
    correlation_id: Annotated[str | None, Parameter(max_length=200, required=False)] = None,
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE, required=False)] = 1,
    size: Annotated[int, Parameter(ge=1, le=1000, required=False)] = 20,
    min_position: MIN_POSITION = None,
) -> EventSearchResult:
    """The caller's payment events in global order, filtered by type, time and correlation."""
    principal = principal_of(request)
    query = SearchPaymentEvents(
        organization_id=principal.organization_id,
        operator=principal.operator,
        event_types=tuple(type or ()),
        since=since,
        until=until,
        correlation_id=correlation_id,
        page=page,
        size=size,
        min_position=min_position,
    )
    found: EventSearchResult = await _gateway(request).ask(query)
    return found


@get(
    "/events/statistics",
    summary="Event statistics",
    responses=problem_responses(QUERY_RESPONSES),
)
async def event_statistics(
    request: Request[Any, Any, Any],
    type: Annotated[EventType, Parameter(query="type", required=False)] = "PaymentRequested",
    since: Since = None,
    until: Until = None,
    min_position: MIN_POSITION = None,
) -> EventStatistics:
    """Counts of one event type by hour, day, organization and user (default: last 30 days)."""
    principal = principal_of(request)
    start, end = _window(since, until)
    query = GetEventStatistics(
        event_type=type,
        since=start,
        until=end,
        organization_id=principal.organization_id,
        operator=principal.operator,
        min_position=min_position,
    )
    statistics: EventStatistics = await _gateway(request).ask(query)
    return statistics


@get("/events/trends", summary="Event trends", responses=problem_responses(QUERY_RESPONSES))
async def event_trends(
    request: Request[Any, Any, Any],
    type: Annotated[EventType, Parameter(query="type", required=False)] = "PaymentRequested",
    since: Since = None,
    until: Until = None,
    interval: Literal["hour", "day", "week", "month"] = "day",
    min_position: MIN_POSITION = None,
) -> EventTrends:
    """Counts of one event type per hour, day, ISO week or month (default: last 30 days)."""
    principal = principal_of(request)
    start, end = _window(since, until)
    query = GetEventTrends(
        event_type=type,
        since=start,
        until=end,
        interval=interval,
        organization_id=principal.organization_id,
        operator=principal.operator,
        min_position=min_position,
    )
    trends: EventTrends = await _gateway(request).ask(query)
    return trends


EVENT_ROUTES = [search_events, event_statistics, event_trends]
