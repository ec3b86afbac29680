"""Payment endpoints: commands as POSTs, queries as GETs, always scoped to the caller's tenant."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from billing.application.answers import (
    PaymentHistory,
    PaymentSearchResult,
    PaymentStatistics,
    PaymentView,
    Suggestion,
)
from billing.application.queries import (
    GetPayment,
    GetPaymentHistory,
    GetPaymentStatistics,
    GetPaymentSuggestions,
    SearchPayments,
)
from billing.domain import FailPayment, ProcessPayment, RefundPayment, RequestPayment
from billing.entrypoints.http.auth import principal_of
from billing.entrypoints.http.errors import MalformedRequestError, OperatorOnlyError
from billing.entrypoints.http.gateway import Gateway
from billing.entrypoints.http.idempotency import REPLAYED_HEADER, idempotency_key
from billing.entrypoints.http.openapi import (
    COMMAND_RESPONSES,
    IDEMPOTENCY_KEY,
    MAX_PAGE,
    MIN_POSITION,
    QUERY_RESPONSES,
    problem_responses,
)
from billing.entrypoints.http.schemas import (
    ID_PATTERN,
    CommandResponse,
    CreatePaymentRequest,
    FailPaymentRequest,
    ProcessPaymentRequest,
    RefundPaymentRequest,
)
from billing.entrypoints.http.tokens import Principal
from eventram import Command, ValidationError

__all__ = ["PAYMENT_ROUTES"]

PaymentId = Annotated[str, Parameter(pattern=ID_PATTERN, max_length=100)]
IfMatch = Annotated[
    str | None,
    Parameter(
        header="If-Match",
        required=False,
        description='The version the payment must be at, as its ETag: "3"',
    ),
]
Since = Annotated[datetime | None, Parameter(query="from", required=False)]
Until = Annotated[datetime | None, Parameter(query="to", required=False)]


def _gateway(state: State) -> Gateway:
    gateway: Gateway = state.gateway
    return gateway


def _scope(principal: Principal) -> dict[str, Any]:
    return {"organization_id": principal.organization_id, "operator": principal.operator}


def _decimal(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError(f"{field}: {text!r} is not a decimal amount", field=field) from None
    if not value.is_finite():
        raise ValidationError(f"{field}: {text!r} is not a finite amount", field=field)
    return value


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    if not text.isdigit():
        raise MalformedRequestError(
            f'If-Match must be a version in quotes, like "3"; got {if_match!r}.', field="If-Match"
        )
    return int(text)


def _new_payment_id(principal: Principal, key: str | None) -> str:
    """A new payment id; derived from the idempotency key when there is one, so that a retry
    of a request whose answer was lost can never create a second payment."""
    if key is None:
        return f"pay_{uuid.uuid4().hex}"
    seed = f"{principal.tenant}\n{key}".encode()
    return f"pay_{hashlib.sha256(seed).hexdigest()[:32]}"


def _etag(version: int) -> str:
    return f'"{version}"'


async def _run(
    request: Request[Any, Any, Any],
    command: Command,
    payment_id: str,
    principal: Principal,
    *,
    status: int = HTTP_200_OK,
) -> Response[CommandResponse]:
    gateway = _gateway(request.app.state)
    result, replayed = await gateway.handle(command)
    view: PaymentView = await gateway.ask(
        GetPayment(payment_id=payment_id, min_position=result.position, **_scope(principal))
    )
    headers = {"ETag": _etag(result.version)}
    if status == HTTP_201_CREATED:
        headers["Location"] = f"/payments/{payment_id}"
    if replayed:
        headers[REPLAYED_HEADER] = "true"
    body = CommandResponse(payment=view, version=result.version, position=result.position)
    return Response(body, status_code=status, headers=headers)


@post(
    "/payments",
    status_code=HTTP_201_CREATED,
    summary="Request a payment",
    responses=problem_responses(COMMAND_RESPONSES, 403, 409),
)
async def create_payment(
    request: Request[Any, Any, Any],
    data: CreatePaymentRequest,
    idempotency: IDEMPOTENCY_KEY = None,
) -> Response[CommandResponse]:
    """Request a payment for a user of the caller's organization (201, with ``Location``).

    A client-chosen ``payment_id`` that already exists is a 409.
    """
    principal = principal_of(request)
    if principal.organization_id is None:
        raise OperatorOnlyError(
            "An operator token does not belong to an organization; request payments with an "
            "organization's token."
        )
    key = idempotency_key(idempotency)
    payment_id = data.payment_id or _new_payment_id(principal, key)
    command = RequestPayment(
        payment_id=payment_id,
        organization_id=principal.organization_id,
        user_id=data.user_id,
        amount=_decimal(data.amount, "amount"),
        currency=data.currency,
        description=data.description,
        metadata=dict(data.metadata or {}),
        idempotency_key=key,
    )
    return await _run(request, command, payment_id, principal, status=HTTP_201_CREATED)


@post(
    "/payments/{payment_id:str}/process",
    status_code=HTTP_200_OK,
    summary="Process a pending payment",
    responses=problem_responses(COMMAND_RESPONSES, 404, 409, 412),
)
async def process_payment(
    request: Request[Any, Any, Any],
    payment_id: PaymentId,
    data: ProcessPaymentRequest,
    if_match: IfMatch = None,
    idempotency: IDEMPOTENCY_KEY = None,
) -> Response[CommandResponse]:
    """Record that a pending payment was collected (amount and currency as requested)."""
    principal = principal_of(request)
    command = ProcessPayment(
        payment_id=payment_id,
        amount=_decimal(data.amount, "amount"),
        currency=data.currency,
        organization_id=principal.organization_id,
        expected_version=_expected_version(if_match),
        idempotency_key=idempotency_key(idempotency),
    )
    return await _run(request, command, payment_id, principal)


@post(
    "/payments/{payment_id:str}/fail",
    status_code=HTTP_200_OK,
    summary="Fail a pending payment",
    responses=problem_responses(COMMAND_RESPONSES, 404, 409, 412),
)
async def fail_payment(
    request: Request[Any, Any, Any],
    payment_id: PaymentId,
    data: FailPaymentRequest,
    if_match: IfMatch = None,
    idempotency: IDEMPOTENCY_KEY = None,
) -> Response[CommandResponse]:
    """Record that collecting a pending payment failed, with the provider's error."""
    principal = principal_of(request)
    command = FailPayment(
        payment_id=payment_id,
        error=data.error,
        organization_id=principal.organization_id,
        expected_version=_expected_version(if_match),
        idempotency_key=idempotency_key(idempotency),
    )
    return await _run(request, command, payment_id, principal)


