"""Given/when/then fixtures for testing aggregates and command handlers.

A wrong expectation raises ``AssertionError`` whatever the interpreter flags: the checks are
``if ...: raise``, never ``assert`` statements, which ``python -O`` strips. Assert on events,
never on private state::

    def test_refund_above_processed_is_rejected():
        (AggregateScenario(Payment, "p-1")
            .given(PaymentRequested(...), PaymentProcessed(...))
            .when(lambda p: p.refund(Money("500", "EUR"), "too much"))
            .then_raises(RefundExceedsRemainingError))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from eventram.bus.command import CommandBus
from eventram.codec import registry
from eventram.envelope import RecordedEvent
from eventram.messages import Command, Event
from eventram.model.aggregate import Aggregate
from eventram.store.memory import InMemoryEventStore
from eventram.store.ports import ANY

__all__ = ["AggregateScenario", "CommandScenario"]

A = TypeVar("A", bound=Aggregate)


def _roundtrip(event: Event) -> Event:
    """Encode and decode, so a scenario also proves the event survives storage."""
    return registry.decode(
        registry.check(event), registry.encode(event), type(event).schema_version
    )


def _expect_error(
    error: BaseException | None,
    error_type: type[BaseException],
    match: str | None,
    instead: str,
) -> BaseException:
    """``error``, if it is an ``error_type`` whose message holds ``match``; else AssertionError."""
    if error is None:
        raise AssertionError(f"expected {error_type.__name__}, {instead}")
    if not isinstance(error, error_type):
        raise AssertionError(f"expected {error_type.__name__}, got {error!r}")
    if match is not None and match not in str(error):
        raise AssertionError(f"{match!r} not in {str(error)!r}")
    return error


class AggregateScenario(Generic[A]):
    """given past events, when a method is called, then these new events (or this error)."""

    def __init__(self, aggregate_type: type[A], aggregate_id: str = "aggregate-1") -> None:
        self._aggregate = aggregate_type(aggregate_id)
        self._recorded: list[Event] = []
        self._error: BaseException | None = None
        self._acted = False
        self._result: Any = None

    def given(self, *events: Event) -> AggregateScenario[A]:
        """Apply past events, as a replay would."""
        for event in events:
            self._aggregate.apply(_roundtrip(event))
            self._aggregate.version += 1
        return self

    def when(self, action: Callable[[A], Any]) -> AggregateScenario[A]:
        """Call a command method on the aggregate; remember what it recorded or raised."""
        self._acted = True
        try:
            self._result = action(self._aggregate)
        except Exception as exc:
            self._error = exc
        self._recorded = [_roundtrip(e) for e in self._aggregate.mark_saved()]
        return self

    def when_created(self, factory: Callable[[], A]) -> AggregateScenario[A]:
        """Create the aggregate with a factory (a creation command) and record its events."""
        self._acted = True
        try:
            self._aggregate = factory()
        except Exception as exc:
            self._error = exc
        self._recorded = [_roundtrip(e) for e in self._aggregate.mark_saved()]
        return self

    def then(self, *expected: Event) -> A:
        """Assert the action recorded exactly these events, in order; return the aggregate."""
        if not self._acted:
            raise AssertionError("call when(...) before then(...)")
        if self._error is not None:
            raise AssertionError(f"expected events {list(expected)}, but raised {self._error!r}")
        if self._recorded != list(expected):
            raise AssertionError(
                f"expected events {list(expected)}\n      recorded {self._recorded}"
            )
        return self._aggregate

    def then_nothing(self) -> A:
        """Assert the action recorded no event and raised nothing."""
        return self.then()

    def then_raises(
        self, error_type: type[BaseException], match: str | None = None
    ) -> BaseException:
        """Assert the action raised ``error_type`` and recorded nothing."""
        if not self._acted:
            raise AssertionError("call when(...) before then_raises(...)")
        error = _expect_error(self._error, error_type, match, f"recorded {self._recorded}")
        if self._recorded:
            raise AssertionError(f"an error must record nothing, recorded {self._recorded}")
        return error


class CommandScenario:
    """given events in streams, when a command goes through a bus, then new events or an error.

    ``build_bus`` receives a fresh ``InMemoryEventStore`` and returns the bus under test.
    """

    def __init__(self, build_bus: Callable[[InMemoryEventStore], CommandBus]) -> None:
        self.store = InMemoryEventStore()
        self._bus = build_bus(self.store)
        self._mark = 0
        self._error: BaseException | None = None
        self.result: Any = None

    def given(self, stream_id: str, *events: Event, stream_type: str = "") -> CommandScenario:
        """Store past events in a stream."""
        self.store.append(stream_id, list(events), ANY, stream_type=stream_type)
        self._mark = self.store.last_position()
        return self

    def when(self, command: Command) -> CommandScenario:
        """Send a command through the bus; remember its result or error."""
        try:
            self.result = self._bus.handle(command)
        except Exception as exc:
            self._error = exc
        return self

    @property
    def new_events(self) -> list[RecordedEvent]:
        """Events stored by the ``when`` step."""
        return self.store.read_all(self._mark)

    def then(self, *expected: Event, stream_id: str | None = None) -> list[RecordedEvent]:
        """Assert the command stored exactly these events (in this stream, when given)."""
        if self._error is not None:
            raise AssertionError(f"expected events {list(expected)}, but raised {self._error!r}")
        new = self.new_events
        if stream_id is not None and not {e.stream_id for e in new} <= {stream_id}:
            raise AssertionError(f"events went to {new}")
        if [e.data for e in new] != list(expected):
            raise AssertionError(
                f"expected events {list(expected)}\n        stored {[e.data for e in new]}"
            )
        return new

    def then_raises(
        self, error_type: type[BaseException], match: str | None = None
    ) -> BaseException:
        """Assert the command raised ``error_type`` and stored nothing."""
        error = _expect_error(self._error, error_type, match, f"stored {self.new_events}")
        if self.new_events:
            raise AssertionError(f"a failed command must store nothing, stored {self.new_events}")
        return error

    def then_stored(self, expected: Sequence[Event]) -> None:
        """Alias of :meth:`then` for a list."""
        self.then(*expected)
