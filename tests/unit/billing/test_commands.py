"""The payments commands check their own fields when they are built, as the queries do.

given the fields of a command, when it is built, then it exists with exactly those fields, or
a ``ValidationError`` names the offending field in a sentence; every bound is tested at the
bound and one past it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import msgspec
import pytest

from billing.domain import (
    FailPayment,
    Money,
    ProcessPayment,
    RefundPayment,
    RequestPayment,
    TooManyDecimalPlacesError,
    UnknownCurrencyError,
)
from billing.domain.commands import (
    MAX_AMOUNT,
    MAX_DESCRIPTION_LENGTH,
    MAX_ID_LENGTH,
    MAX_MESSAGE_ID_LENGTH,
    MAX_METADATA_ENTRIES,
    MAX_METADATA_KEY_LENGTH,
    MAX_METADATA_VALUE_LENGTH,
    MAX_TEXT_LENGTH,
)
from eventram import Command, ValidationError

PAYMENT_ID = "payment-123"


def request(**overrides: object) -> RequestPayment:
    fields: dict[str, object] = {
        "payment_id": PAYMENT_ID,
        "organization_id": "org-456",
        "user_id": "user-789",
        "amount": Decimal("100.00"),
        "currency": "EUR",
        "description": "Cloud resources, March",
        "metadata": {"invoice": "INV-1"},
    }
    fields.update(overrides)
    return RequestPayment(**fields)  # type: ignore[arg-type]


def refund(amount: str, reason: str = "goodwill") -> RefundPayment:
    return RefundPayment(
        payment_id=PAYMENT_ID, amount=Decimal(amount), currency="EUR", reason=reason
    )


BAD_REQUESTS: list[tuple[str, dict[str, object], str, type[ValidationError]]] = [
    ("empty payment id", {"payment_id": ""}, "payment_id", ValidationError),
    ("payment id too long", {"payment_id": "p" * 101}, "payment_id", ValidationError),
    ("payment id with a space", {"payment_id": "pay ment"}, "payment_id", ValidationError),
    ("organization id not a string", {"organization_id": 456}, "organization_id", ValidationError),
    ("empty user id", {"user_id": ""}, "user_id", ValidationError),
    ("float amount", {"amount": 100.0}, "amount", ValidationError),
    ("boolean amount", {"amount": True}, "amount", ValidationError),
    ("amount above the limit", {"amount": Decimal(10**16)}, "amount", ValidationError),
    ("too many digits", {"amount": Decimal("1E+41")}, "amount", ValidationError),
    ("sub-cent amount", {"amount": Decimal("1.001")}, "amount", TooManyDecimalPlacesError),
    ("unknown currency", {"currency": "EURO"}, "currency", UnknownCurrencyError),
    ("lower-case currency", {"currency": "eur"}, "currency", UnknownCurrencyError),
    ("currency not a string", {"currency": 978}, "currency", ValidationError),
    ("description too long", {"description": "d" * 501}, "description", ValidationError),
    ("control character", {"description": "a\x00b"}, "description", ValidationError),
    ("metadata not a mapping", {"metadata": ["a"]}, "metadata", ValidationError),
    (
        "too much metadata",
        {"metadata": {f"k{i}": "v" for i in range(21)}},
        "metadata",
        ValidationError,
    ),
    ("bad metadata key", {"metadata": {"a key": "v"}}, "metadata", ValidationError),
    ("metadata key too long", {"metadata": {"k" * 65: "v"}}, "metadata", ValidationError),
    (
        "metadata value too long",
        {"metadata": {"note": "n" * 501}},
        "metadata.note",
        ValidationError,
    ),
    ("metadata value not a string", {"metadata": {"seats": 3}}, "metadata.seats", ValidationError),
    ("empty idempotency key", {"idempotency_key": ""}, "idempotency_key", ValidationError),
    ("correlation id too long", {"correlation_id": "c" * 201}, "correlation_id", ValidationError),
    ("command id too long", {"command_id": "c" * 201}, "command_id", ValidationError),
]


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [case[1:] for case in BAD_REQUESTS],
    ids=[case[0] for case in BAD_REQUESTS],
)
def test_a_bad_request_is_refused_when_built_naming_the_field(
    overrides: dict[str, object], field: str, error: type[ValidationError]
) -> None:
    with pytest.raises(error) as raised:
        request(**overrides)
    assert raised.value.field == field
    assert str(raised.value).endswith(".")


def test_the_limits_of_a_request_themselves_are_accepted() -> None:
    metadata = {
        f"k{i:02d}".ljust(MAX_METADATA_KEY_LENGTH, "k"): "v" * MAX_METADATA_VALUE_LENGTH
        for i in range(MAX_METADATA_ENTRIES)
    }
    built = request(
        payment_id="p" * MAX_ID_LENGTH,
        organization_id="o" * MAX_ID_LENGTH,
        user_id="u" * MAX_ID_LENGTH,
        description="d" * MAX_DESCRIPTION_LENGTH,
        amount=MAX_AMOUNT,
        metadata=metadata,
        command_id="c" * MAX_MESSAGE_ID_LENGTH,
        correlation_id="c" * MAX_MESSAGE_ID_LENGTH,
        idempotency_key="k" * MAX_MESSAGE_ID_LENGTH,
    )
    assert built.money == Money(MAX_AMOUNT, "EUR")
    assert built.metadata == metadata


def test_a_request_gives_its_amount_as_money_scaled_to_the_currency() -> None:
    assert request(amount=Decimal("12.5")).money == Money("12.50", "EUR")
    assert str(request(amount=Decimal(5), currency="JPY").money) == "5 JPY"


def test_free_text_may_hold_line_breaks_and_tabs() -> None:
    assert request(description="line one\nline two\ttab\r").description.startswith("line one")


def test_the_errors_read_as_sentences_naming_the_limit() -> None:
    with pytest.raises(ValidationError, match="description is 501 characters long; the limit"):
        request(description="d" * 501)
    with pytest.raises(
        ValidationError,
        match=r"amount 10000000000000000\.00 is above the limit of 1000000000000000 EUR\.",
    ):
        request(amount=Decimal(10**16))
    with pytest.raises(ValidationError, match="may contain only letters, digits"):
        request(user_id="-user")


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: FailPayment(payment_id=PAYMENT_ID, error=" "), "error"),
        (lambda: FailPayment(payment_id=PAYMENT_ID, error="e" * (MAX_TEXT_LENGTH + 1)), "error"),
        (lambda: FailPayment(payment_id="", error="declined"), "payment_id"),
        (lambda: refund("10", reason=""), "reason"),
        (lambda: refund("10", reason="r" * (MAX_TEXT_LENGTH + 1)), "reason"),
        (lambda: refund("10.005"), "amount"),
        (
            lambda: RefundPayment(
                payment_id=PAYMENT_ID, amount=Decimal(1), currency="XXX", reason="r"
            ),
            "currency",
        ),
        (
            lambda: ProcessPayment(
                payment_id=PAYMENT_ID, amount=Decimal(1), currency="EUR", organization_id=""
            ),
            "organization_id",
        ),
        (
            lambda: ProcessPayment(payment_id=PAYMENT_ID, amount=1.5, currency="EUR"),  # type: ignore[arg-type]
            "amount",
        ),
        (
            lambda: ProcessPayment(
                payment_id=PAYMENT_ID, amount=Decimal(1), currency="EUR", idempotency_key=""
            ),
            "idempotency_key",
        ),
        (
            lambda: FailPayment(payment_id=PAYMENT_ID, error="declined", expected_version=-1),
            "expected_version",
        ),
        (
            lambda: RefundPayment(
                payment_id=PAYMENT_ID,
                amount=Decimal(1),
                currency="EUR",
                reason="r",
                expected_version="3",  # type: ignore[arg-type]
            ),
            "expected_version",
        ),
    ],
    ids=[
        "blank error",
        "error too long",
        "empty payment id",
        "empty reason",
        "reason too long",
        "sub-cent refund",
        "unknown refund currency",
        "empty scope",
        "float",
        "empty idempotency key",
        "negative expected version",
        "expected version not an int",
    ],
)
def test_bad_input_to_the_other_commands_is_refused_when_built_naming_the_field(
    build: Callable[[], Command], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        build()
    assert raised.value.field == field


def test_the_other_commands_accept_their_limits_and_give_their_amount_as_money() -> None:
    text = "t" * MAX_TEXT_LENGTH
    assert FailPayment(payment_id=PAYMENT_ID, error=text).error == text
    assert refund("0.01", reason=text).money == Money("0.01", "EUR")
    process = ProcessPayment(
        payment_id=PAYMENT_ID, amount=Decimal(7), currency="KWD", organization_id="org-456"
    )
    assert process.money == Money("7.000", "KWD")


def test_a_command_changed_with_replace_is_checked_again() -> None:
    with pytest.raises(ValidationError) as raised:
        msgspec.structs.replace(request(), description="d" * 501)
    assert raised.value.field == "description"