@post(
    "/payments/{payment_id:str}/refund",
    status_code=HTTP_200_OK,
    summary="Refund a processed payment, in full or in part",
    responses=problem_responses(COMMAND_RESPONSES, 404, 409, 412),
)
async def refund_payment(
    request: Request[Any, Any, Any],
    payment_id: PaymentId,
    data: RefundPaymentRequest,
    if_match: IfMatch = None,
    idempotency: IDEMPOTENCY_KEY = None,
) -> Response[CommandResponse]:
    """Refund part or all of what is left of a processed payment."""
    principal = principal_of(request)
    currency = data.currency
    if currency is None:
        current: PaymentView = await _gateway(request.app.state).ask(
            GetPayment(payment_id=payment_id, **_scope(principal))
        )
        currency = current.currency
    command = RefundPayment(
        payment_id=payment_id,
        amount=_decimal(data.amount, "amount"),
        currency=currency,
        reason=data.reason,
        organization_id=principal.organization_id,
        expected_version=_expected_version(if_match),
        idempotency_key=idempotency_key(idempotency),
    )
    return await _run(request, command, payment_id, principal)


@get(
    "/payments/{payment_id:str}",
    summary="Read a payment",
    responses=problem_responses(QUERY_RESPONSES, 404),
)
async def get_payment(
    request: Request[Any, Any, Any],
    payment_id: PaymentId,
    min_position: MIN_POSITION = None,
) -> Response[PaymentView]:
    """The payment as the read model holds it; ``ETag`` is its version."""
    principal = principal_of(request)
    view: PaymentView = await _gateway(request.app.state).ask(
        GetPayment(payment_id=payment_id, min_position=min_position, **_scope(principal))
    )
    etag = _etag(view.version)
    if request.headers.get("if-none-match") == etag:
        return Response(content=None, status_code=304, headers={"ETag": etag})  # type: ignore[arg-type]
    return Response(view, headers={"ETag": etag})


