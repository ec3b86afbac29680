"""The payments domain's commands: what a caller asks for, in the imperative.

Amounts are a ``Decimal`` plus an ISO 4217 code, as in the seeds' ``processPayment($amount,
$currency)``; a float is refused at the boundary. ``organization_id`` on the commands that act
on an existing payment scopes them to a tenant: a payment of another organization is "not
found" to them. Their ``expected_version``, when set, is the version the caller saw (an HTTP
``If-Match``): the command is refused with ``ConcurrencyError`` when the payment is at another
version, and never retried into success.

Every command checks its own fields when it is built, as the queries do (types, lengths,
characters, currency codes, decimal places, metadata size), raising eventram's
``ValidationError`` naming the offending ``field`` (``metadata.invoice`` for one metadata
entry), so a handler never sees bad input. Amounts and currencies are checked by ``Money``,
whose errors also name their field. Rules of the domain (a positive amount, a refund within what
remains) stay in the aggregate.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

import msgspec

from billing.domain.money import Money
from eventram import Command, ValidationError

__all__ = [
    "MAX_AMOUNT",
    "MAX_DESCRIPTION_LENGTH",
    "MAX_ID_LENGTH",
    "MAX_MESSAGE_ID_LENGTH",
    "MAX_METADATA_ENTRIES",
    "MAX_METADATA_KEY_LENGTH",
    "MAX_METADATA_VALUE_LENGTH",
    "MAX_TEXT_LENGTH",
    "FailPayment",
    "PaymentCommand",
    "ProcessPayment",
    "RefundPayment",
    "RequestPayment",
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
MAX_MESSAGE_ID_LENGTH: Final = 200
"""For ``command_id``, ``correlation_id`` and ``idempotency_key``."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]*")
_METADATA_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_ALLOWED_CONTROLS = frozenset("\n\r\t")


# -- the rules of the fields -----------------------------------------------------------------


def _check_id(value: object, field: str) -> None:
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


def _check_text(value: object, field: str, max_length: int, *, required: bool) -> None:
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


def _check_metadata(value: object, field: str = "metadata") -> None:
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
        _check_text(item, f"{field}.{key}", MAX_METADATA_VALUE_LENGTH, required=False)


def _check_money(amount: object, currency: object) -> None:
    """An amount that is money in ``currency`` (``Money`` checks it), at most ``MAX_AMOUNT``."""
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


def _check_envelope(command: Command) -> None:
    """The message ids every command carries: set, strings, at most 200 characters."""
    for field in ("command_id", "correlation_id", "idempotency_key"):
        value = getattr(command, field)
        if field != "command_id" and value is None:
            continue
        if not isinstance(value, str) or not value or len(value) > MAX_MESSAGE_ID_LENGTH:
            raise ValidationError(
                f"{field} must be a non-empty string of at most {MAX_MESSAGE_ID_LENGTH} "
                "characters.",
                field=field,
            )


def _check_scope(organization_id: object) -> None:
    if organization_id is not None:
        _check_id(organization_id, "organization_id")


def _check_expected_version(expected_version: object) -> None:
    if expected_version is not None and (type(expected_version) is not int or expected_version < 0):
        raise ValidationError(
            f"expected_version must be a stream version (0 or more), not {expected_version!r}.",
            field="expected_version",
        )


# -- the commands ----------------------------------------------------------------------------


class RequestPayment(Command, frozen=True, kw_only=True):
    """Ask for a new payment of ``amount`` by a user of an organization."""

    payment_id: str
    organization_id: str
    user_id: str
    amount: Decimal
    currency: str
    description: str = ""
    metadata: dict[str, str] = msgspec.field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_envelope(self)
        _check_id(self.payment_id, "payment_id")
        _check_id(self.organization_id, "organization_id")
        _check_id(self.user_id, "user_id")
        _check_money(self.amount, self.currency)
        _check_text(self.description, "description", MAX_DESCRIPTION_LENGTH, required=False)
        _check_metadata(self.metadata)

    @property
    def money(self) -> Money:
        """The amount as Money, scaled to the currency's minor units."""
        return Money(self.amount, self.currency)


class ProcessPayment(Command, frozen=True, kw_only=True):
    """Record that a pending payment was collected; amount and currency must be the requested."""

    payment_id: str
    amount: Decimal
    currency: str
    organization_id: str | None = None
    expected_version: int | None = None

    def __post_init__(self) -> None:
        _check_envelope(self)
        _check_id(self.payment_id, "payment_id")
        _check_scope(self.organization_id)
        _check_expected_version(self.expected_version)
        _check_money(self.amount, self.currency)

    @property
    def money(self) -> Money:
        """The amount as Money, scaled to the currency's minor units."""
        return Money(self.amount, self.currency)


class FailPayment(Command, frozen=True, kw_only=True):
    """Record that collecting a pending payment failed, with the provider's error text."""

    payment_id: str
    error: str
    organization_id: str | None = None
    expected_version: int | None = None

    def __post_init__(self) -> None:
        _check_envelope(self)
        _check_id(self.payment_id, "payment_id")
        _check_scope(self.organization_id)
        _check_expected_version(self.expected_version)
        _check_text(self.error, "error", MAX_TEXT_LENGTH, required=True)


class RefundPayment(Command, frozen=True, kw_only=True):
    """Pay back part or all of what is left of a completed payment."""

    payment_id: str
    amount: Decimal
    currency: str
    reason: str
    organization_id: str | None = None
    expected_version: int | None = None

    def __post_init__(self) -> None:
        _check_envelope(self)
        _check_id(self.payment_id, "payment_id")
        _check_scope(self.organization_id)
        _check_expected_version(self.expected_version)
        _check_text(self.reason, "reason", MAX_TEXT_LENGTH, required=True)
        _check_money(self.amount, self.currency)

    @property
    def money(self) -> Money:
        """The amount as Money, scaled to the currency's minor units."""
        return Money(self.amount, self.currency)


PaymentCommand = RequestPayment | ProcessPayment | FailPayment | RefundPayment
"""Every command of the payments domain."""
