"""CommandBus (and QueryBus): one handler per type, middleware as a list composed once."""

from __future__ import annotations

from typing import Any

import pytest

from eventram import (
    Command,
    CommandBus,
    HandlerNotFoundError,
    Query,
    QueryBus,
    inject,
)
from eventram.bus import Next


class OpenCart(Command, frozen=True, kw_only=True):
    """Open a cart."""

    cart_id: str


class OpenSpecialCart(OpenCart, frozen=True, kw_only=True):
    """A subtype of OpenCart that has no handler of its own."""


class CloseCart(Command, frozen=True, kw_only=True):
    """Close a cart."""

    cart_id: str


class GetCart(Query, frozen=True, kw_only=True):
    """Ask for a cart."""

    cart_id: str


def _open(command: OpenCart) -> str:
    return f"opened {command.cart_id}"


class Tracer:
    """A middleware that writes when it is entered and left into a shared journal."""

    def __init__(self, name: str, journal: list[str]) -> None:
        self.name = name
        self.journal = journal

    def __call__(self, command: Command, next: Next[Command]) -> Any:
        self.journal.append(f"{self.name}>")
        try:
            return next(command)
        finally:
            self.journal.append(f"<{self.name}")


def test_a_command_goes_to_the_handler_of_its_type() -> None:
    bus = CommandBus({OpenCart: _open, CloseCart: lambda c: f"closed {c.cart_id}"})

    assert bus.handle(OpenCart(cart_id="c-1")) == "opened c-1"
    assert bus.handle(CloseCart(cart_id="c-1")) == "closed c-1"
    assert bus.handles(OpenCart)
    assert not bus.handles(OpenSpecialCart)


def test_a_command_without_a_handler_is_refused_by_name() -> None:
    bus = CommandBus({OpenCart: _open})

    with pytest.raises(HandlerNotFoundError) as caught:
        bus.handle(CloseCart(cart_id="c-1"))

    assert caught.value.message_type is CloseCart
    assert "CloseCart" in str(caught.value)


def test_a_subtype_is_not_routed_to_its_parent_handler() -> None:
    bus = CommandBus({OpenCart: _open})

    with pytest.raises(HandlerNotFoundError, match="OpenSpecialCart"):
        bus.handle(OpenSpecialCart(cart_id="c-1"))


def test_an_unhandled_command_does_not_enter_the_middleware() -> None:
    journal: list[str] = []
    bus = CommandBus({OpenCart: _open}, [Tracer("outer", journal)])

    with pytest.raises(HandlerNotFoundError):
        bus.handle(CloseCart(cart_id="c-1"))

    assert journal == []


def test_the_first_middleware_in_the_list_is_the_outermost() -> None:
    journal: list[str] = []

    def handler(command: OpenCart) -> str:
        journal.append("handler")
        return "done"

    bus = CommandBus(
        {OpenCart: handler},
        [Tracer("a", journal), Tracer("b", journal), Tracer("c", journal)],
    )

    assert bus.handle(OpenCart(cart_id="c-1")) == "done"
    assert journal == ["a>", "b>", "c>", "handler", "<c", "<b", "<a"]


def test_the_middleware_list_is_composed_once_when_the_bus_is_built() -> None:
    journal: list[str] = []
    middleware: list[Any] = [Tracer("a", journal)]
    bus = CommandBus({OpenCart: _open}, middleware)

    middleware.append(Tracer("late", journal))
    middleware.pop(0)
    bus.handle(OpenCart(cart_id="c-1"))
    bus.handle(OpenCart(cart_id="c-2"))

    assert journal == ["a>", "<a", "a>", "<a"]


def test_a_middleware_may_answer_without_calling_the_handler() -> None:
    calls: list[str] = []

    def handler(command: OpenCart) -> str:
        calls.append(command.cart_id)
        return "handled"

    def short_circuit(command: Command, next: Next[Command]) -> Any:
        return "from middleware"

    bus = CommandBus({OpenCart: handler}, [short_circuit])

    assert bus.handle(OpenCart(cart_id="c-1")) == "from middleware"
    assert calls == []


def test_a_middleware_sees_the_handlers_error_and_result() -> None:
    seen: list[object] = []

    def observe(command: Command, next: Next[Command]) -> Any:
        try:
            result = next(command)
        except ValueError as exc:
            seen.append(exc)
            raise
        seen.append(result)
        return result

    def fail(command: CloseCart) -> None:
        raise ValueError("no")

    bus = CommandBus({OpenCart: _open, CloseCart: fail}, [observe])

    bus.handle(OpenCart(cart_id="c-1"))
    with pytest.raises(ValueError, match="no"):
        bus.handle(CloseCart(cart_id="c-1"))

    assert seen[0] == "opened c-1"
    assert isinstance(seen[1], ValueError)


def test_inject_gives_a_handler_the_dependencies_its_signature_names() -> None:
    def handler(command: OpenCart, greeting: str, suffix: str = "!") -> str:
        return f"{greeting} {command.cart_id}{suffix}"

    bound = inject(handler, {"greeting": "hello", "unused": object()})
    bus = CommandBus({OpenCart: bound})

    assert bus.handle(OpenCart(cart_id="c-1")) == "hello c-1!"


def test_inject_refuses_a_handler_whose_dependency_is_missing() -> None:
    def handler(command: OpenCart, repository: object) -> None:
        pass

    with pytest.raises(TypeError, match="repository"):
        inject(handler, {})


def test_a_query_goes_to_its_handler_through_middleware() -> None:
    journal: list[str] = []

    def trace(query: Query, next: Next[Query]) -> Any:
        journal.append(type(query).__name__)
        return next(query)

    bus = QueryBus({GetCart: lambda q: {"id": q.cart_id}}, [trace])

    assert bus.ask(GetCart(cart_id="c-1")) == {"id": "c-1"}
    assert journal == ["GetCart"]
    assert bus.handles(GetCart)
    with pytest.raises(HandlerNotFoundError):
        QueryBus({}).ask(GetCart(cart_id="c-1"))
