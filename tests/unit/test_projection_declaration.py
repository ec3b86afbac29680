"""Declaring a projection: handlers are checked against the event registry at once."""

from __future__ import annotations

from typing import Any

import pytest

from eventram import Event, EventRegistry, RecordedEvent, UnregisteredEventError, ValidationError
from eventram.projection import Projection


class DeclTicketOpened(Event, frozen=True):
    title: str


class DeclTicketClosed(Event, frozen=True):
    pass


def _noop(state: dict[str, Any], event: Any, envelope: RecordedEvent) -> None:
    return None


def test_handlers_keyed_by_class_or_name_give_the_stored_type_names() -> None:
    projection = Projection(
        "tickets", {DeclTicketOpened: _noop, "DeclTicketClosed": _noop}, dict[str, Any]
    )

    assert projection.event_types == {"DeclTicketOpened", "DeclTicketClosed"}
    assert projection.handler_for("DeclTicketOpened") is _noop
    assert projection.handler_for("SomethingElse") is None


def test_a_handler_for_an_unknown_type_name_fails_at_declaration() -> None:
    with pytest.raises(UnregisteredEventError, match="DeclTicketReopenned"):
        Projection("tickets", {"DeclTicketReopenned": _noop}, dict[str, Any])


def test_a_class_unknown_to_a_non_discovering_registry_fails_at_declaration() -> None:
    strict = EventRegistry(discover=False)

    with pytest.raises(UnregisteredEventError):
        Projection("tickets", {DeclTicketOpened: _noop}, dict[str, Any], event_registry=strict)


def test_a_key_that_is_not_an_event_class_is_refused() -> None:
    with pytest.raises(ValidationError, match="neither an eventram"):
        Projection("tickets", {int: _noop}, dict[str, Any])  # type: ignore[dict-item]


def test_the_same_type_twice_is_refused() -> None:
    with pytest.raises(ValidationError, match="two handlers"):
        Projection("tickets", {DeclTicketOpened: _noop, "DeclTicketOpened": _noop}, dict[str, Any])


@pytest.mark.parametrize("name", ["", None])
def test_a_projection_needs_a_name(name: Any) -> None:
    with pytest.raises(ValidationError, match="name"):
        Projection(name, {DeclTicketOpened: _noop}, dict[str, Any])


def test_a_projection_needs_at_least_one_handler() -> None:
    with pytest.raises(ValidationError, match="handles no event type"):
        Projection("tickets", {}, dict[str, Any])


def test_each_new_state_is_fresh() -> None:
    projection = Projection("tickets", {DeclTicketOpened: _noop}, dict[str, Any])

    first = projection.new_state()
    first["x"] = 1

    assert projection.new_state() == {}
