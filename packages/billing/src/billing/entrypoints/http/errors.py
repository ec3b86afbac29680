"""Errors as RFC 9457 problem documents, mapped from exception classes in one table.

``STATUS_TABLE`` is the only place that says which error becomes which HTTP status; the most
specific class in an exception's MRO wins. A client never sees a stack trace: anything not in the
table is a 500 with a generic detail, logged with the request id that the response also carries
in ``X-Request-ID``.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any, Final

import msgspec
from litestar import Request, Response
from litestar.exceptions import (
    ClientException,
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.exceptions.http_exceptions import RequestEntityTooLarge

from billing.domain import (
    AmountMismatchError,
    CurrencyMismatchError,
    InvalidMoneyError,
    InvalidTransitionError,
    PaymentAlreadyExistsError,
    RefundExceedsRemainingError,
)
from billing.entrypoints.http.context import request_id_of
from eventram import (
    ConcurrencyError,
    DomainError,
    EventramError,
    HandlerNotFoundError,
    IdempotencyKeyReusedError,
    JournalWriteError,
    NotFoundError,
    ProjectionTimeoutError,
    StoreClosedError,
    ValidationError,
)

__all__ = [
    "PROBLEM_JSON",
    "STATUS_TABLE",
    "AuthenticationError",
    "HttpError",
    "MalformedRequestError",
    "OperatorOnlyError",
    "PreconditionFailedError",
    "Problem",
    "exception_handlers",
    "problem_for",
]

PROBLEM_JSON: Final = "application/problem+json"
_TYPE_BASE: Final = "https://gyroscops.example/problems/"

logger = logging.getLogger("billing.http.errors")


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem document; ``field`` names the offending input of a validation error."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = None
    request_id: str | None = None


class HttpError(Exception):
    """Base of errors raised by the HTTP layer itself (not by the engine or the domain)."""

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class AuthenticationError(HttpError):
    """No bearer token, or a token that is unknown or revoked."""


class OperatorOnlyError(HttpError):
    """The endpoint is for operator tokens only."""


class MalformedRequestError(HttpError):
    """The request cannot be read at all: a body that is not JSON, a header that is not valid."""


class PreconditionFailedError(HttpError):
    """``If-Match`` named a version the payment is not at."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(
            f'If-Match expected version "{expected}" but the payment is at version "{actual}"; '
            "nothing was written. Read the payment again and retry with its current ETag.",
            field="If-Match",
        )
        self.expected = expected
        self.actual = actual


class _Entry(msgspec.Struct, frozen=True):
    status: int
    slug: str
    title: str


# The one table: error class -> status. Order does not matter; the most specific class wins.
STATUS_TABLE: Final[dict[type[BaseException], _Entry]] = {
    MalformedRequestError: _Entry(400, "malformed-request", "Malformed request"),
    AuthenticationError: _Entry(401, "unauthenticated", "Authentication required"),
    NotAuthorizedException: _Entry(401, "unauthenticated", "Authentication required"),
    OperatorOnlyError: _Entry(403, "operator-only", "Operator token required"),
    PermissionDeniedException: _Entry(403, "operator-only", "Operator token required"),
    NotFoundError: _Entry(404, "not-found", "Not found"),
    NotFoundException: _Entry(404, "not-found", "Not found"),
    MethodNotAllowedException: _Entry(405, "method-not-allowed", "Method not allowed"),
    DomainError: _Entry(409, "domain-conflict", "The request conflicts with the payment's state"),
    InvalidTransitionError: _Entry(409, "invalid-transition", "Not allowed in this status"),
    PaymentAlreadyExistsError: _Entry(409, "payment-exists", "Payment already exists"),
    RefundExceedsRemainingError: _Entry(409, "refund-exceeds-remaining", "Refund too large"),
    AmountMismatchError: _Entry(409, "amount-mismatch", "Amount differs from the requested"),
    CurrencyMismatchError: _Entry(409, "currency-mismatch", "Currency differs from the payment's"),
    InvalidMoneyError: _Entry(422, "invalid-money", "Invalid amount or currency"),
    ConcurrencyError: _Entry(409, "concurrency-conflict", "Concurrent modification"),
    PreconditionFailedError: _Entry(412, "precondition-failed", "If-Match does not match"),
    RequestEntityTooLarge: _Entry(413, "payload-too-large", "Request body too large"),
    ValidationError: _Entry(422, "validation", "Invalid request"),
    IdempotencyKeyReusedError: _Entry(422, "idempotency-key-reused", "Idempotency key reused"),
    ValidationException: _Entry(422, "validation", "Invalid request"),
    JournalWriteError: _Entry(503, "journal-unavailable", "The journal cannot write"),
    StoreClosedError: _Entry(503, "journal-unavailable", "The journal cannot write"),
    ProjectionTimeoutError: _Entry(503, "read-model-lag", "Read models are behind"),
    HandlerNotFoundError: _Entry(500, "internal", "Internal server error"),
    EventramError: _Entry(500, "internal", "Internal server error"),
}
_INTERNAL: Final = _Entry(500, "internal", "Internal server error")
_INTERNAL_DETAIL: Final = "The server failed to answer; the request id identifies it in the logs."


