"""A payment command's ``expected_version`` (HTTP ``If-Match``), down to the store's append.

given events in the store, when a command pinned to a version goes through the real bus
(retry on conflict included), then it is stored only if the payment is at that version; a stale
version is refused before the payment decides, with nothing written and no retry.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal

import pytest

from billing.application.command_handlers import CommandResult
from billing.bootstrap import Settings, command_bus
from billing.domain import (
    Payment,
    PaymentProcessed,
    PaymentRefunded,
    PaymentRequested,
    ProcessPayment,
    RefundPayment,
)
from eventram import (
    ANY,
    AppendResult,
    CommandBus,
    ConcurrencyError,
    Event,
    InMemoryEventStore,
    NewEvent,
    NotFoundError,
    Repository,
)
from eventram.testing import CommandScenario

PAYMENT_ID = "payment-123"
ORG = "org-456"


def bus_on(store: InMemoryEventStore) -> CommandBus:
    return command_bus(Repository(store, Payment), Settings())


def scenario() -> CommandScenario:
    return CommandScenario(bus_on)


def requested() -> PaymentRequested:
    return PaymentRequested(
        payment_id=PAYMENT_ID,
        organization_id=ORG,
        user_id="user-789",
        amount=Decimal("100.00"),
        currency="EUR",
    )


def processed() -> PaymentProcessed:
    return PaymentProcessed(payment_id=PAYMENT_ID, amount=Decimal("100.00"), currency="EUR")


def refunded(amount: str) -> PaymentRefunded:
    return PaymentRefunded(
        payment_id=PAYMENT_ID, amount=Decimal(amount), currency="EUR", reason="goodwill"
    )


def process(expected_version: int | None, organization_id: str | None = ORG) -> ProcessPayment:
    return ProcessPayment(
        payment_id=PAYMENT_ID,
        amount=Decimal("100.00"),
        currency="EUR",
        organization_id=organization_id,
        expected_version=expected_version,
    )


def refund(amount: str, expected_version: int | None) -> RefundPayment:
    return RefundPayment(
        payment_id=PAYMENT_ID,
        amount=Decimal(amount),
        currency="EUR",
        reason="goodwill",
        organization_id=ORG,
        expected_version=expected_version,
    )


def test_a_command_at_the_current_version_is_stored() -> None:
    s = scenario().given(PAYMENT_ID, requested()).when(process(expected_version=1))
    s.then(processed())
    assert isinstance(s.result, CommandResult)
    assert s.result.version == 2


def test_a_stale_version_is_refused_before_the_payment_decides_and_stores_nothing() -> None:
    # at version 2 the payment is completed, so deciding would refuse the transition instead
    error = (
        scenario()
        .given(PAYMENT_ID, requested(), processed())
        .when(process(expected_version=1))
        .then_raises(ConcurrencyError)
    )
    assert isinstance(error, ConcurrencyError)
    assert error.actual == 2


def test_a_foreign_organization_is_told_not_found_whatever_version_it_names() -> None:
    scenario().given(PAYMENT_ID, requested()).when(
        process(expected_version=99, organization_id="org-other")
    ).then_raises(NotFoundError)


class MeetingStore(InMemoryEventStore):
    """Holds each append until ``parties`` appends are waiting, so they all loaded first."""

    def __init__(self, parties: int) -> None:
        super().__init__()
        self.meeting = threading.Barrier(parties, timeout=10)
        self.meet = False

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
        if self.meet:
            self.meeting.wait()
        return super().append(
            stream_id,
            events,
            expected_version,
            stream_type=stream_type,
            metadata=metadata,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )


def race(bus: CommandBus, commands: list[RefundPayment]) -> list[object]:
    outcomes: list[object] = []

    def send(command: RefundPayment) -> None:
        try:
            outcomes.append(bus.handle(command))
        except ConcurrencyError as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=send, args=(c,)) for c in commands]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return outcomes


def test_two_concurrent_commands_with_the_same_version_one_succeeds_the_other_is_refused() -> None:
    store = MeetingStore(parties=2)
    bus = bus_on(store)
    store.append(PAYMENT_ID, [requested(), processed()], stream_type="Payment")
    store.meet = True

    outcomes = race(bus, [refund("10", expected_version=2), refund("20", expected_version=2)])

    assert sorted(type(o).__name__ for o in outcomes) == ["CommandResult", "ConcurrencyError"]
    assert store.stream_version(PAYMENT_ID) == 3
    assert [e.data for e in store.read_stream(PAYMENT_ID, 3)] in (
        [refunded("10")],
        [refunded("20")],
    )


def test_without_a_version_the_same_race_is_retried_and_both_are_stored() -> None:
    store = MeetingStore(parties=2)
    bus = bus_on(store)
    store.append(PAYMENT_ID, [requested(), processed()], stream_type="Payment")
    store.meet = True

    def once_met() -> None:
        store.meet = False  # the retry appends alone

    store.meeting = threading.Barrier(2, action=once_met, timeout=10)
    outcomes = race(bus, [refund("10", expected_version=None), refund("20", None)])

    assert [type(o).__name__ for o in outcomes] == ["CommandResult", "CommandResult"]
    assert store.stream_version(PAYMENT_ID) == 4


@pytest.mark.parametrize("version", [0, 3])
def test_a_version_the_payment_never_had_or_has_not_reached_is_refused(version: int) -> None:
    scenario().given(PAYMENT_ID, requested(), processed()).when(
        refund("10", expected_version=version)
    ).then_raises(ConcurrencyError)
