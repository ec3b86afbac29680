"""The aggregate base: decide, record, apply; version tracking; replay; given/when/then."""

from __future__ import annotations

import pytest

from eventram import NO_STREAM, Aggregate, DomainError, Event, InMemoryEventStore
from eventram.testing import AggregateScenario
from tests.contract.events import (
    Cart,
    CartCheckedOut,
    CartClosedError,
    CartOpened,
    EmptyCartError,
    ItemAdded,
    ItemRemoved,
)


def _cart() -> AggregateScenario[Cart]:
    return AggregateScenario(Cart, "cart-1")


def test_opening_a_cart_records_that_it_was_opened() -> None:
    cart = _cart().when_created(lambda: Cart.open("cart-1", "ann")).then(CartOpened(customer="ann"))

    assert (cart.id, cart.version, cart.customer) == ("cart-1", 1, "ann")


def test_adding_an_item_records_it() -> None:
    (
        _cart()
        .given(CartOpened(customer="ann"))
        .when(lambda c: c.add("tea", 2))
        .then(ItemAdded(sku="tea", quantity=2))
    )


def test_several_decisions_record_events_in_order() -> None:
    def shop(cart: Cart) -> None:
        cart.add("tea")
        cart.add("cake", 3)
        cart.checkout()

    (
        _cart()
        .given(CartOpened(customer="ann"))
        .when(shop)
        .then(ItemAdded(sku="tea"), ItemAdded(sku="cake", quantity=3), CartCheckedOut())
    )


def test_a_checked_out_cart_refuses_new_items_and_records_nothing() -> None:
    error = (
        _cart()
        .given(CartOpened(customer="ann"), ItemAdded(sku="tea"), CartCheckedOut())
        .when(lambda c: c.add("cake"))
        .then_raises(CartClosedError, match="cart-1")
    )

    assert isinstance(error, DomainError)


def test_an_empty_cart_cannot_be_checked_out() -> None:
    _cart().given(CartOpened(customer="ann")).when(Cart.checkout).then_raises(EmptyCartError)


def test_a_cart_emptied_by_removal_cannot_be_checked_out() -> None:
    (
        _cart()
        .given(CartOpened(customer="ann"), ItemAdded(sku="tea"), ItemRemoved(sku="tea"))
        .when(Cart.checkout)
        .then_raises(EmptyCartError)
    )


def test_checking_out_twice_records_nothing_the_second_time() -> None:
    (
        _cart()
        .given(CartOpened(customer="ann"), ItemAdded(sku="tea"), CartCheckedOut())
        .when(Cart.checkout)
        .then_nothing()
    )


def test_removing_an_absent_item_records_nothing() -> None:
    _cart().given(CartOpened(customer="ann")).when(lambda c: c.remove("tea")).then_nothing()


def test_a_zero_quantity_is_refused() -> None:
    (
        _cart()
        .given(CartOpened(customer="ann"))
        .when(lambda c: c.add("tea", 0))
        .then_raises(DomainError, match="quantity")
    )


def test_recording_advances_the_version_and_keeps_events_pending() -> None:
    cart = Cart.open("cart-1", "ann")
    cart.add("tea")
    cart.mark_saved()

    cart.add("cake")
    cart.add("jam")

    assert cart.version == 4
    assert cart.saved_version == 2
    assert cart.pending_events == [ItemAdded(sku="cake"), ItemAdded(sku="jam")]
    assert cart.items == {"tea": 1, "cake": 1, "jam": 1}


def test_mark_saved_returns_and_forgets_the_pending_events() -> None:
    cart = Cart.open("cart-1", "ann")
    cart.add("tea")

    saved = cart.mark_saved()

    assert saved == [CartOpened(customer="ann"), ItemAdded(sku="tea")]
    assert cart.pending_events == []
    assert cart.saved_version == cart.version == 2


def test_pending_events_is_a_copy() -> None:
    cart = Cart.open("cart-1", "ann")

    cart.pending_events.clear()

    assert cart.pending_events == [CartOpened(customer="ann")]


def test_replay_applies_stored_events_and_takes_their_version() -> None:
    store = InMemoryEventStore()
    store.append(
        "cart-1",
        [CartOpened(customer="ann"), ItemAdded(sku="tea", quantity=2), ItemRemoved(sku="tea")],
        NO_STREAM,
    )
    store.append("cart-1", [ItemAdded(sku="jam")], 3)

    cart = Cart("cart-1").replay(store.read_stream("cart-1"))

    assert (cart.version, cart.saved_version) == (4, 4)
    assert cart.items == {"jam": 1}
    assert cart.pending_events == []


def test_stream_type_defaults_to_the_class_name_and_can_be_set() -> None:
    class Basket(Aggregate):
        stream_type = "shop.Basket"

    class Wishlist(Aggregate):
        pass

    assert Cart.stream_type == "Cart"
    assert Basket.stream_type == "shop.Basket"
    assert Wishlist.stream_type == "Wishlist"


def test_an_aggregate_without_apply_says_so() -> None:
    class Bare(Aggregate):
        pass

    with pytest.raises(NotImplementedError, match="Bare"):
        Bare("b-1").record(CartCheckedOut())


def test_an_aggregate_without_snapshot_support_says_so() -> None:
    class Bare(Aggregate):
        def apply(self, event: Event) -> None:
            pass

    with pytest.raises(NotImplementedError, match="snapshots"):
        Bare("b-1").snapshot_state()
    with pytest.raises(NotImplementedError, match="snapshots"):
        Bare("b-1").restore_state({})