def _entry_for(exc: BaseException) -> _Entry:
    for cls in type(exc).__mro__:
        entry = STATUS_TABLE.get(cls)
        if entry is not None:
            return entry
    if isinstance(exc, HTTPException):
        return _Entry(exc.status_code, "http-error", _reason(exc.status_code))
    return _INTERNAL


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


_AT_PATH = re.compile(r"at `\$\.data\.([A-Za-z0-9_]+)")
_NAMED = re.compile(r"(?:missing required field|unknown field) `([A-Za-z0-9_]+)`")


def _validation_field(exc: ValidationException) -> tuple[str | None, str]:
    """The offending field and a message, from Litestar's validation error (msgspec's words)."""
    cause = str(exc.__cause__) if exc.__cause__ is not None else ""
    match = _AT_PATH.search(cause) or _NAMED.search(cause)
    extra = exc.extra if isinstance(exc.extra, list) else []
    first = extra[0] if extra and isinstance(extra[0], dict) else {}
    message = str(first.get("message") or exc.detail)
    if match is not None:
        return match.group(1), message
    key = first.get("key")
    return (str(key) if key else None), message


# Names the application uses for inputs that the API spells otherwise (query parameters).
FIELD_ALIASES: Final = {
    "since": "from",
    "until": "to",
    "statuses": "status",
    "currencies": "currency",
    "text": "q",
    "event_types": "type",
    "event_type": "type",
    "idempotency_key": "Idempotency-Key",
}


def _api_field(field: object) -> str | None:
    if not isinstance(field, str) or not field:
        return None
    return FIELD_ALIASES.get(field, field)


def problem_for(exc: BaseException, request_id: str | None, path: str | None) -> Problem:
    """The problem document for an exception (generic for anything unexpected)."""
    if isinstance(exc, ValidationException):
        raw_field, message = _validation_field(exc)
        field = _api_field(raw_field)
        if field == "data" and message in {"'data'", "Object missing required field `data`"}:
            exc = MalformedRequestError("The request needs a JSON body.")
        else:
            return Problem(
                type=_TYPE_BASE + "validation",
                title="Invalid request",
                status=422,
                detail=f"{field}: {message}" if field else message,
                instance=path,
                field=field,
                request_id=request_id,
            )
    if isinstance(exc, ClientException) and exc.status_code == 400:
        # Litestar raises a bare ClientException(400) for bodies that are not JSON at all.
        exc = MalformedRequestError(str(exc.detail))
    entry = _entry_for(exc)
    if entry.status >= 500 and entry.slug == "internal":
        detail = _INTERNAL_DETAIL
    elif isinstance(exc, HTTPException):
        detail = str(exc.detail)
    else:
        detail = str(exc)
    return Problem(
        type=_TYPE_BASE + entry.slug,
        title=entry.title,
        status=entry.status,
        detail=detail,
        instance=path,
        field=_api_field(getattr(exc, "field", None)) if entry.status < 500 else None,
        request_id=request_id,
    )


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[Any]:
    """A response carrying a problem document with its media type."""
    all_headers = dict(headers or {})
    if problem.request_id:
        all_headers["X-Request-ID"] = problem.request_id
    if problem.status == 503:
        all_headers.setdefault("Retry-After", "1")
    if problem.status == 401:
        all_headers.setdefault("WWW-Authenticate", 'Bearer realm="billing"')
    return Response(
        content=msgspec.json.encode(problem),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=all_headers,
    )


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Litestar exception handler: every error leaves as a problem document."""
    request_id = request_id_of(request.scope)
    problem = problem_for(exc, request_id, request.url.path)
    if problem.status >= 500:
        logger.error(
            "%s %s failed with %d (%s): %s",
            request.method,
            request.url.path,
            problem.status,
            type(exc).__name__,
            exc,
            exc_info=problem.status == 500,
            extra={"request_id": request_id, "status": problem.status},
        )
    headers = None
    if isinstance(exc, HTTPException) and exc.headers and "Allow" in exc.headers:
        headers = {"Allow": exc.headers["Allow"]}
    return problem_response(problem, headers)


def exception_handlers() -> dict[type[Exception] | int, Any]:
    """The handler map for ``Litestar(exception_handlers=...)``."""
    return {Exception: handle_exception}
