"""Inline projections: given events, when appended, then the documents are there at once."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

import pytest

from eventram import (
    Event,
    InMemoryEventStore,
    ProjectionError,
    ProjectionTimeoutError,
    RecordedEvent,
)
from eventram.projection import Mode, Projection, ProjectionEngine, ProjectionState


class InlAccountOpened(Event, frozen=True):
    owner: str


class InlDeposited(Event, frozen=True):
    amount: Decimal


class InlNoted(Event, frozen=True):
    text: str


Balances = dict[str, Decimal]


def opened(state: Balances, event: InlAccountOpened, envelope: RecordedEvent) -> None:
    state[envelope.stream_id] = Decimal(0)


def deposited(state: Balances, event: InlDeposited, envelope: RecordedEvent) -> None:
    if event.amount < 0:
        raise ValueError(f"negative deposit {event.amount}")
    state[envelope.stream_id] += event.amount


def balances() -> Projection[Balances]:
    return Projection(
        "balances", {InlAccountOpened: opened, InlDeposited: deposited}, dict[str, Decimal]
    )


def owners() -> Projection[dict[str, str]]:
    def record(state: dict[str, str], event: InlAccountOpened, envelope: RecordedEvent) -> None:
        state[envelope.stream_id] = event.owner

    return Projection("owners", {InlAccountOpened: record}, dict[str, str])


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore()


def test_given_earlier_events_starting_catches_up_before_returning(
    store: InMemoryEventStore,
) -> None:
    store.append("acc-1", [InlAccountOpened(owner="ann"), InlDeposited(amount=Decimal("5"))])
    engine = ProjectionEngine(store)
    handle = engine.register(balances())

    engine.start()

    assert handle.state == {"acc-1": Decimal("5")}
    assert handle.position == 2
    assert engine.status("balances").state is ProjectionState.RUNNING


def test_an_append_is_visible_in_the_read_model_when_append_returns(
    store: InMemoryEventStore,
) -> None:
    engine = ProjectionEngine(store)
    handle = engine.register(balances())
    engine.start()

    store.append("acc-1", [InlAccountOpened(owner="ann")])
    result = store.append("acc-1", [InlDeposited(amount=Decimal("2.50"))])

    assert handle.state == {"acc-1": Decimal("2.50")}
    assert handle.position == result.position


def test_events_of_types_not_handled_still_advance_the_position(store: InMemoryEventStore) -> None:
    engine = ProjectionEngine(store)
    handle = engine.register(balances())
    engine.start()

    result = store.append("acc-1", [InlNoted(text="hello")])

    assert handle.position == result.position
    assert handle.state == {}


def test_a_failing_handler_stops_its_projection_but_not_the_append_nor_the_others(
    store: InMemoryEventStore, caplog: pytest.LogCaptureFixture
) -> None:
    engine = ProjectionEngine(store)
    failing = engine.register(balances())
    other = engine.register(owners())
    engine.start()
    store.append("acc-1", [InlAccountOpened(owner="ann")])

    with caplog.at_level(logging.ERROR, logger="eventram.projection"):
        bad = store.append("acc-1", [InlDeposited(amount=Decimal("-1"))])
    store.append("acc-2", [InlAccountOpened(owner="bob")])

    status = engine.status("balances")
    assert status.state is ProjectionState.FAILED
    assert status.failed_position == bad.position
    assert status.error is not None
    assert "InlDeposited" in status.error
    assert "negative deposit" in status.error
    assert failing.position == bad.position - 1
    assert failing.state == {"acc-1": Decimal(0)}
    assert other.state == {"acc-1": "ann", "acc-2": "bob"}
    assert engine.status("owners").state is ProjectionState.RUNNING
    assert "balances" in caplog.text


def test_the_projection_error_names_projection_position_and_event_type(
    store: InMemoryEventStore,
) -> None:
    engine = ProjectionEngine(store)
    handle = engine.register(balances())
    engine.start()
    store.append("acc-1", [InlAccountOpened(owner="ann")])
    bad = store.append("acc-1", [InlDeposited(amount=Decimal("-1"))])

    error = handle.failure

    assert isinstance(error, ProjectionError)
    assert (error.name, error.position, error.event_type) == (
        "balances",
        bad.position,
        "InlDeposited",
    )
    assert isinstance(error.__cause__, ValueError)


def test_a_stopped_projection_ignores_commits_and_catches_up_when_started_again(
    store: InMemoryEventStore,
) -> None:
    engine = ProjectionEngine(store)
    handle = engine.register(balances())
    engine.start()
    store.append("acc-1", [InlAccountOpened(owner="ann")])

    engine.stop("balances")
    store.append("acc-1", [InlDeposited(amount=Decimal("3"))])
    assert handle.state == {"acc-1": Decimal(0)}
    assert engine.status("balances").state is ProjectionState.STOPPED

    engine.start("balances")
    assert handle.state == {"acc-1": Decimal("3")}


def test_wait_for_a_position_already_reached_returns_at_once(store: InMemoryEventStore) -> None:
    engine = ProjectionEngine(store)
    handle = engine.register(balances())
    engine.start()
    result = store.append("acc-1", [InlAccountOpened(owner="ann")])

    handle.wait_for(result.position, timeout=0.0)
    engine.wait_for(result.position, timeout=0.0)


def test_wait_for_a_position_not_reached_raises_a_typed_timeout(
    store: InMemoryEventStore,
) -> None:
    engine = ProjectionEngine(store)
    engine.register(balances())
    engine.register(owners())
    engine.start()
    engine.stop("owners")
    result = store.append("acc-1", [InlAccountOpened(owner="ann")])

    with pytest.raises(ProjectionTimeoutError) as caught:
        engine.wait_for(result.position, timeout=0.05)

    assert isinstance(caught.value, TimeoutError)
    assert caught.value.names == ("owners",)
    assert caught.value.position == result.position


def test_wait_for_on_a_failed_projection_raises_its_error(store: InMemoryEventStore) -> None:
    engine = ProjectionEngine(store)
    handle = engine.register(balances())
    engine.start()
    store.append("acc-1", [InlAccountOpened(owner="ann")])
    bad = store.append("acc-1", [InlDeposited(amount=Decimal("-1"))])

    with pytest.raises(ProjectionError, match="negative deposit"):
        handle.wait_for(bad.position, timeout=5.0)


def test_a_name_can_be_registered_once(store: InMemoryEventStore) -> None:
    engine = ProjectionEngine(store)
    engine.register(balances())

    with pytest.raises(ValueError, match="already registered"):
        engine.register(balances())


def test_an_unknown_projection_name_is_not_found(store: InMemoryEventStore) -> None:
    engine = ProjectionEngine(store)

    with pytest.raises(LookupError, match="nope"):
        engine.status("nope")


def test_statuses_list_every_projection_with_its_mode(store: InMemoryEventStore) -> None:
    engine = ProjectionEngine(store)
    engine.register(balances())
    engine.register(owners(), Mode.ASYNC)

    statuses: list[Any] = [(s.name, s.mode, s.state) for s in engine.statuses()]

    assert statuses == [
        ("balances", Mode.INLINE, ProjectionState.STOPPED),
        ("owners", Mode.ASYNC, ProjectionState.STOPPED),
    ]
