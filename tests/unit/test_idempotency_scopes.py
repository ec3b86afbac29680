"""Idempotency keys by scope: bounded per scope and in all, replays that can be watched."""

from __future__ import annotations

import threading

import pytest

from eventram import (
    Command,
    CommandBus,
    IdempotencyKeyReusedError,
    IdempotencyMiddleware,
    IdempotencyRecord,
    InMemoryIdempotencyStore,
    StoreClosedError,
    ValidationError,
    watch_replays,
)


class Charge(Command, frozen=True, kw_only=True):
    """Charge a tenant an amount."""

    tenant: str
    amount: int


class Handler:
    """Counts its calls; raises the queued errors first."""

    def __init__(self, *errors: Exception) -> None:
        self.calls: list[Charge] = []
        self.errors = list(errors)

    def __call__(self, command: Charge) -> tuple[str, int, int]:
        self.calls.append(command)
        if self.errors:
            raise self.errors.pop(0)
        return (command.tenant, command.amount, len(self.calls))


def by_tenant(command: Command) -> str:
    assert isinstance(command, Charge)
    return command.tenant


def bus_with(handler: Handler, keys: InMemoryIdempotencyStore | None = None) -> CommandBus:
    return CommandBus({Charge: handler}, [IdempotencyMiddleware(keys, scope=by_tenant)])


def charge(tenant: str, key: str, amount: int = 5) -> Charge:
    return Charge(tenant=tenant, amount=amount, idempotency_key=key)


def test_the_same_key_in_two_scopes_is_two_commands() -> None:
    handler = Handler()
    bus = bus_with(handler)

    acme = bus.handle(charge("acme", "k", amount=5))
    globex = bus.handle(charge("globex", "k", amount=7))

    assert acme == ("acme", 5, 1)
    assert globex == ("globex", 7, 2)
    assert bus.handle(charge("acme", "k", amount=5)) == acme


def test_one_scope_sending_many_keys_evicts_only_its_own() -> None:
    handler = Handler()
    keys = InMemoryIdempotencyStore(max_entries=100, max_per_scope=3)
    bus = bus_with(handler, keys)
    victim = bus.handle(charge("victim", "precious"))

    for n in range(50):
        bus.handle(charge("noisy", f"k-{n}"))

    assert bus.handle(charge("victim", "precious")) == victim
    assert len(keys) == 4
    assert keys.get("noisy", "k-49") is not None
    assert keys.get("noisy", "k-46") is None


def test_the_global_bound_forgets_the_least_recently_used_key_of_any_scope() -> None:
    keys = InMemoryIdempotencyStore(max_entries=2, max_per_scope=2)
    record = IdempotencyRecord(b"f", result=1)
    keys.put("a", "k-1", record)
    keys.put("b", "k-1", record)
    assert keys.get("a", "k-1") is record  # now the most recently used

    keys.put("c", "k-1", record)

    assert len(keys) == 2
    assert keys.get("b", "k-1") is None
    assert keys.get("a", "k-1") is record
    assert keys.get("c", "k-1") is record


@pytest.mark.parametrize("bounds", [(0, None), (10, 0)])
def test_bounds_below_one_are_refused(bounds: tuple[int, int | None]) -> None:
    with pytest.raises(ValidationError):
        InMemoryIdempotencyStore(*bounds)


def test_a_watch_tells_a_replay_from_a_first_run() -> None:
    bus = bus_with(Handler())

    with watch_replays() as first:
        bus.handle(charge("acme", "k"))
    with watch_replays() as again:
        bus.handle(charge("acme", "k"))

    assert (first.replayed, again.replayed) == (False, True)


def test_a_key_reused_for_another_command_names_the_key_and_runs_nothing() -> None:
    handler = Handler()
    bus = bus_with(handler)
    bus.handle(charge("acme", "k", amount=5))

    with pytest.raises(IdempotencyKeyReusedError) as caught:
        bus.handle(charge("acme", "k", amount=6))

    assert caught.value.key == "k"
    assert caught.value.field == "idempotency_key"
    assert len(handler.calls) == 1


def test_an_unexpected_error_is_not_remembered() -> None:
    handler = Handler(RuntimeError("a bug"))
    bus = bus_with(handler)

    with pytest.raises(RuntimeError):
        bus.handle(charge("acme", "k"))

    assert bus.handle(charge("acme", "k")) == ("acme", 5, 2)


def test_a_duplicate_waiting_on_a_first_that_fails_transiently_runs_the_command_itself() -> None:
    entered, release = threading.Event(), threading.Event()
    calls: list[str] = []

    def flaky(command: Charge) -> str:
        calls.append(command.command_id)
        if len(calls) == 1:
            entered.set()
            assert release.wait(10), "the test never released the first command"
            raise StoreClosedError("disk full")
        return "charged"

    bus = CommandBus({Charge: flaky}, [IdempotencyMiddleware(scope=by_tenant)])
    outcomes: list[object] = []

    def send() -> None:
        try:
            outcomes.append(bus.handle(charge("acme", "k")))
        except StoreClosedError as exc:
            outcomes.append(exc)

    first = threading.Thread(target=send)
    first.start()
    assert entered.wait(10)
    duplicate = threading.Thread(target=send)
    duplicate.start()
    release.set()
    first.join(10)
    duplicate.join(10)

    assert len(calls) == 2
    assert sorted(map(str, outcomes)) == ["charged", "disk full"]


def test_replaying_an_error_many_times_does_not_grow_its_traceback() -> None:
    handler = Handler(ValidationError("amount too large", field="amount"))
    bus = bus_with(handler)

    def depth() -> int:
        try:
            bus.handle(charge("acme", "k"))
        except ValidationError as exc:
            tb, n = exc.__traceback__, 0
            while tb is not None:
                tb, n = tb.tb_next, n + 1
            return n
        raise AssertionError("the refusal was not replayed")

    first = depth()
    for _ in range(20):
        depth()

    assert depth() <= first
