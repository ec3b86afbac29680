"""The given/when/then fixtures of ``eventram.testing`` pass good scenarios and catch bad ones."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from eventram import (
    Command,
    CommandBus,
    CorrelationMiddleware,
    DecodeError,
    DomainError,
    InMemoryEventStore,
    NotFoundError,
    Repository,
)
from eventram.testing import AggregateScenario, CommandScenario
from tests.contract.events import (
    Cart,
    CartCheckedOut,
    CartClosedError,
    CartOpened,
    ItemAdded,
)
from tests.unit.wrong_expectations import WRONG, silent_expectations

# -- AggregateScenario -----------------------------------------------------------------------


def _opened() -> AggregateScenario[Cart]:
    return AggregateScenario(Cart, "cart-1").given(CartOpened(customer="ann"))


def test_then_returns_the_aggregate_after_the_action() -> None:
    cart = _opened().when(lambda c: c.add("tea")).then(ItemAdded(sku="tea"))

    assert cart.items == {"tea": 1}
    assert cart.version == 2


def test_then_fails_when_other_events_were_recorded() -> None:
    scenario = _opened().when(lambda c: c.add("tea"))

    with pytest.raises(AssertionError, match="expected events"):
        scenario.then(ItemAdded(sku="cake"))


def test_then_fails_when_events_come_in_another_order() -> None:
    def two(cart: Cart) -> None:
        cart.add("tea")
        cart.add("cake")

    with pytest.raises(AssertionError):
        _opened().when(two).then(ItemAdded(sku="cake"), ItemAdded(sku="tea"))


def test_then_fails_when_the_action_raised() -> None:
    scenario = _opened().given(ItemAdded(sku="tea"), CartCheckedOut()).when(lambda c: c.add("x"))

    with pytest.raises(AssertionError, match="CartClosedError"):
        scenario.then(ItemAdded(sku="x"))


def test_then_before_when_is_a_mistake() -> None:
    with pytest.raises(AssertionError, match="when"):
        _opened().then()


def test_then_nothing_fails_when_something_was_recorded() -> None:
    with pytest.raises(AssertionError):
        _opened().when(lambda c: c.add("tea")).then_nothing()


def test_then_raises_returns_the_error() -> None:
    error = (
        _opened()
        .given(ItemAdded(sku="tea"), CartCheckedOut())
        .when(lambda c: c.add("x"))
        .then_raises(CartClosedError)
    )

    assert isinstance(error, CartClosedError)
    assert error.cart_id == "cart-1"


def test_then_raises_fails_when_nothing_was_raised() -> None:
    with pytest.raises(AssertionError, match="expected CartClosedError"):
        _opened().when(lambda c: c.add("tea")).then_raises(CartClosedError)


def test_then_raises_fails_on_another_error_type() -> None:
    scenario = _opened().when(lambda c: c.add("tea", 0))

    with pytest.raises(AssertionError, match="expected CartClosedError"):
        scenario.then_raises(CartClosedError)


def test_then_raises_fails_when_the_message_does_not_match() -> None:
    scenario = _opened().when(lambda c: c.add("tea", 0))

    with pytest.raises(AssertionError, match="not in"):
        scenario.then_raises(DomainError, match="something else")


def test_then_raises_fails_when_events_were_recorded_before_the_error() -> None:
    def add_then_fail(cart: Cart) -> None:
        cart.add("tea")
        cart.add("cake", 0)

    with pytest.raises(AssertionError, match="record nothing"):
        _opened().when(add_then_fail).then_raises(DomainError)


def test_given_events_must_survive_storage() -> None:
    not_storable = ItemAdded(sku=42)  # type: ignore[arg-type]

    with pytest.raises(DecodeError):
        AggregateScenario(Cart).given(not_storable)


def test_recorded_events_must_survive_storage() -> None:
    scenario = _opened()

    with pytest.raises(DecodeError):
        scenario.when(lambda c: c.record(ItemAdded(sku=None)))  # type: ignore[arg-type]


def test_when_created_catches_a_failing_factory() -> None:
    def refuse() -> Cart:
        raise DomainError("no carts today")

    AggregateScenario(Cart).when_created(refuse).then_raises(DomainError, match="no carts")


# -- CommandScenario -------------------------------------------------------------------------


class AddItem(Command, frozen=True, kw_only=True):
    """Put an item in an existing cart."""

    cart_id: str
    sku: str
    quantity: int = 1


class TouchTwoCarts(Command, frozen=True, kw_only=True):
    """Add the same item to two carts (to test the stream check)."""

    first: str
    second: str


def _bus(store: InMemoryEventStore) -> CommandBus:
    carts: Repository[Cart] = Repository(store, Cart)

    def add_item(command: AddItem) -> int:
        cart = carts.load(command.cart_id)
        cart.add(command.sku, command.quantity)
        result = carts.save(cart)
        return result.position if result is not None else 0

    def touch_two(command: TouchTwoCarts) -> None:
        for cart_id in (command.first, command.second):
            cart = carts.load(cart_id)
            cart.add("pen")
            carts.save(cart)

    return CommandBus({AddItem: add_item, TouchTwoCarts: touch_two}, [CorrelationMiddleware()])


def _given_cart() -> CommandScenario:
    return CommandScenario(_bus).given("cart-1", CartOpened(customer="ann"), stream_type="Cart")


def test_command_scenario_asserts_the_stored_events() -> None:
    scenario = _given_cart()
    command = AddItem(cart_id="cart-1", sku="tea", quantity=2)

    stored = scenario.when(command).then(ItemAdded(sku="tea", quantity=2), stream_id="cart-1")

    assert scenario.result == 2
    assert [(e.stream_id, e.version, e.causation_id) for e in stored] == [
        ("cart-1", 2, command.command_id)
    ]


def test_command_scenario_fails_when_other_events_were_stored() -> None:
    scenario = _given_cart().when(AddItem(cart_id="cart-1", sku="tea"))

    with pytest.raises(AssertionError, match="expected events"):
        scenario.then(ItemAdded(sku="cake"))


def test_command_scenario_fails_when_events_went_to_another_stream() -> None:
    scenario = (
        _given_cart()
        .given("cart-2", CartOpened(customer="bob"))
        .when(TouchTwoCarts(first="cart-1", second="cart-2"))
    )

    with pytest.raises(AssertionError, match="events went to"):
        scenario.then(ItemAdded(sku="pen"), ItemAdded(sku="pen"), stream_id="cart-1")
    assert len(scenario.then(ItemAdded(sku="pen"), ItemAdded(sku="pen"))) == 2


def test_command_scenario_asserts_an_error_and_nothing_stored() -> None:
    error = (
        CommandScenario(_bus)
        .when(AddItem(cart_id="cart-404", sku="tea"))
        .then_raises(NotFoundError, match="cart-404")
    )

    assert isinstance(error, NotFoundError)


def test_command_scenario_then_fails_when_the_command_raised() -> None:
    scenario = CommandScenario(_bus).when(AddItem(cart_id="cart-404", sku="tea"))

    with pytest.raises(AssertionError, match="NotFoundError"):
        scenario.then(ItemAdded(sku="tea"))


def test_command_scenario_then_raises_fails_when_the_command_succeeded() -> None:
    scenario = _given_cart().when(AddItem(cart_id="cart-1", sku="tea"))

    with pytest.raises(AssertionError, match="expected DomainError"):
        scenario.then_raises(DomainError)


def test_command_scenario_then_raises_fails_when_events_were_stored_before_the_error() -> None:
    scenario = _given_cart().when(TouchTwoCarts(first="cart-1", second="cart-404"))

    with pytest.raises(AssertionError, match="store nothing"):
        scenario.then_raises(NotFoundError)


def test_command_scenario_new_events_are_only_those_of_the_when_step() -> None:
    scenario = _given_cart().given("cart-2", CartOpened(customer="bob"))

    assert scenario.new_events == []
    scenario.when(AddItem(cart_id="cart-2", sku="tea"))
    scenario.then_stored([ItemAdded(sku="tea")])


# -- whatever the interpreter flags --------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", list(WRONG))
def test_a_wrong_expectation_fails(name: str) -> None:
    with pytest.raises(AssertionError):
        WRONG[name]()


def test_wrong_expectations_fail_under_python_O_too() -> None:
    """``-O`` strips ``assert`` statements: the fixtures must not depend on them."""
    assert silent_expectations() == []
    done = subprocess.run(
        [sys.executable, "-O", "-m", "tests.unit.wrong_expectations"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert lines[:1] == ["optimize=1"], done.stdout + done.stderr
    assert lines[1:] == [], done.stdout + done.stderr
    assert done.returncode == 0, done.stderr
