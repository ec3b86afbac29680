"""Money: an exact Decimal amount in an ISO 4217 currency, never a float.

An amount may carry at most as many decimal places as its currency's minor units (EUR 2, JPY 0,
KWD 3, CLF 4); it is kept scaled to exactly that many, so ``Money("10", "EUR")`` and
``Money("10.00", "EUR")`` are the same value and print as ``10.00 EUR``. Amounts in different
currencies are never added, subtracted or compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Final, final

from billing.domain.errors import (
    CurrencyMismatchError,
    TooManyDecimalPlacesError,
    UnknownCurrencyError,
)
from eventram import ValidationError

__all__ = ["CURRENCIES", "MAX_DIGITS", "Money", "minor_units"]

MAX_DIGITS: Final = 40
"""Most digits an amount may have once scaled to its currency's minor units."""


def _table(**groups: str) -> dict[str, int]:
    table: dict[str, int] = {}
    for key, codes in groups.items():
        for code in codes.split():
            table[code] = int(key.removeprefix("units_"))
    return table


CURRENCIES: Final[Mapping[str, int]] = MappingProxyType(
    _table(
        units_0="BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
        units_2="""
            AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BMD BND BOB BOV BRL BSD BTN BWP
            BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB
            EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES
            KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR
            MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD
            RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP
            TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XAD XCD XCG YER ZAR ZMW ZWG
        """,
        units_3="BHD IQD JOD KWD LYD OMR TND",
        units_4="CLF UYW",
    )
)
"""Active ISO 4217 codes (list one, as published on 2026-01-01) and their minor units.

Codes whose minor units ISO lists as "N.A." (precious metals, bond market units, SDR, XSU,
XUA, the testing code XTS and XXX) are left out: they are not currencies a payment is made in.
Withdrawn codes (HRK, BGN, SLL, ZWL, ANG, CUC, ...) are not accepted for new amounts.
"""


def minor_units(currency: object, *, field: str = "currency") -> int:
    """The minor units of an active ISO 4217 code; ``UnknownCurrencyError`` for anything else."""
    units = CURRENCIES.get(currency) if isinstance(currency, str) else None
    if units is None:
        raise UnknownCurrencyError(currency, field=field)
    return units


def _to_decimal(amount: object, field: str) -> Decimal:
    if isinstance(amount, float):
        raise ValidationError(
            f"Amount {amount!r} is a float; give money as a Decimal, an int or a decimal "
            "string, because a float cannot hold most amounts exactly.",
            field=field,
        )
    if isinstance(amount, Decimal):
        value = amount
    elif isinstance(amount, int) and not isinstance(amount, bool):
        value = Decimal(amount)
    elif isinstance(amount, str):
        try:
            value = Decimal(amount.strip())
        except InvalidOperation:
            raise ValidationError(
                f"Amount {amount!r} is not a decimal number.", field=field
            ) from None
    else:
        raise ValidationError(
            f"Amount {amount!r} of type {type(amount).__name__} is not a Decimal, an int or "
            "a decimal string.",
            field=field,
        )
    if not value.is_finite():
        raise ValidationError(f"Amount {amount!r} is not a finite number.", field=field)
    return value


def _scaled(value: Decimal, currency: str, units: int, field: str) -> Decimal:
    """``value`` with exactly ``units`` decimal places, built digit by digit: no rounding, and
    no decimal context (whose precision would silently round very long amounts)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # finite, checked by the caller
    if not any(digits):
        return Decimal((0, (0,), -units))  # zero, however many zeros it was written with
    excess = -units - exponent  # decimal places beyond the minor units: zeros, or refused
    if excess > 0 and len(digits) - len(bytes(digits).rstrip(b"\0")) < excess:
        raise TooManyDecimalPlacesError(value, currency, units, field=field)
    if len(digits) - excess > MAX_DIGITS:  # before padding: "1E+999999999" is short to write
        raise ValidationError(
            f"Amount {value} has more than {MAX_DIGITS} digits; no amount of money is that large.",
            field=field,
        )
    digits = digits[: len(digits) - excess] if excess > 0 else digits + (0,) * -excess
    return Decimal((sign, digits, -units))


def _from_minor(units: int, places: int) -> Decimal:
    sign, digits, _ = Decimal(units).as_tuple()  # exact for any int
    return Decimal((sign, digits, -places))


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # Money holds finite amounts only
    return max(0, -exponent)


def _to_minor(value: Decimal, places: int) -> int:
    """``value`` times ``10 ** places`` as an int; exact when ``value`` has at most ``places``."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    number = int("".join(map(str, digits)) + "0" * (exponent + places))
    return -number if sign else number


