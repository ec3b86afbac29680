"""Idempotency remembers decisions, not transient infrastructure failures."""

from __future__ import annotations

from eventram import (
    Command,
    CommandBus,
    ConcurrencyError,
    IdempotencyMiddleware,
    StoreClosedError,
    ValidationError,
)


class Charge(Command, frozen=True):
    amount: int


def test_a_transient_failure_is_not_replayed_to_the_next_retry() -> None:
    failures: list[Exception] = [StoreClosedError("disk full"), ConcurrencyError("c-1", "v1", 2)]
    calls: list[int] = []

    def charge(command: Charge) -> int:
        calls.append(command.amount)
        if failures:
            raise failures.pop(0)
        return command.amount * 2

    bus = CommandBus({Charge: charge}, [IdempotencyMiddleware()])
    for expected in (StoreClosedError, ConcurrencyError):
        try:
            bus.handle(Charge(amount=5, idempotency_key="k"))
        except expected:
            pass
        else:
            raise AssertionError(f"expected {expected.__name__}")
    assert bus.handle(Charge(amount=5, idempotency_key="k")) == 10
    assert bus.handle(Charge(amount=5, idempotency_key="k")) == 10
    assert calls == [5, 5, 5]


def test_a_domain_decision_error_is_replayed_without_running_the_handler_again() -> None:
    calls: list[int] = []

    def charge(command: Charge) -> int:
        calls.append(command.amount)
        raise ValidationError("amount too large", field="amount")

    bus = CommandBus({Charge: charge}, [IdempotencyMiddleware()])
    errors = []
    for _ in range(2):
        try:
            bus.handle(Charge(amount=7, idempotency_key="k"))
        except ValidationError as exc:
            errors.append(exc)
    assert len(errors) == 2
    assert errors[0] is errors[1]
    assert calls == [7]
