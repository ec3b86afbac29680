"""The composition root builds a working service from Settings, and refuses bad settings."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from billing.application.command_handlers import CommandResult
from billing.application.queries import GetPayment
from billing.bootstrap import Settings, build, idempotency_scope
from billing.domain import FailPayment, PaymentStatus, ProcessPayment, RequestPayment
from eventram import ValidationError


def test_the_default_service_runs_in_memory_and_handles_a_payment_lifecycle() -> None:
    with build() as app:
        app.commands.handle(
            RequestPayment(
                payment_id="p-1",
                organization_id="org-1",
                user_id="user-1",
                amount=Decimal("12.50"),
                currency="EUR",
            )
        )
        result = app.commands.handle(
            ProcessPayment(payment_id="p-1", amount=Decimal("12.5"), currency="EUR")
        )
        assert result == CommandResult(payment_id="p-1", version=2, position=2, status="completed")
        assert app.payments.load("p-1").status is PaymentStatus.COMPLETED
        assert [e.event_type for e in app.store.read_all()] == [
            "PaymentRequested",
            "PaymentProcessed",
        ]
    assert app.store.closed


def test_the_clock_given_to_build_stamps_the_events() -> None:
    moment = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    app = build(Settings(), clock=lambda: moment)
    app.commands.handle(
        RequestPayment(
            payment_id="p-1",
            organization_id="org-1",
            user_id="user-1",
            amount=Decimal("5"),
            currency="JPY",
        )
    )
    assert app.store.read_all()[0].recorded_at == moment


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"fsync": "sometimes"}, "fsync"),
        ({"projections": "later"}, "projections"),
        ({"fsync_interval": 0.0}, "fsync_interval"),
        ({"retry_attempts": 0}, "retry_attempts"),
        ({"idempotency_keys": 0}, "idempotency_keys"),
        ({"idempotency_keys_per_organization": 0}, "idempotency_keys_per_organization"),
        ({"aggregate_cache_size": -1}, "aggregate_cache_size"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(settings: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**settings)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_data_dir_keeps_the_events_and_rebuilds_the_read_models_on_restart(
    tmp_path: object,
) -> None:
    settings = Settings(data_dir=str(tmp_path), fsync="always")
    with build(settings) as app:
        app.commands.handle(
            RequestPayment(
                payment_id="p-1",
                organization_id="org-1",
                user_id="user-1",
                amount=Decimal("5"),
                currency="JPY",
            )
        )

    with build(settings) as again:
        assert again.store.last_position() == 1
        assert again.queries.ask(GetPayment(payment_id="p-1", operator=True)).status == "pending"


def test_idempotency_keys_are_scoped_per_organization_and_operators_share_one_scope() -> None:
    acme = ProcessPayment(payment_id="p", amount=Decimal(1), currency="EUR", organization_id="a")
    globex = ProcessPayment(payment_id="p", amount=Decimal(1), currency="EUR", organization_id="g")
    operator = ProcessPayment(payment_id="p", amount=Decimal(1), currency="EUR")

    scopes = {idempotency_scope(c) for c in (acme, globex, operator)}

    assert len(scopes) == 3
    assert idempotency_scope(operator) == idempotency_scope(FailPayment(payment_id="q", error="e"))
