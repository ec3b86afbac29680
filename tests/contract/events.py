"""Event types (and a small cart aggregate) shared by the store contract and the core suites.

Their stored names carry a ``test.`` prefix so they never collide with an application's (or the
README's) event types in the default registry.
"""

from __future__ import annotations

from typing import Any

from eventram import Aggregate, DomainError, Event

__all__ = [
    "Cart",
    "CartCheckedOut",
    "CartClosedError",
    "CartOpened",
    "EmptyCartError",
    "ItemAdded",
    "ItemRemoved",
    "NotAnEvent",
]


class CartOpened(Event, frozen=True):
    """A cart was opened by a customer."""

    event_type = "test.CartOpened"
    customer: str


class ItemAdded(Event, frozen=True):
    """An item was put in a cart."""

    event_type = "test.ItemAdded"
    sku: str
    quantity: int = 1


class ItemRemoved(Event, frozen=True):
    """An item was taken out of a cart."""

    event_type = "test.ItemRemoved"
    sku: str


class CartCheckedOut(Event, frozen=True):
    """A cart was paid for and closed."""

    event_type = "test.CartCheckedOut"


class NotAnEvent:
    """Looks like an event to a careless caller, but is not an ``eventram.Event``."""

    event_type = "test.NotAnEvent"

    def __init__(self, sku: str) -> None:
        self.sku = sku


# -- the small cart domain the core suites use -------------------------------------------------


class CartClosedError(DomainError):
    """A checked-out cart cannot change."""

    def __init__(self, cart_id: str) -> None:
        super().__init__(f"Cart {cart_id!r} is checked out and cannot change.")
        self.cart_id = cart_id


class EmptyCartError(DomainError):
    """An empty cart cannot be checked out."""

    def __init__(self, cart_id: str) -> None:
        super().__init__(f"Cart {cart_id!r} is empty and cannot be checked out.")
        self.cart_id = cart_id


class Cart(Aggregate):
    """A shopping cart: opened, items added and removed, checked out once."""

    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.customer = ""
        self.items: dict[str, int] = {}
        self.checked_out = False

    @classmethod
    def open(cls, cart_id: str, customer: str) -> Cart:
        """Open a new cart (a creation command)."""
        cart = cls(cart_id)
        cart.record(CartOpened(customer=customer))
        return cart

    def add(self, sku: str, quantity: int = 1) -> None:
        """Put ``quantity`` of an item in the cart."""
        if self.checked_out:
            raise CartClosedError(self.id)
        if quantity < 1:
            raise DomainError(f"Cannot add {quantity} of {sku!r}: the quantity must be >= 1.")
        self.record(ItemAdded(sku=sku, quantity=quantity))

    def remove(self, sku: str) -> None:
        """Take an item out of the cart; removing an absent item records nothing."""
        if self.checked_out:
            raise CartClosedError(self.id)
        if sku in self.items:
            self.record(ItemRemoved(sku=sku))

    def checkout(self) -> None:
        """Close the cart; checking out twice records nothing the second time."""
        if self.checked_out:
            return
        if not self.items:
            raise EmptyCartError(self.id)
        self.record(CartCheckedOut())

    def apply(self, event: Event) -> None:
        match event:
            case CartOpened(customer=customer):
                self.customer = customer
            case ItemAdded(sku=sku, quantity=quantity):
                self.items[sku] = self.items.get(sku, 0) + quantity
            case ItemRemoved(sku=sku):
                self.items.pop(sku, None)
            case CartCheckedOut():
                self.checked_out = True

    def snapshot_state(self) -> dict[str, object]:
        return {"customer": self.customer, "items": self.items, "checked_out": self.checked_out}

    def restore_state(self, state: Any) -> None:
        self.customer = state["customer"]
        self.items = dict(state["items"])
        self.checked_out = state["checked_out"]
