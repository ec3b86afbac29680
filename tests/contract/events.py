"""Event types shared by the store contract suite and the other core suites.

Their stored names carry a ``test.`` prefix so they never collide with an application's (or the
README's) event types in the default registry.
"""

from __future__ import annotations

from eventram import Event

__all__ = ["CartCheckedOut", "CartOpened", "ItemAdded", "ItemRemoved", "NotAnEvent"]


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
