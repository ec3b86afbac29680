"""The one table from errors to HTTP statuses, and problem documents without internals."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.domain import (
    InvalidTransitionError,
    NonPositiveAmountError,
    PaymentAlreadyExistsError,
    RefundExceedsRemainingError,
    TooManyDecimalPlacesError,
    UnknownCurrencyError,
)
from billing.entrypoints.http.errors import (
    AuthenticationError,
    MalformedRequestError,
    OperatorOnlyError,
    PreconditionFailedError,
    problem_for,
)
from eventram import (
    ConcurrencyError,
    IdempotencyKeyReusedError,
    JournalWriteError,
    NotFoundError,
    ProjectionTimeoutError,
    StoreClosedError,
    ValidationError,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (MalformedRequestError("not JSON"), 400),
        (AuthenticationError("no token"), 401),
        (OperatorOnlyError("operators only"), 403),
        (NotFoundError("Payment", "p1"), 404),
        (InvalidTransitionError("p1", "pending", "refunded", ["completed"]), 409),
        (PaymentAlreadyExistsError("p1"), 409),
        (RefundExceedsRemainingError("p1", Decimal(2), Decimal(1), "EUR"), 409),
        (ConcurrencyError("p1", "version 1", 2), 409),
        (PreconditionFailedError(1, 2), 412),
        (IdempotencyKeyReusedError("k-1"), 422),
        (ProjectionTimeoutError(["payments"], 9, 7, 5.0), 503),
        (ValidationError("bad", field="x"), 422),
        (TooManyDecimalPlacesError(Decimal("1.001"), "EUR", 2), 422),
        (NonPositiveAmountError(Decimal(0), "EUR"), 422),
        (UnknownCurrencyError("ZZZ"), 422),
        (JournalWriteError("/data/journal", OSError(28, "No space left on device")), 503),
        (StoreClosedError("closed"), 503),
        (RuntimeError("boom at 0xdeadbeef"), 500),
    ],
)
def test_each_error_class_maps_to_its_status(error: Exception, status: int) -> None:
    assert problem_for(error, "rid", "/x").status == status


def test_validation_problems_name_the_field() -> None:
    problem = problem_for(TooManyDecimalPlacesError(Decimal("1.001"), "EUR", 2), "rid", "/p")

    assert problem.field == "amount"
    assert problem.type.endswith("/invalid-money")


def test_an_unexpected_error_never_shows_its_message() -> None:
    problem = problem_for(RuntimeError("password=hunter2"), "rid-1", "/p")

    assert "hunter2" not in problem.detail
    assert problem.request_id == "rid-1"
