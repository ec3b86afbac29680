"""The event registry and codec: discovery, names, msgpack/JSON round trips, upcasters."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from eventram import (
    DecodeError,
    Event,
    EventRegistry,
    UnregisteredEventError,
    ValidationError,
    registry,
)
from tests.contract.events import ItemAdded, NotAnEvent


class Line(msgspec.Struct, frozen=True):
    """A nested value inside an event."""

    sku: str
    quantity: int


class OrderPlaced(Event, frozen=True):
    """An event with every kind of field a payment event carries."""

    event_type = "test.codec.OrderPlaced"
    order_id: uuid.UUID
    total: Decimal
    placed_at: datetime
    lines: tuple[Line, ...]
    note: str | None = None


class DefaultNamed(Event, frozen=True):
    """An event that keeps the default name: its class name."""

    codec_marker: int = 0


class PriceSet(Event, frozen=True):
    """Version 3: amount as a decimal string plus a currency."""

    event_type = "test.codec.PriceSet"
    schema_version = 3
    product: str
    amount: Decimal
    currency: str


class PriceSetV1(msgspec.Struct):
    """The shape stored by version 1 of PriceSet: an integer number of cents."""

    product: str
    cents: int


class ClashOne(Event, frozen=True):
    event_type = "test.codec.Clash"
    one: int = 1


class ClashTwo(Event, frozen=True):
    event_type = "test.codec.Clash"
    two: int = 2


def _order() -> OrderPlaced:
    return OrderPlaced(
        order_id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
        total=Decimal("1234.50"),
        placed_at=datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=UTC),
        lines=(Line("a", 2), Line("b", 1)),
    )


def _upcasting_registry() -> EventRegistry:
    codec = EventRegistry(discover=False)
    codec.register(PriceSet)

    @codec.upcaster("test.codec.PriceSet", 1)
    def cents_to_amount(data: dict[str, Any]) -> dict[str, Any]:
        cents = data.pop("cents")
        return {**data, "amount": f"{cents // 100}.{cents % 100:02d}"}

    @codec.upcaster("test.codec.PriceSet", 2)
    def add_currency(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "currency": "EUR"}

    return codec


# -- names and discovery ---------------------------------------------------------------------


def test_an_event_is_named_after_its_class_unless_it_says_otherwise() -> None:
    assert DefaultNamed.event_type == "DefaultNamed"
    assert OrderPlaced.event_type == "test.codec.OrderPlaced"
    assert DefaultNamed.schema_version == 1


def test_a_defined_event_class_is_discovered_by_its_name() -> None:
    codec = EventRegistry()

    assert codec.type_for("test.codec.OrderPlaced") is OrderPlaced


def test_without_discovery_only_registered_classes_are_known() -> None:
    codec = EventRegistry(discover=False)

    with pytest.raises(UnregisteredEventError) as caught:
        codec.type_for("test.codec.OrderPlaced")
    assert codec.register(OrderPlaced) is OrderPlaced

    assert caught.value.event_type == "test.codec.OrderPlaced"
    assert "test.codec.OrderPlaced" in str(caught.value)
    assert codec.type_for("test.codec.OrderPlaced") is OrderPlaced


def test_register_works_as_a_class_decorator_and_twice_for_the_same_class() -> None:
    codec = EventRegistry(discover=False)

    @codec.register
    class Decorated(Event, frozen=True):
        event_type = "test.codec.Decorated"

    assert codec.register(Decorated) is Decorated
    assert codec.type_for("test.codec.Decorated") is Decorated


def test_two_classes_with_the_same_name_are_refused_with_both_named() -> None:
    codec = EventRegistry(discover=False)
    codec.register(ClashOne)

    with pytest.raises(ValidationError) as caught:
        codec.register(ClashTwo)

    assert "test.codec.Clash" in str(caught.value)
    assert "ClashOne" in str(caught.value)
    assert "ClashTwo" in str(caught.value)
    assert codec.type_for("test.codec.Clash") is ClashOne


def test_discovering_a_name_two_classes_share_is_refused() -> None:
    with pytest.raises(ValidationError, match="registered twice"):
        EventRegistry().type_for("test.codec.Clash")


def test_registering_something_that_is_not_an_event_class_is_refused() -> None:
    codec = EventRegistry(discover=False)

    with pytest.raises(ValidationError):
        codec.register(Line)  # type: ignore[type-var]
    with pytest.raises(ValidationError):
        codec.register(NotAnEvent)  # type: ignore[type-var]


def test_an_unknown_type_name_is_an_unregistered_event_error() -> None:
    with pytest.raises(UnregisteredEventError) as caught:
        registry.decode("test.codec.NeverDefined", b"\x80")

    assert caught.value.event_type == "test.codec.NeverDefined"
    assert isinstance(caught.value, ValidationError)


def test_check_names_an_event_and_refuses_other_objects() -> None:
    codec = EventRegistry(discover=False)

    assert codec.check(ItemAdded(sku="a")) == "test.ItemAdded"
    assert codec.type_for("test.ItemAdded") is ItemAdded
    with pytest.raises(UnregisteredEventError):
        codec.check(NotAnEvent("a"))  # type: ignore[arg-type]
    with pytest.raises(UnregisteredEventError):
        codec.check({"sku": "a"})  # type: ignore[arg-type]


# -- round trips -----------------------------------------------------------------------------


def test_msgpack_round_trip_keeps_every_field() -> None:
    event = _order()

    decoded = registry.decode(event.event_type, registry.encode(event))

    assert decoded == event
    assert type(decoded) is OrderPlaced


def test_json_round_trip_keeps_every_field() -> None:
    event = _order()

    payload = registry.to_json(event)

    assert b'"1234.50"' in payload
    assert registry.from_json(event.event_type, payload) == event


def test_events_are_immutable() -> None:
    event = _order()

    with pytest.raises(AttributeError):
        event.note = "changed"  # type: ignore[misc]


def test_a_corrupt_payload_is_a_decode_error_naming_the_type() -> None:
    with pytest.raises(DecodeError) as caught:
        registry.decode("test.codec.OrderPlaced", b"\xc1 not msgpack")

    assert caught.value.event_type == "test.codec.OrderPlaced"
    assert "test.codec.OrderPlaced" in str(caught.value)


def test_a_payload_missing_a_field_is_a_decode_error() -> None:
    payload = msgspec.msgpack.encode({"total": "1.00"})

    with pytest.raises(DecodeError):
        registry.decode("test.codec.OrderPlaced", payload)
    with pytest.raises(DecodeError):
        registry.from_json("test.codec.OrderPlaced", b'{"total": "1.00"}')


# -- upcasters -------------------------------------------------------------------------------


def test_upcasters_chain_from_version_one_to_the_current_version() -> None:
    codec = _upcasting_registry()
    stored = msgspec.msgpack.encode(PriceSetV1(product="tea", cents=1205))

    event = codec.decode("test.codec.PriceSet", stored, schema_version=1)

    assert event == PriceSet(product="tea", amount=Decimal("12.05"), currency="EUR")


def test_upcasting_starts_at_the_stored_version() -> None:
    codec = _upcasting_registry()
    stored = msgspec.msgpack.encode({"product": "tea", "amount": "3.10"})

    event = codec.decode("test.codec.PriceSet", stored, schema_version=2)

    assert event == PriceSet(product="tea", amount=Decimal("3.10"), currency="EUR")


def test_json_payloads_are_upcast_too() -> None:
    codec = _upcasting_registry()

    event = codec.from_json("test.codec.PriceSet", b'{"product": "tea", "cents": 99}', 1)

    assert event == PriceSet(product="tea", amount=Decimal("0.99"), currency="EUR")


def test_the_current_version_is_decoded_without_upcasting() -> None:
    codec = _upcasting_registry()
    event = PriceSet(product="tea", amount=Decimal("1"), currency="USD")

    assert codec.decode("test.codec.PriceSet", codec.encode(event), 3) == event


def test_a_missing_upcaster_is_a_decode_error_naming_the_version() -> None:
    codec = EventRegistry(discover=False)
    codec.register(PriceSet)
    codec.upcaster("test.codec.PriceSet", 1)(lambda data: data)
    stored = msgspec.msgpack.encode(PriceSetV1(product="tea", cents=1))

    with pytest.raises(DecodeError) as caught:
        codec.decode("test.codec.PriceSet", stored, schema_version=1)

    assert "schema version 2" in str(caught.value)
    assert "test.codec.PriceSet" in str(caught.value)


def test_a_stored_version_newer_than_the_code_is_a_decode_error() -> None:
    codec = _upcasting_registry()
    stored = msgspec.msgpack.encode({"product": "tea"})

    with pytest.raises(DecodeError, match="newer"):
        codec.decode("test.codec.PriceSet", stored, schema_version=4)


def test_an_upcaster_producing_a_bad_shape_is_a_decode_error() -> None:
    codec = EventRegistry(discover=False)
    codec.register(PriceSet)
    codec.upcaster("test.codec.PriceSet", 1)(lambda data: {"product": 5})
    codec.upcaster("test.codec.PriceSet", 2)(lambda data: data)

    with pytest.raises(DecodeError):
        codec.decode("test.codec.PriceSet", msgspec.msgpack.encode({"cents": 1}), 1)
