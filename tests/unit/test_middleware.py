"""The built-in command middleware: logging, retry on conflict, idempotency, correlation."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

from eventram import (
    Command,
    CommandBus,
    ConcurrencyError,
    CorrelationMiddleware,
    DomainError,
    EventQuery,
    IdempotencyMiddleware,
    InMemoryEventStore,
    InMemoryIdempotencyStore,
    LoggingMiddleware,
    Repository,
    RetryOnConflictMiddleware,
    ValidationError,
    current_context,
    message_context,
)
from eventram.bus import Next
from tests.contract.events import Cart, ItemAdded


class PlaceOrder(Command, frozen=True, kw_only=True):
    """Place an order for an item."""

    sku: str
    quantity: int = 1


def _conflict() -> ConcurrencyError:
    return ConcurrencyError("order-1", "version 1", 2)


# -- logging ---------------------------------------------------------------------------------


def test_logging_records_type_ids_duration_and_outcome(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="eventram.commands")
    bus = CommandBus({PlaceOrder: lambda c: "placed"}, [LoggingMiddleware()])
    command = PlaceOrder(sku="tea", correlation_id="corr-1")

    assert bus.handle(command) == "placed"

    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert record.command_type == "PlaceOrder"  # type: ignore[attr-defined]
    assert record.command_id == command.command_id  # type: ignore[attr-defined]
    assert record.correlation_id == "corr-1"  # type: ignore[attr-defined]
    assert record.outcome == "ok"  # type: ignore[attr-defined]
    assert isinstance(record.duration_ms, float)  # type: ignore[attr-defined]
    assert "PlaceOrder" in record.getMessage()


def test_logging_records_a_failure_and_lets_the_error_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="eventram.commands")

    def refuse(command: PlaceOrder) -> None:
        raise DomainError("out of stock")

    bus = CommandBus({PlaceOrder: refuse}, [LoggingMiddleware()])

    with pytest.raises(DomainError, match="out of stock"):
        bus.handle(PlaceOrder(sku="tea"))

    (record,) = caplog.records
    assert record.outcome == "DomainError"  # type: ignore[attr-defined]
    assert "out of stock" in record.getMessage()


def test_logging_at_a_chosen_level_on_a_chosen_logger(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.middleware.audit")
    caplog.set_level(logging.DEBUG, logger="test.middleware.audit")
    bus = CommandBus({PlaceOrder: lambda c: None}, [LoggingMiddleware(logger, logging.DEBUG)])

    bus.handle(PlaceOrder(sku="tea"))

    assert [(r.name, r.levelno) for r in caplog.records] == [
        ("test.middleware.audit", logging.DEBUG)
    ]


def test_logging_does_no_work_when_its_level_is_off(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.WARNING, logger="eventram.commands")

    def no_clock() -> float:
        raise AssertionError("the middleware timed a command although logging is off")

    monkeypatch.setattr("eventram.bus.middleware.time.perf_counter", no_clock)
    bus = CommandBus({PlaceOrder: lambda c: "placed"}, [LoggingMiddleware()])

    assert bus.handle(PlaceOrder(sku="tea")) == "placed"
    assert caplog.records == []


# -- retry on conflict -----------------------------------------------------------------------


class Flaky:
    """A handler that conflicts a given number of times, then succeeds."""

    def __init__(self, conflicts: int) -> None:
        self.conflicts = conflicts
        self.calls = 0

    def __call__(self, command: PlaceOrder) -> str:
        self.calls += 1
        if self.calls <= self.conflicts:
            raise _conflict()
        return f"placed after {self.calls} tries"


def test_retry_runs_the_handler_again_after_a_conflict() -> None:
    sleeps: list[float] = []
    retry = RetryOnConflictMiddleware(attempts=4, base_delay=0.01, sleep=sleeps.append)
    handler = Flaky(conflicts=2)
    bus = CommandBus({PlaceOrder: handler}, [retry])

    assert bus.handle(PlaceOrder(sku="tea")) == "placed after 3 tries"
    assert handler.calls == 3
    assert retry.retries == 2
    assert len(sleeps) == 2
    assert all(0 <= delay <= 0.01 * 2**n for n, delay in enumerate(sleeps))


def test_retry_gives_up_after_its_attempts_and_raises_the_conflict() -> None:
    sleeps: list[float] = []
    handler = Flaky(conflicts=100)
    bus = CommandBus(
        {PlaceOrder: handler},
        [RetryOnConflictMiddleware(attempts=3, base_delay=0.01, sleep=sleeps.append)],
    )

    with pytest.raises(ConcurrencyError):
        bus.handle(PlaceOrder(sku="tea"))

    assert handler.calls == 3
    assert len(sleeps) == 2


class PinnedOrder(Command, frozen=True, kw_only=True):
    """Change an order the caller saw at ``expected_version``."""

    sku: str
    expected_version: int | None = None


def test_retry_never_reruns_a_command_whose_caller_pinned_the_expected_version() -> None:
    calls: list[PinnedOrder] = []

    def handler(command: PinnedOrder) -> str:
        calls.append(command)
        if len(calls) == 1:
            raise _conflict()
        return "changed"

    bus = CommandBus({PinnedOrder: handler}, [RetryOnConflictMiddleware(sleep=lambda _: None)])

    with pytest.raises(ConcurrencyError):
        bus.handle(PinnedOrder(sku="tea", expected_version=3))
    assert len(calls) == 1
    assert bus.handle(PinnedOrder(sku="tea")) == "changed"  # unpinned: retried as usual


def test_retry_waits_a_random_time_below_a_growing_bound() -> None:
    sleeps: list[float] = []
    retry = RetryOnConflictMiddleware(attempts=2, base_delay=1.0, sleep=sleeps.append)

    for _ in range(200):
        CommandBus({PlaceOrder: Flaky(conflicts=1)}, [retry]).handle(PlaceOrder(sku="tea"))

    assert all(0 <= delay <= 1.0 for delay in sleeps)
    assert min(sleeps) < 0.25
    assert max(sleeps) > 0.75


def test_retry_leaves_other_errors_alone() -> None:
    sleeps: list[float] = []
    calls: list[int] = []

    def broken(command: PlaceOrder) -> None:
        calls.append(1)
        raise DomainError("out of stock")

    bus = CommandBus({PlaceOrder: broken}, [RetryOnConflictMiddleware(sleep=sleeps.append)])

    with pytest.raises(DomainError):
        bus.handle(PlaceOrder(sku="tea"))

    assert calls == [1]
    assert sleeps == []


def test_retry_reruns_the_middleware_inside_it() -> None:
    entered: list[str] = []

    def inner(command: Command, next: Next[Command]) -> Any:
        entered.append("inner")
        return next(command)

    retry = RetryOnConflictMiddleware(sleep=lambda _: None)
    bus = CommandBus({PlaceOrder: Flaky(conflicts=2)}, [retry, inner])

    bus.handle(PlaceOrder(sku="tea"))

    assert entered == ["inner", "inner", "inner"]


def test_retry_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValidationError, match="attempts"):
        RetryOnConflictMiddleware(attempts=0)


# -- idempotency -----------------------------------------------------------------------------


class Counting:
    """A handler that returns a new object each time and counts its calls."""

    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[PlaceOrder] = []
        self.error = error

    def __call__(self, command: PlaceOrder) -> dict[str, Any]:
        self.calls.append(command)
        if self.error is not None:
            raise self.error
        return {"order": len(self.calls), "sku": command.sku}


def test_the_same_key_gets_the_same_result_and_the_handler_runs_once() -> None:
    handler = Counting()
    bus = CommandBus({PlaceOrder: handler}, [IdempotencyMiddleware()])

    first = bus.handle(PlaceOrder(sku="tea", idempotency_key="k-1"))
    again = bus.handle(PlaceOrder(sku="tea", idempotency_key="k-1"))  # a new command id

    assert again is first
    assert len(handler.calls) == 1


def test_the_same_key_replays_the_first_error() -> None:
    handler = Counting(error=DomainError("out of stock"))
    bus = CommandBus({PlaceOrder: handler}, [IdempotencyMiddleware()])
    command = PlaceOrder(sku="tea", idempotency_key="k-1")

    with pytest.raises(DomainError) as first:
        bus.handle(command)
    with pytest.raises(DomainError) as again:
        bus.handle(command)

    assert again.value is first.value
    assert len(handler.calls) == 1


def test_concurrent_duplicates_wait_for_the_first_and_share_its_outcome() -> None:
    entered, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow(command: PlaceOrder) -> object:
        calls.append(command.command_id)
        entered.set()
        assert release.wait(10), "the test never released the handler"
        return object()

    bus = CommandBus({PlaceOrder: slow}, [IdempotencyMiddleware()])
    results: list[object] = []

    def send() -> None:
        results.append(bus.handle(PlaceOrder(sku="tea", idempotency_key="k-1")))

    threads = [threading.Thread(target=send) for _ in range(6)]
    threads[0].start()
    assert entered.wait(10)
    for t in threads[1:]:
        t.start()
    release.set()
    for t in threads:
        t.join(10)

    assert len(calls) == 1
    assert len(results) == 6
    assert all(r is results[0] for r in results)


def test_the_same_key_for_a_different_command_is_refused() -> None:
    handler = Counting()
    bus = CommandBus({PlaceOrder: handler}, [IdempotencyMiddleware()])
    bus.handle(PlaceOrder(sku="tea", idempotency_key="k-1"))

    with pytest.raises(ValidationError) as caught:
        bus.handle(PlaceOrder(sku="cake", idempotency_key="k-1"))

    assert "k-1" in str(caught.value)
    assert caught.value.field == "idempotency_key"
    assert [c.sku for c in handler.calls] == ["tea"]


def test_commands_without_a_key_always_run() -> None:
    handler = Counting()
    bus = CommandBus({PlaceOrder: handler}, [IdempotencyMiddleware()])
    command = PlaceOrder(sku="tea")

    bus.handle(command)
    bus.handle(command)

    assert len(handler.calls) == 2


def test_idempotency_remembers_a_bounded_number_of_keys_least_recent_first_forgotten() -> None:
    handler = Counting()
    bus = CommandBus(
        {PlaceOrder: handler}, [IdempotencyMiddleware(InMemoryIdempotencyStore(max_entries=2))]
    )

    def send(key: str) -> None:
        bus.handle(PlaceOrder(sku="tea", idempotency_key=key))

    send("k-1")
    send("k-2")
    send("k-1")  # a hit: k-1 is now the most recent
    send("k-3")  # forgets k-2
    before = len(handler.calls)
    send("k-1")
    send("k-3")
    send("k-2")

    assert before == 3
    assert [c.idempotency_key for c in handler.calls] == ["k-1", "k-2", "k-3", "k-2"]


# -- correlation -----------------------------------------------------------------------------


class AddItem(Command, frozen=True, kw_only=True):
    """Add an item to a cart."""

    cart_id: str
    sku: str


class FillCarts(Command, frozen=True, kw_only=True):
    """Add an item to several carts by sending one AddItem per cart."""

    cart_ids: tuple[str, ...]


def _correlated_bus(store: InMemoryEventStore) -> CommandBus:
    carts: Repository[Cart] = Repository(store, Cart)

    def add_item(command: AddItem) -> None:
        cart = carts.get(command.cart_id) or Cart.open(command.cart_id, "ann")
        cart.add(command.sku)
        carts.save(cart)

    def fill(command: FillCarts) -> list[str]:
        sent = [AddItem(cart_id=cart_id, sku="pen") for cart_id in command.cart_ids]
        for inner in sent:
            bus.handle(inner)
        return [inner.command_id for inner in sent]

    bus = CommandBus({AddItem: add_item, FillCarts: fill}, [CorrelationMiddleware()])
    return bus


def test_events_carry_the_command_id_as_causation_and_correlation_when_none_is_given() -> None:
    store = InMemoryEventStore()
    command = AddItem(cart_id="cart-1", sku="tea")

    _correlated_bus(store).handle(command)

    events = store.read_stream("cart-1")
    assert [e.data for e in events][-1] == ItemAdded(sku="tea")
    assert {(e.correlation_id, e.causation_id) for e in events} == {
        (command.command_id, command.command_id)
    }


def test_events_carry_the_commands_correlation_id() -> None:
    store = InMemoryEventStore()
    command = AddItem(cart_id="cart-1", sku="tea", correlation_id="conversation-7")

    _correlated_bus(store).handle(command)

    assert {(e.correlation_id, e.causation_id) for e in store.read_all()} == {
        ("conversation-7", command.command_id)
    }


def test_commands_sent_while_handling_a_command_join_its_conversation() -> None:
    store = InMemoryEventStore()
    outer = FillCarts(cart_ids=("cart-1", "cart-2"), correlation_id="conversation-9")

    inner_ids = _correlated_bus(store).handle(outer)

    for cart_id, inner_id in zip(outer.cart_ids, inner_ids, strict=True):
        events = store.read_stream(cart_id)
        assert {(e.correlation_id, e.causation_id) for e in events} == {
            ("conversation-9", inner_id)
        }


def test_the_context_is_restored_after_the_command() -> None:
    store = InMemoryEventStore()
    seen: list[str | None] = []

    def spy(command: AddItem) -> None:
        seen.append(current_context().causation_id)

    bus = CommandBus({AddItem: spy}, [CorrelationMiddleware()])
    command = AddItem(cart_id="cart-1", sku="tea")

    bus.handle(command)

    assert seen == [command.command_id]
    assert current_context().correlation_id is None
    assert current_context().causation_id is None
    assert store.last_position() == 0


def test_metadata_of_the_surrounding_context_reaches_the_events() -> None:
    store = InMemoryEventStore(metadata_fields=("organization_id", "user_id"))

    with message_context(metadata={"organization_id": "org-1", "user_id": "u-1"}):
        _correlated_bus(store).handle(AddItem(cart_id="cart-1", sku="tea"))

    assert {e.metadata["organization_id"] for e in store.read_all()} == {"org-1"}
    assert store.find(EventQuery(metadata={"user_id": "u-1"}, limit=None)) == store.read_all()


def test_a_transient_failure_is_not_remembered_so_a_retry_runs_again() -> None:
    handler = Flaky(conflicts=1)
    bus = CommandBus({PlaceOrder: handler}, [IdempotencyMiddleware()])
    command = PlaceOrder(sku="tea", idempotency_key="k-1")

    with pytest.raises(ConcurrencyError):
        bus.handle(command)
    result = bus.handle(command)

    assert result == "placed after 2 tries"
    assert bus.handle(command) == result
    assert handler.calls == 2
