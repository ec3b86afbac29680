"""The one position waiter: a query with min_position waits, once, before the rest of the bus."""

from __future__ import annotations

import pytest

from eventram import Query, QueryBus, ValidationError
from eventram.projection import WaitForPositionMiddleware


class Balance(Query, frozen=True, kw_only=True):
    """An account's balance."""

    account: str


class Waiter:
    """Records the positions waited for."""

    def __init__(self) -> None:
        self.waited: list[tuple[int, float]] = []

    def wait_for(self, position: int, timeout: float) -> None:
        self.waited.append((position, timeout))


def bus_with(waiter: Waiter, seen: list[Balance], last: int = 10) -> QueryBus:
    def balance(query: Balance) -> int:
        seen.append(query)
        return 42

    middleware = WaitForPositionMiddleware(waiter, timeout=1.5, last_position=lambda: last)
    return QueryBus({Balance: balance}, [middleware])


def test_a_query_with_min_position_waits_then_goes_on_without_it() -> None:
    waiter, seen = Waiter(), list[Balance]()

    answer = bus_with(waiter, seen).ask(Balance(account="a", min_position=7))

    assert answer == 42
    assert waiter.waited == [(7, 1.5)]
    assert seen == [Balance(account="a")]


def test_a_query_without_min_position_does_not_wait() -> None:
    waiter, seen = Waiter(), list[Balance]()

    bus_with(waiter, seen).ask(Balance(account="a"))

    assert waiter.waited == []
    assert len(seen) == 1


def test_a_position_beyond_the_last_one_is_refused_without_waiting() -> None:
    waiter, seen = Waiter(), list[Balance]()

    with pytest.raises(ValidationError) as caught:
        bus_with(waiter, seen, last=10).ask(Balance(account="a", min_position=11))

    assert caught.value.field == "min_position"
    assert "11" in str(caught.value)
    assert "(10)" in str(caught.value)
    assert waiter.waited == []
    assert seen == []


def test_the_last_position_itself_is_waited_for() -> None:
    waiter, seen = Waiter(), list[Balance]()

    bus_with(waiter, seen, last=10).ask(Balance(account="a", min_position=10))

    assert waiter.waited == [(10, 1.5)]
