"""Wrong expectations of ``eventram.testing``, each of which must raise ``AssertionError``.

Run as ``python -O -m tests.unit.wrong_expectations`` (from the repository root) by
``test_testing_fixtures``: ``-O`` strips ``assert`` statements, so a fixture that relied on them
would let these pass silently. Prints the interpreter's optimize flag, then the name of every
expectation that did not fail; exits 1 if there is one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from eventram import Command, CommandBus, DomainError, InMemoryEventStore, NotFoundError, Repository
from eventram.testing import AggregateScenario, CommandScenario
from tests.contract.events import Cart, CartCheckedOut, CartClosedError, CartOpened, ItemAdded


class AddItem(Command, frozen=True, kw_only=True):
    """Put an item in an existing cart."""

    cart_id: str
    sku: str


class TouchTwoCarts(Command, frozen=True, kw_only=True):
    """Add a pen to two carts, one after the other."""

    first: str
    second: str


def _bus(store: InMemoryEventStore) -> CommandBus:
    carts: Repository[Cart] = Repository(store, Cart)

    def add_item(command: AddItem) -> None:
        cart = carts.load(command.cart_id)
        cart.add(command.sku)
        carts.save(cart)

    def touch_two(command: TouchTwoCarts) -> None:
        for cart_id in (command.first, command.second):
            cart = carts.load(cart_id)
            cart.add("pen")
            carts.save(cart)

    return CommandBus({AddItem: add_item, TouchTwoCarts: touch_two})


def _cart() -> AggregateScenario[Cart]:
    return AggregateScenario(Cart, "cart-1").given(CartOpened(customer="ann"))


def _closed_cart() -> AggregateScenario[Cart]:
    return _cart().given(ItemAdded(sku="tea"), CartCheckedOut())


def _add_then_fail(cart: Cart) -> None:
    cart.add("tea")
    cart.add("cake", 0)


def _carts() -> CommandScenario:
    return CommandScenario(_bus).given("cart-1", CartOpened(customer="ann"), stream_type="Cart")


WRONG: dict[str, Callable[[], object]] = {
    "aggregate: other events": lambda: (
        _cart().when(lambda c: c.add("tea")).then(ItemAdded(sku="cake"))
    ),
    "aggregate: then before when": lambda: _cart().then(),
    "aggregate: then_nothing after an event": lambda: (
        _cart().when(lambda c: c.add("tea")).then_nothing()
    ),
    "aggregate: then_raises before when": lambda: _cart().then_raises(DomainError),
    "aggregate: nothing raised": lambda: (
        _cart().when(lambda c: c.add("tea")).then_raises(CartClosedError)
    ),
    "aggregate: another error": lambda: (
        _cart().when(lambda c: c.add("tea", 0)).then_raises(CartClosedError)
    ),
    "aggregate: another message": lambda: (
        _closed_cart()
        .when(lambda c: c.add("x"))
        .then_raises(CartClosedError, match="something else")
    ),
    "aggregate: events before the error": lambda: (
        _cart().when(_add_then_fail).then_raises(DomainError)
    ),
    "command: other events": lambda: (
        _carts().when(AddItem(cart_id="cart-1", sku="tea")).then(ItemAdded(sku="cake"))
    ),
    "command: another stream": lambda: (
        _carts()
        .given("cart-2", CartOpened(customer="bob"))
        .when(TouchTwoCarts(first="cart-1", second="cart-2"))
        .then(ItemAdded(sku="pen"), ItemAdded(sku="pen"), stream_id="cart-1")
    ),
    "command: nothing raised": lambda: (
        _carts().when(AddItem(cart_id="cart-1", sku="tea")).then_raises(NotFoundError)
    ),
    "command: another error": lambda: (
        _carts().when(AddItem(cart_id="cart-9", sku="tea")).then_raises(CartClosedError)
    ),
    "command: another message": lambda: (
        _carts()
        .when(AddItem(cart_id="cart-9", sku="tea"))
        .then_raises(NotFoundError, match="something else")
    ),
    "command: events before the error": lambda: (
        _carts().when(TouchTwoCarts(first="cart-1", second="cart-9")).then_raises(NotFoundError)
    ),
}
"""Each expectation is wrong about what its scenario did."""


def silent_expectations() -> list[str]:
    """The names of the wrong expectations that raised no ``AssertionError``."""
    silent = []
    for name, expect in WRONG.items():
        try:
            expect()
        except AssertionError:
            continue
        silent.append(name)
    return silent


def main() -> int:
    """Print the optimize flag and the silent expectations; 1 if there is one."""
    print(f"optimize={sys.flags.optimize}")
    silent = silent_expectations()
    for name in silent:
        print(f"passed silently: {name}")
    return 1 if silent else 0


if __name__ == "__main__":
    sys.exit(main())