@get("/payments", summary="Search payments", responses=problem_responses(QUERY_RESPONSES))
async def search_payments(
    request: Request[Any, Any, Any],
    status: Annotated[list[str] | None, Parameter(query="status", required=False)] = None,
    currency: Annotated[list[str] | None, Parameter(query="currency", required=False)] = None,
    user_id: Annotated[str | None, Parameter(max_length=200, required=False)] = None,
    min_amount: Annotated[str | None, Parameter(max_length=64, required=False)] = None,
    max_amount: Annotated[str | None, Parameter(max_length=64, required=False)] = None,
    since: Since = None,
    until: Until = None,
    q: Annotated[str | None, Parameter(max_length=200, required=False)] = None,
    sort: Annotated[str, Parameter(required=False)] = "-created_at",
    page: Annotated[int, Parameter(ge=1, le=MAX_PAGE, required=False)] = 1,
    size: Annotated[int, Parameter(ge=1, le=1000, required=False)] = 20,
    min_position: MIN_POSITION = None,
) -> PaymentSearchResult:
    """Payments of the caller's organization matching every filter, sorted and paged.

    ``status`` and ``currency`` repeat (``?status=completed&status=refunded``); ``from``/``to``
    bound the creation time; ``q`` matches words of the description; ``sort`` is one of
    ``created_at``, ``processed_at``, ``updated_at``, ``amount``, with ``-`` for descending.
    """
    principal = principal_of(request)
    query = SearchPayments(
        statuses=tuple(status or ()),
        currencies=tuple(currency or ()),
        user_id=user_id,
        min_amount=None if min_amount is None else _decimal(min_amount, "min_amount"),
        max_amount=None if max_amount is None else _decimal(max_amount, "max_amount"),
        since=since,
        until=until,
        text=q,
        sort=sort,
        page=page,
        size=size,
        min_position=min_position,
        **_scope(principal),
    )
    found: PaymentSearchResult = await _gateway(request.app.state).ask(query)
    return found


@get(
    "/payments/statistics",
    summary="Payment statistics",
    responses=problem_responses(QUERY_RESPONSES),
)
async def payment_statistics(
    request: Request[Any, Any, Any],
    since: Since = None,
    until: Until = None,
    min_position: MIN_POSITION = None,
) -> PaymentStatistics:
    """Counts by status and currency and amounts per currency of payments created in a range."""
    principal = principal_of(request)
    query = GetPaymentStatistics(
        since=since, until=until, min_position=min_position, **_scope(principal)
    )
    statistics: PaymentStatistics = await _gateway(request.app.state).ask(query)
    return statistics


@get(
    "/payments/suggestions",
    summary="Suggest descriptions",
    responses=problem_responses(QUERY_RESPONSES),
)
async def payment_suggestions(
    request: Request[Any, Any, Any],
    q: Annotated[str, Parameter(min_length=1, max_length=200)],
    size: Annotated[int, Parameter(ge=1, le=100, required=False)] = 10,
    min_position: MIN_POSITION = None,
) -> list[Suggestion]:
    """Descriptions of the caller's payments that complete ``q``, best first."""
    principal = principal_of(request)
    query = GetPaymentSuggestions(text=q, size=size, min_position=min_position, **_scope(principal))
    suggestions: list[Suggestion] = await _gateway(request.app.state).ask(query)
    return suggestions


@get(
    "/payments/{payment_id:str}/history",
    summary="A payment's events",
    responses=problem_responses(QUERY_RESPONSES, 404),
)
async def payment_history(
    request: Request[Any, Any, Any],
    payment_id: PaymentId,
    min_position: MIN_POSITION = None,
) -> PaymentHistory:
    """The payment's events in order, with their envelopes."""
    principal = principal_of(request)
    query = GetPaymentHistory(payment_id=payment_id, min_position=min_position, **_scope(principal))
    history: PaymentHistory = await _gateway(request.app.state).ask(query)
    return history


PAYMENT_ROUTES = [
    create_payment,
    process_payment,
    fail_payment,
    refund_payment,
    search_payments,
    payment_statistics,
    payment_suggestions,
    get_payment,
    payment_history,
]