@final
class Money:
    """An exact amount of one currency; immutable, hashable, ordered within a currency.

    ``amount`` may be a ``Decimal``, an ``int`` or a decimal string; a float is refused with a
    ``ValidationError`` and an amount finer than the currency's minor units with
    ``TooManyDecimalPlacesError``. Zero and negative amounts are values like any other: rules
    such as "a refund is positive" belong to the domain.
    """

    __slots__ = ("_amount", "_currency")

    _amount: Decimal
    _currency: str

    def __init__(
        self,
        amount: Decimal | int | str,
        currency: str,
        *,
        field: str = "amount",
        currency_field: str = "currency",
    ) -> None:
        units = minor_units(currency, field=currency_field)
        value = _to_decimal(amount, field)
        object.__setattr__(self, "_amount", _scaled(value, currency, units, field))
        object.__setattr__(self, "_currency", currency)

    @classmethod
    def stored(cls, amount: Decimal, currency: str) -> Money:
        """Money from a stored fact, trusted because it was checked when it was decided.

        Nothing is looked up in today's ISO table, so a currency withdrawn since stays
        readable, and nothing raises: replaying events must never fail.
        """
        money = object.__new__(cls)
        object.__setattr__(money, "_amount", amount)
        object.__setattr__(money, "_currency", currency)
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        """No money in this currency."""
        return cls(0, currency)

    @classmethod
    def from_minor(cls, units: int, currency: str) -> Money:
        """Money from an integer count of minor units (cents): ``from_minor(1050, "EUR")``."""
        if not isinstance(units, int) or isinstance(units, bool):
            raise ValidationError(f"Minor units {units!r} must be an int.", field="amount")
        return cls(_from_minor(units, minor_units(currency)), currency)

    @property
    def amount(self) -> Decimal:
        """The amount, with exactly the currency's number of decimal places."""
        return self._amount

    @property
    def currency(self) -> str:
        """The ISO 4217 code."""
        return self._currency

    @property
    def minor(self) -> int:
        """The amount as an integer count of minor units (cents)."""
        return _to_minor(self._amount, _places(self._amount))

    def is_positive(self) -> bool:
        """Whether the amount is greater than zero."""
        return self._amount > 0

    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return not self._amount

    def _same(self, other: Money) -> None:
        if other._currency != self._currency:
            raise CurrencyMismatchError(self._currency, other._currency)

    def _plus(self, other: Money, sign: int) -> Money:
        self._same(other)
        places = max(_places(self._amount), _places(other._amount))
        total = _to_minor(self._amount, places) + sign * _to_minor(other._amount, places)
        return Money.stored(_from_minor(total, places), self._currency)

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return self._plus(other, 1)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return self._plus(other, -1)

    def __neg__(self) -> Money:
        return Money.stored(_from_minor(-self.minor, _places(self._amount)), self._currency)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self._currency == other._currency and self._amount == other._amount

    def __hash__(self) -> int:
        return hash((self._amount, self._currency))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self._amount < other._amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self._amount <= other._amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self._amount > other._amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other)
        return self._amount >= other._amount

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Money is immutable; cannot set {name!r}.")

    def __repr__(self) -> str:
        return f"Money({str(self._amount)!r}, {self._currency!r})"

    def __str__(self) -> str:
        return f"{self._amount} {self._currency}"
