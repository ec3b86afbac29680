"""Boundary validation of the payments commands: types, ranges, codes, lengths, metadata size.

Commands are msgspec Structs, which do not check their fields when built in Python, so every
handler validates its command first. Each check raises eventram's ``ValidationError`` naming the
offending ``field`` (``metadata.invoice`` for one metadata entry); amounts and currencies are
checked by ``Money``, whose errors also name their field. Rules of the domain (a positive
amount, a refund within what remains) stay in the aggregate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

from billing.domain import (
    FailPayment,
    Money,
    ProcessPayment,
    RefundPayment,
    RequestPayment,
)
from eventram import Command, ValidationError

__all__ = [
    "MAX_AMOUNT",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_ID_LENGTH",
    "MAX_METADATA_ENTRIES",
    "MAX_METADATA_KEY_LENGTH",
    "MAX_METADATA_VALUE_LENGTH",
    "MAX_TEXT_LENGTH",
    "check_amount",
    "check_id",
    "check_metadata",
    "check_text",
    "validate_fail",
    "validate_process",
    "validate_refund",
    "validate_request",
]

MAX_ID_LENGTH: Final = 100
MAX_DESCRIPTION_LENGTH: Final = 500
MAX_TEXT_LENGTH: Final = 1000
"""For a failure's error text and a refund's reason."""
MAX_METADATA_ENTRIES: Final = 20
MAX_METADATA_KEY_LENGTH: Final = 64
MAX_METADATA_VALUE_LENGTH: Final = 500
MAX_AMOUNT: Final = Decimal(10**15)
"""In major units of any currency: far above any real payment, low enough to catch typos."""
_MAX_MESSAGE_ID_LENGTH: Final = 200

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]*")
_METADATA_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ALLOWED_CONTROLS = frozenset("\n\r\t")


def check_id(value: object, field: str) -> str:
    """A non-empty identifier of at most 100 letters, digits and ``. _ : @ -``."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, not {type(value).__name__}.", field=field)
    if not value:
        raise ValidationError(f"{field} must not be empty.", field=field)
    if len(value) > MAX_ID_LENGTH:
        raise ValidationError(
            f"{field} is {len(value)} characters long; the limit is {MAX_ID_LENGTH}.",
            field=field,
        )
    if _ID.fullmatch(value) is None:
        raise ValidationError(
            f"{field} {value!r} may contain only letters, digits and . _ : @ -, "
            "and must start with a letter or a digit.",
            field=field,
        )
    return value


def check_text(value: object, field: str, max_length: int, *, required: bool) -> str:
    """Free text of at most ``max_length`` characters, without control characters."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be a string, not {type(value).__name__}.", field=field)
    if required and not value.strip():
        raise ValidationError(f"{field} must not be empty.", field=field)
    if len(value) > max_length:
        raise ValidationError(
            f"{field} is {len(value)} characters long; the limit is {max_length}.", field=field
        )
    for char in value:
        if unicodedata.category(char) == "Cc" and char not in _ALLOWED_CONTROLS:
            raise ValidationError(f"{field} contains the control character {char!r}.", field=field)
    return value


def check_metadata(value: object, field: str = "metadata") -> dict[str, str]:
    """At most 20 string entries, keys like identifiers (64 chars), values of 500 chars."""
    if not isinstance(value, Mapping):
        raise ValidationError(
            f"{field} must be an object of strings, not {type(value).__name__}.", field=field
        )
    if len(value) > MAX_METADATA_ENTRIES:
        raise ValidationError(
            f"{field} has {len(value)} entries; the limit is {MAX_METADATA_ENTRIES}.",
            field=field,
        )
    checked: dict[str, str] = {}
    for key, item in value.items():
        if (
            not isinstance(key, str)
            or len(key) > MAX_METADATA_KEY_LENGTH
            or _METADATA_KEY.fullmatch(key) is None
        ):
            raise ValidationError(
                f"{field} key {key!r} must be 1 to {MAX_METADATA_KEY_LENGTH} letters, digits "
                "and _ . -, starting with a letter or _.",
                field=field,
            )
        checked[key] = check_text(item, f"{field}.{key}", MAX_METADATA_VALUE_LENGTH, required=False)
    return checked


def check_amount(amount: object, currency: object) -> Money:
    """Money from a command's amount and currency, at most ``MAX_AMOUNT`` in size."""
    if not isinstance(currency, str):
        raise ValidationError(
            f"currency must be a string, not {type(currency).__name__}.", field="currency"
        )
    money = Money(amount, currency)  # type: ignore[arg-type]  # Money checks the type itself
    if abs(money.amount) > MAX_AMOUNT:
        raise ValidationError(
            f"amount {money.amount} is above the limit of {MAX_AMOUNT} {currency}.",
            field="amount",
        )
    return money


def _check_envelope(command: Command) -> None:
    for field in ("command_id", "correlation_id", "idempotency_key"):
        value = getattr(command, field)
        if field != "command_id" and value is None:
            continue
        if not isinstance(value, str) or not value or len(value) > _MAX_MESSAGE_ID_LENGTH:
            raise ValidationError(
                f"{field} must be a non-empty string of at most {_MAX_MESSAGE_ID_LENGTH} "
                "characters.",
                field=field,
            )


def _check_scope(organization_id: object) -> None:
    if organization_id is not None:
        check_id(organization_id, "organization_id")


def validate_request(command: RequestPayment) -> tuple[Money, dict[str, str]]:
    """Check a ``RequestPayment``; return its amount as Money and its checked metadata."""
    _check_envelope(command)
    check_id(command.payment_id, "payment_id")
    check_id(command.organization_id, "organization_id")
    check_id(command.user_id, "user_id")
    money = check_amount(command.amount, command.currency)
    check_text(command.description, "description", MAX_DESCRIPTION_LENGTH, required=False)
    return money, check_metadata(command.metadata)


def validate_process(command: ProcessPayment) -> Money:
    """Check a ``ProcessPayment``; return its amount as Money."""
    _check_envelope(command)
    check_id(command.payment_id, "payment_id")
    _check_scope(command.organization_id)
    return check_amount(command.amount, command.currency)


def validate_fail(command: FailPayment) -> None:
    """Check a ``FailPayment``."""
    _check_envelope(command)
    check_id(command.payment_id, "payment_id")
    _check_scope(command.organization_id)
    check_text(command.error, "error", MAX_TEXT_LENGTH, required=True)


def validate_refund(command: RefundPayment) -> Money:
    """Check a ``RefundPayment``; return its amount as Money."""
    _check_envelope(command)
    check_id(command.payment_id, "payment_id")
    _check_scope(command.organization_id)
    check_text(command.reason, "reason", MAX_TEXT_LENGTH, required=True)
    return check_amount(command.amount, command.currency)
