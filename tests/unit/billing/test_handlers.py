"""The payments command handlers, through the real command bus and its middleware.

given events in the store, when a command goes through the bus (logging, idempotency,
correlation, retry on conflict), then exactly these events are stored, or an error and nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal

import pytest

from billing.application.command_handlers import HANDLERS, CommandResult
from billing.bootstrap import Settings, command_bus
from billing.domain import (
    AmountMismatchError,
    FailPayment,
    InvalidTransitionError,
    NonPositiveAmountError,
    Payment,
    PaymentAlreadyExistsError,
    PaymentFailed,
    PaymentProcessed,
    PaymentRefunded,
    PaymentRequested,
    ProcessPayment,
    RefundExceedsRemainingError,
    RefundPayment,
    RequestPayment,
)
from eventram import (
    ANY,
    AppendResult,
    Command,
    CommandBus,
    ConcurrencyError,
    Event,
    EventramError,
    InMemoryEventStore,
    NewEvent,
    NotFoundError,
    Repository,
    ValidationError,
)
from eventram.testing import CommandScenario

PAYMENT_ID = "payment-123"


def bus_on(store: InMemoryEventStore) -> CommandBus:
    return command_bus(Repository(store, Payment), Settings())


def scenario() -> CommandScenario:
    return CommandScenario(bus_on)


def request(**overrides: object) -> RequestPayment:
    fields: dict[str, object] = {
        "payment_id": PAYMENT_ID,
        "organization_id": "org-456",
        "user_id": "user-789",
        "amount": Decimal("100.00"),
        "currency": "EUR",
        "description": "Cloud resources, March",
        "metadata": {"invoice": "INV-1"},
    }
    fields.update(overrides)
    return RequestPayment(**fields)  # type: ignore[arg-type]


def requested(amount: str = "100.00", currency: str = "EUR") -> PaymentRequested:
    return PaymentRequested(
        payment_id=PAYMENT_ID,
        organization_id="org-456",
        user_id="user-789",
        amount=Decimal(amount),
        currency=currency,
        description="Cloud resources, March",
        metadata={"invoice": "INV-1"},
    )


def processed(amount: str = "100.00") -> PaymentProcessed:
    return PaymentProcessed(payment_id=PAYMENT_ID, amount=Decimal(amount), currency="EUR")


def refunded(amount: str, reason: str = "goodwill") -> PaymentRefunded:
    return PaymentRefunded(
        payment_id=PAYMENT_ID, amount=Decimal(amount), currency="EUR", reason=reason
    )


def process(amount: str = "100.00", organization_id: str | None = None) -> ProcessPayment:
    return ProcessPayment(
        payment_id=PAYMENT_ID,
        amount=Decimal(amount),
        currency="EUR",
        organization_id=organization_id,
    )


def refund(amount: str, reason: str = "goodwill") -> RefundPayment:
    return RefundPayment(
        payment_id=PAYMENT_ID, amount=Decimal(amount), currency="EUR", reason=reason
    )


# -- the lifecycle through the bus --------------------------------------------------------------


def test_requesting_a_payment_stores_it_with_tenant_metadata_and_command_ids() -> None:
    command = request(correlation_id="conversation-1")
    s = scenario().when(command)
    (stored,) = s.then(requested(), stream_id=PAYMENT_ID)
    assert stored.stream_type == "Payment"
    assert stored.metadata == {"organization_id": "org-456", "user_id": "user-789"}
    assert stored.correlation_id == "conversation-1"
    assert stored.causation_id == command.command_id
    assert s.result == CommandResult(
        payment_id=PAYMENT_ID, version=1, position=stored.position, status="pending"
    )


def test_a_command_without_correlation_id_starts_its_own_conversation() -> None:
    command = request()
    (stored,) = scenario().when(command).then(requested())
    assert stored.correlation_id == command.command_id


def test_requesting_a_payment_under_an_existing_id_is_rejected_and_stores_nothing() -> None:
    error = (
        scenario()
        .given(PAYMENT_ID, requested(), stream_type="Payment")
        .when(request(amount=Decimal("5")))
        .then_raises(PaymentAlreadyExistsError, match="already exists")
    )
    assert isinstance(error, PaymentAlreadyExistsError)
    assert error.payment_id == PAYMENT_ID


def test_processing_completes_the_payment_and_tells_its_version_and_position() -> None:
    s = scenario().given(PAYMENT_ID, requested(), stream_type="Payment").when(process())
    (stored,) = s.then(processed(), stream_id=PAYMENT_ID)
    assert stored.metadata == {"organization_id": "org-456", "user_id": "user-789"}
    assert s.result == CommandResult(
        payment_id=PAYMENT_ID, version=2, position=2, status="completed"
    )


def test_failing_records_the_provider_error() -> None:
    s = (
        scenario()
        .given(PAYMENT_ID, requested())
        .when(FailPayment(payment_id=PAYMENT_ID, error="card declined"))
    )
    s.then(PaymentFailed(payment_id=PAYMENT_ID, error="card declined"))
    assert isinstance(s.result, CommandResult)
    assert s.result.status == "failed"


def test_partial_refunds_then_the_rest_refund_the_payment() -> None:
    s = scenario().given(PAYMENT_ID, requested(), processed()).when(refund("40", "one seat"))
    s.then(refunded("40.00", "one seat"))
    assert isinstance(s.result, CommandResult)
    assert s.result.status == "partially_refunded"

    s = (
        scenario()
        .given(PAYMENT_ID, requested(), processed(), refunded("40"))
        .when(refund("60", "closing"))
    )
    s.then(refunded("60.00", "closing"))
    assert isinstance(s.result, CommandResult)
    assert (s.result.status, s.result.version) == ("refunded", 4)


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (process("99.99"), AmountMismatchError),
        (refund("1"), InvalidTransitionError),
    ],
    ids=["process-wrong-amount", "refund-pending"],
)
def test_a_command_the_payment_refuses_stores_nothing(
    command: Command, error: type[EventramError]
) -> None:
    scenario().given(PAYMENT_ID, requested()).when(command).then_raises(error)


def test_a_refund_above_what_remains_stores_nothing() -> None:
    scenario().given(PAYMENT_ID, requested(), processed(), refunded("90")).when(
        refund("10.01")
    ).then_raises(RefundExceedsRemainingError)


@pytest.mark.parametrize(
    "command",
    [process(), FailPayment(payment_id=PAYMENT_ID, error="x"), refund("1")],
    ids=["process", "fail", "refund"],
)
def test_acting_on_a_payment_that_does_not_exist_is_not_found(command: Command) -> None:
    error = scenario().when(command).then_raises(NotFoundError, match="'payment-123'")
    assert isinstance(error, NotFoundError)
    assert (error.kind, error.key) == ("Payment", PAYMENT_ID)


def test_a_payment_of_another_organization_is_not_found_to_a_scoped_command() -> None:
    scenario().given(PAYMENT_ID, requested()).when(
        process(organization_id="org-other")
    ).then_raises(NotFoundError)
    scenario().given(PAYMENT_ID, requested()).when(process(organization_id="org-456")).then(
        processed()
    )


# -- amounts the payment refuses ---------------------------------------------------------------
# (a command checks its own fields when it is built: tests/unit/billing/test_commands.py)


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")], ids=["zero", "negative"])
def test_a_request_for_a_non_positive_amount_is_refused_naming_the_field_and_stores_nothing(
    amount: Decimal,
) -> None:
    raised = scenario().when(request(amount=amount)).then_raises(NonPositiveAmountError)
    assert isinstance(raised, ValidationError)
    assert raised.field == "amount"


def test_the_limits_themselves_are_accepted() -> None:
    scenario().when(
        request(
            payment_id="p" * 100,
            description="d" * 500,
            amount=Decimal(10**15),
            metadata={f"k{i}": "v" * 500 for i in range(20)},
        )
    ).then(
        PaymentRequested(
            payment_id="p" * 100,
            organization_id="org-456",
            user_id="user-789",
            amount=Decimal(10**15),
            currency="EUR",
            description="d" * 500,
            metadata={f"k{i}": "v" * 500 for i in range(20)},
        )
    )


# -- middleware ----------------------------------------------------------------------------------


def test_a_retried_command_with_the_same_idempotency_key_is_handled_once() -> None:
    store = InMemoryEventStore()
    bus = bus_on(store)
    first = bus.handle(request(idempotency_key="key-1"))
    again = bus.handle(request(idempotency_key="key-1"))
    assert again == first
    assert len(store.read_all()) == 1


def test_an_idempotency_key_reused_for_another_command_is_refused() -> None:
    store = InMemoryEventStore()
    bus = bus_on(store)
    bus.handle(request(idempotency_key="key-1"))
    with pytest.raises(ValidationError) as caught:
        bus.handle(request(idempotency_key="key-1", amount=Decimal("200")))
    assert caught.value.field == "idempotency_key"
    assert len(store.read_all()) == 1


def test_a_refused_command_replays_its_refusal_under_the_same_key() -> None:
    store = InMemoryEventStore()
    bus = bus_on(store)
    bus.handle(request())
    for _ in range(2):
        with pytest.raises(PaymentAlreadyExistsError):
            bus.handle(request(idempotency_key="key-2"))
    assert len(store.read_all()) == 1


class RacingStore(InMemoryEventStore):
    """Another writer appends ``rivals[stream_id]`` just before our next append to that stream."""

    def __init__(self) -> None:
        super().__init__()
        self.rivals: dict[str, list[Event]] = {}
        self.conflicts = 0

    def append(
        self,
        stream_id: str,
        events: Sequence[Event | NewEvent],
        expected_version: int = ANY,
        *,
        stream_type: str = "",
        metadata: Mapping[str, str] | None = None,
        correlation_id: str | None = None,
        causation_id: str | None = None,
    ) -> AppendResult:
        rival = self.rivals.pop(stream_id, None)
        if rival is not None:
            super().append(stream_id, rival, ANY, stream_type=stream_type, metadata=metadata)
        try:
            return super().append(
                stream_id,
                events,
                expected_version,
                stream_type=stream_type,
                metadata=metadata,
                correlation_id=correlation_id,
                causation_id=causation_id,
            )
        except ConcurrencyError:
            self.conflicts += 1
            raise


def test_a_conflicting_writer_is_retried_on_the_fresh_state() -> None:
    store = RacingStore()
    bus = bus_on(store)
    bus.handle(request())
    bus.handle(process())
    store.rivals[PAYMENT_ID] = [refunded("50", "rival")]

    result = bus.handle(refund("30", "ours"))

    assert store.conflicts == 1
    assert [e.data for e in store.read_stream(PAYMENT_ID)][2:] == [
        refunded("50", "rival"),
        refunded("30", "ours"),
    ]
    assert result == CommandResult(
        payment_id=PAYMENT_ID, version=4, position=4, status="partially_refunded"
    )


def test_a_retry_decides_again_and_may_refuse_what_no_longer_fits() -> None:
    store = RacingStore()
    bus = bus_on(store)
    bus.handle(request())
    bus.handle(process())
    store.rivals[PAYMENT_ID] = [refunded("80", "rival")]

    with pytest.raises(RefundExceedsRemainingError, match=r"has 20\.00 EUR left"):
        bus.handle(refund("30", "ours"))

    assert store.conflicts == 1
    assert [e.data for e in store.read_stream(PAYMENT_ID)][2:] == [refunded("80", "rival")]


def test_every_command_is_logged_once_with_its_outcome(caplog: pytest.LogCaptureFixture) -> None:
    bus = bus_on(InMemoryEventStore())
    with caplog.at_level(logging.INFO, logger="eventram.commands"):
        bus.handle(request())
        with pytest.raises(AmountMismatchError):
            bus.handle(process("1"))
    outcomes = [(r.command_type, r.outcome) for r in caplog.records]  # type: ignore[attr-defined]
    assert outcomes == [("RequestPayment", "ok"), ("ProcessPayment", "AmountMismatchError")]


def test_every_payment_command_has_a_handler() -> None:
    assert set(HANDLERS) == {RequestPayment, ProcessPayment, FailPayment, RefundPayment}
