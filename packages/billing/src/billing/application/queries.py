"""The questions billing answers: query types, checked at construction (answers: ``answers``).

Every query is an immutable ``eventram.Query`` that validates itself when built (types, ranges,
currency codes, page sizes), raising a ``ValidationError`` that names the field, so a handler
never sees bad input. Queries about payments are scoped to one organization: ``organization_id``
is required unless ``operator=True`` (support staff and the CLI see every organization).

Times are ranges ``since <= t <= until`` (the seeds' ``from``/``to``), timezone-aware. Pages are
1-based. Amounts are ``Decimal`` and are only ever summed per currency.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Final

from billing.application.answers import (
    EventSearchResult,
    EventStatistics,
    EventTrends,
    EventView,
    PaymentHistory,
    PaymentSearchResult,
    PaymentStatistics,
    PaymentView,
    Suggestion,
)
from billing.domain import PaymentStatus, minor_units
from eventram import Query, ValidationError

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "PAYMENT_EVENT_TYPES",
    "SORTABLE_FIELDS",
    "EventSearchResult",
    "EventStatistics",
    "EventTrends",
    "EventView",
    "GetEventStatistics",
    "GetEventTrends",
    "GetPayment",
    "GetPaymentHistory",
    "GetPaymentStatistics",
    "GetPaymentSuggestions",
    "PaymentHistory",
    "PaymentSearchResult",
    "PaymentStatistics",
    "PaymentView",
    "SearchPaymentEvents",
    "SearchPayments",
    "Suggestion",
]

DEFAULT_PAGE_SIZE: Final = 20
MAX_PAGE_SIZE: Final = 1000
MAX_SUGGESTIONS: Final = 100
MAX_ID_LENGTH: Final = 200
MAX_TEXT_LENGTH: Final = 200
MAX_FILTER_VALUES: Final = 50
SORTABLE_FIELDS: Final = ("created_at", "processed_at", "updated_at", "amount")
PAYMENT_EVENT_TYPES: Final = (
    "PaymentRequested",
    "PaymentProcessed",
    "PaymentFailed",
    "PaymentRefunded",
)
STATUSES: Final = tuple(s.value for s in PaymentStatus)
INTERVALS: Final = ("hour", "day", "week", "month")


# -- validation helpers --------------------------------------------------------------------


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(f"{field}: {message}", field=field)


def _check_id(field: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip():
        raise _fail(field, f"must be a non-empty string, got {value!r}")
    if len(value) > MAX_ID_LENGTH:
        raise _fail(field, f"must be at most {MAX_ID_LENGTH} characters, got {len(value)}")


def _check_text(field: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise _fail(field, f"must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT_LENGTH:
        raise _fail(field, f"must be at most {MAX_TEXT_LENGTH} characters, got {len(value)}")


def _check_int(field: str, value: object, low: int, high: int | None = None) -> None:
    if type(value) is not int:
        raise _fail(field, f"must be an integer, got {type(value).__name__}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise _fail(field, f"must be {bound}, got {value}")


def _check_time(field: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, datetime):
        raise _fail(field, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _fail(field, f"must carry a time zone (use UTC), got {value.isoformat()}")


def _check_range(since: datetime | None, until: datetime | None) -> None:
    _check_time("since", since)
    _check_time("until", until)
    if since is not None and until is not None and until < since:
        raise _fail("until", f"{until.isoformat()} is before since={since.isoformat()}")


def _check_required_range(since: object, until: object) -> None:
    if since is None:
        raise _fail("since", "is required")
    if until is None:
        raise _fail("until", "is required")
    _check_range(since, until)  # type: ignore[arg-type]


def _check_amount(field: str, value: object) -> None:
    if value is None:
        return
    if type(value) is not Decimal:
        raise _fail(field, f"must be a Decimal (never a float), got {type(value).__name__}")
    if not value.is_finite() or value < 0:
        raise _fail(field, f"must be a finite amount >= 0, got {value}")


def _check_choices(field: str, values: object, allowed: Iterable[str]) -> None:
    if not isinstance(values, tuple):
        raise _fail(field, f"must be a tuple of strings, got {type(values).__name__}")
    if len(values) > MAX_FILTER_VALUES:
        raise _fail(field, f"accepts at most {MAX_FILTER_VALUES} values, got {len(values)}")
    known = tuple(allowed)
    for value in values:
        if value not in known:
            raise _fail(field, f"unknown value {value!r}; use one of {', '.join(known)}")


def _check_currencies(field: str, values: object) -> None:
    if not isinstance(values, tuple):
        raise _fail(field, f"must be a tuple of currency codes, got {type(values).__name__}")
    if len(values) > MAX_FILTER_VALUES:
        raise _fail(field, f"accepts at most {MAX_FILTER_VALUES} values, got {len(values)}")
    for value in values:
        try:
            minor_units(value, field=field)
        except ValidationError as exc:
            raise _fail(field, str(exc)) from exc


def _check_scope(organization_id: object, operator: object) -> None:
    if type(operator) is not bool:
        raise _fail("operator", f"must be a bool, got {type(operator).__name__}")
    if organization_id is None:
        if not operator:
            raise _fail(
                "organization_id", "is required (only an operator may query every organization)"
            )
        return
    _check_id("organization_id", organization_id)


def _check_page(page: object, size: object) -> None:
    _check_int("page", page, 1)
    _check_int("size", size, 1, MAX_PAGE_SIZE)


def _check_position(value: object) -> None:
    if value is not None:
        _check_int("min_position", value, 0)


# -- queries -------------------------------------------------------------------------------


class GetPayment(Query, frozen=True, kw_only=True):
    """One payment by id, as its organization (or an operator) sees it."""

    payment_id: str
    organization_id: str | None = None
    operator: bool = False

    def __post_init__(self) -> None:
        _check_position(self.min_position)
        _check_id("payment_id", self.payment_id)
        _check_scope(self.organization_id, self.operator)


class SearchPayments(Query, frozen=True, kw_only=True):
    """Payments matching every given filter, sorted and paged (the seeds' ``SearchPayments``).

    ``since``/``until`` bound ``created_at``; ``text`` matches words (and word prefixes) of the
    description; ``sort`` is a sortable field, ``-field`` for descending.
    """

    organization_id: str | None = None
    operator: bool = False
    statuses: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()
    user_id: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None
    sort: str = "-created_at"
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        _check_position(self.min_position)
        _check_scope(self.organization_id, self.operator)
        _check_choices("statuses", self.statuses, STATUSES)
        _check_currencies("currencies", self.currencies)
        _check_id("user_id", self.user_id, optional=True)
        _check_amount("min_amount", self.min_amount)
        _check_amount("max_amount", self.max_amount)
        if (
            self.min_amount is not None
            and self.max_amount is not None
            and self.max_amount < self.min_amount
        ):
            raise _fail("max_amount", f"{self.max_amount} is below min_amount={self.min_amount}")
        _check_range(self.since, self.until)
        _check_text("text", self.text, optional=True)
        if not isinstance(self.sort, str) or self.sort.removeprefix("-") not in SORTABLE_FIELDS:
            raise _fail(
                "sort",
                f"unknown sort {self.sort!r}; use one of {', '.join(SORTABLE_FIELDS)} "
                "(prefix with '-' for descending)",
            )
        _check_page(self.page, self.size)


class GetPaymentStatistics(Query, frozen=True, kw_only=True):
    """Counts and per-currency sums of the payments requested in a time range."""

    organization_id: str | None = None
    operator: bool = False
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        _check_position(self.min_position)
        _check_scope(self.organization_id, self.operator)
        _check_range(self.since, self.until)


class GetPaymentSuggestions(Query, frozen=True, kw_only=True):
    """Descriptions starting with (a word starting with) ``text``, best first."""

    text: str
    organization_id: str | None = None
    operator: bool = False
    size: int = 10

    def __post_init__(self) -> None:
        _check_position(self.min_position)
        _check_scope(self.organization_id, self.operator)
        _check_text("text", self.text)
        if not self.text.strip():
            raise _fail("text", "must contain at least one letter or digit")
        _check_int("size", self.size, 1, MAX_SUGGESTIONS)


class GetPaymentHistory(Query, frozen=True, kw_only=True):
    """Every event of one payment, in order, with its envelope."""

    payment_id: str
    organization_id: str | None = None
    operator: bool = False

    def __post_init__(self) -> None:
        _check_position(self.min_position)
        _check_id("payment_id", self.payment_id)
        _check_scope(self.organization_id, self.operator)


class SearchPaymentEvents(Query, frozen=True, kw_only=True):
    """Payment events in a time range, optionally of some types or one correlation id."""

    organization_id: str | None = None
    operator: bool = False
    since: datetime | None = None
    until: datetime | None = None
    event_types: tuple[str, ...] = ()
    correlation_id: str | None = None
    page: int = 1
    size: int = DEFAULT_PAGE_SIZE

    def __post_init__(self) -> None:
        _check_position(self.min_position)
        _check_scope(self.organization_id, self.operator)
        _check_range(self.since, self.until)
        _check_choices("event_types", self.event_types, PAYMENT_EVENT_TYPES)
        _check_id("correlation_id", self.correlation_id, optional=True)
        _check_page(self.page, self.size)


class GetEventStatistics(Query, frozen=True, kw_only=True):
    """Counts of one event type in a range by hour, day, organization and user."""

    event_type: str
    since: datetime
    until: datetime
    organization_id: str | None = None
    operator: bool = False

    def __post_init__(self) -> None:
        _check_position(self.min_position)
        _check_choices("event_type", (self.event_type,), PAYMENT_EVENT_TYPES)
        _check_required_range(self.since, self.until)
        _check_scope(self.organization_id, self.operator)


class GetEventTrends(Query, frozen=True, kw_only=True):
    """Counts of one event type in a range per hour, day, ISO week or month."""

    event_type: str
    since: datetime
    until: datetime
    interval: str = "day"
    organization_id: str | None = None
    operator: bool = False

    def __post_init__(self) -> None:
        _check_position(self.min_position)
        _check_choices("event_type", (self.event_type,), PAYMENT_EVENT_TYPES)
        _check_required_range(self.since, self.until)
        _check_choices("interval", (self.interval,), INTERVALS)
        _check_scope(self.organization_id, self.operator)
