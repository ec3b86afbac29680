"""Money: exact Decimal amounts in active ISO 4217 currencies, scaled to their minor units."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from billing.domain import (
    CURRENCIES,
    CurrencyMismatchError,
    Money,
    TooManyDecimalPlacesError,
    UnknownCurrencyError,
    minor_units,
)
from eventram import DomainError, ValidationError


@pytest.mark.parametrize(
    ("currency", "units"),
    [
        ("EUR", 2),
        ("USD", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("KWD", 3),
        ("BHD", 3),
        ("TND", 3),
        ("CLF", 4),
        ("UYW", 4),
        ("XOF", 0),
        ("SLE", 2),
        ("XCG", 2),
        ("ZWG", 2),
        ("VED", 2),
    ],
)
def test_minor_units_follow_iso_4217(currency: str, units: int) -> None:
    assert minor_units(currency) == units


@pytest.mark.parametrize("code", ["HRK", "BGN", "SLL", "ZWL", "ANG", "CUC", "XAU", "XXX", "XTS"])
def test_withdrawn_codes_and_codes_without_minor_units_are_not_currencies(code: str) -> None:
    assert code not in CURRENCIES
    with pytest.raises(UnknownCurrencyError) as caught:
        Money("1", code)
    assert caught.value.currency == code
    assert caught.value.field == "currency"


def test_every_code_is_three_upper_case_letters_with_0_to_4_minor_units() -> None:
    assert len(CURRENCIES) > 150
    for code, units in CURRENCIES.items():
        assert len(code) == 3
        assert code.isascii()
        assert code.isupper()
        assert units in {0, 2, 3, 4}


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (Decimal("10"), "EUR", "10.00"),
        ("10.5", "EUR", "10.50"),
        ("10.500", "EUR", "10.50"),
        (7, "KWD", "7.000"),
        ("1E+2", "JPY", "100"),
        (" 3.25 ", "USD", "3.25"),
        ("0.0001", "CLF", "0.0001"),
        ("-0", "EUR", "0.00"),
        ("0.000", "JPY", "0"),
        ("-0E-10", "EUR", "0.00"),
        ("-12.3", "EUR", "-12.30"),
    ],
)
def test_amounts_are_scaled_exactly_to_the_currency_minor_units(
    amount: Decimal | int | str, currency: str, expected: str
) -> None:
    money = Money(amount, currency)
    assert str(money.amount) == expected
    assert str(money) == f"{expected} {currency}"


def test_equal_values_written_differently_are_the_same_money() -> None:
    assert Money("10", "EUR") == Money(Decimal("10.00"), "EUR")
    assert hash(Money("10", "EUR")) == hash(Money("10.000", "EUR"))
    assert Money("10", "EUR") != Money("10", "USD")
    assert Money("1", "EUR") != "1.00 EUR"


def test_a_float_amount_is_refused_with_the_field_named() -> None:
    with pytest.raises(ValidationError, match="float") as caught:
        Money(0.1, "EUR")  # type: ignore[arg-type]
    assert caught.value.field == "amount"
    assert not isinstance(caught.value, DomainError)


@pytest.mark.parametrize("amount", [True, None, [1], "abc", "", "NaN", "Infinity", Decimal("-inf")])
def test_non_numbers_and_non_finite_amounts_are_refused(amount: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Money(amount, "EUR")  # type: ignore[arg-type]
    assert caught.value.field == "amount"


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [("10.001", "EUR", 2), ("1.5", "JPY", 0), ("0.0001", "KWD", 3), ("0.00001", "CLF", 4)],
)
def test_more_decimal_places_than_the_currency_allows_is_a_domain_and_validation_error(
    amount: str, currency: str, units: int
) -> None:
    with pytest.raises(TooManyDecimalPlacesError) as caught:
        Money(amount, currency)
    error = caught.value
    assert isinstance(error, DomainError)
    assert isinstance(error, ValidationError)
    assert (error.amount, error.currency, error.minor_units) == (Decimal(amount), currency, units)
    assert error.field == "amount"
    assert f"too many decimal places for {currency}" in str(error)


@pytest.mark.parametrize("code", ["eur", "EURO", "", "E1R", 978])
def test_malformed_currency_codes_are_unknown(code: object) -> None:
    with pytest.raises(UnknownCurrencyError, match="not an active ISO 4217"):
        Money("1", code)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["1E+60", "1E+999999999", "1" * 45 + ".000"])
def test_absurdly_long_amounts_are_refused_rather_than_rounded(amount: str) -> None:
    with pytest.raises(ValidationError, match="digits"):
        Money(amount, "EUR")


def test_many_trailing_zeros_are_only_zeros() -> None:
    assert Money("1." + "0" * 100_000, "EUR") == Money("1", "EUR")
    with pytest.raises(TooManyDecimalPlacesError):
        Money("1." + "0" * 100_000 + "1", "EUR")


def test_amounts_longer_than_the_decimal_context_stay_exact() -> None:
    big = "123456789012345678901234567890.12"
    assert str((Money(big, "EUR") + Money("0.01", "EUR")).amount) == (
        "123456789012345678901234567890.13"
    )


def test_arithmetic_and_order_within_one_currency() -> None:
    assert Money("10.10", "EUR") + Money("0.90", "EUR") == Money("11", "EUR")
    assert Money("10", "EUR") - Money("12.5", "EUR") == Money("-2.50", "EUR")
    assert -Money("3", "KWD") == Money("-3.000", "KWD")
    assert Money("1", "EUR") < Money("1.01", "EUR") <= Money("1.01", "EUR")
    assert Money("2", "EUR") > Money("1.99", "EUR") >= Money("1.99", "EUR")
    assert Money.zero("JPY").is_zero()
    assert not Money.zero("JPY").is_positive()
    assert Money("0.01", "EUR").is_positive()


@pytest.mark.parametrize(
    "combine",
    [
        lambda a, b: a + b,
        lambda a, b: a - b,
        lambda a, b: a < b,
        lambda a, b: a <= b,
        lambda a, b: a > b,
        lambda a, b: a >= b,
    ],
)
def test_amounts_in_different_currencies_are_never_combined(
    combine: Callable[[Money, Money], object],
) -> None:
    with pytest.raises(CurrencyMismatchError) as caught:
        combine(Money("1", "EUR"), Money("1", "USD"))
    assert (caught.value.expected, caught.value.actual) == ("EUR", "USD")


def test_money_does_not_combine_with_plain_numbers() -> None:
    with pytest.raises(TypeError):
        Money("1", "EUR") + 1
    with pytest.raises(TypeError):
        Money("1", "EUR") < 1  # noqa: B015


def test_money_is_immutable() -> None:
    money = Money("1", "EUR")
    with pytest.raises(AttributeError, match="immutable"):
        money._amount = Decimal("2")


def test_minor_units_round_trip_and_repr() -> None:
    assert Money("10.01", "EUR").minor == 1001
    assert Money("-7", "KWD").minor == -7000
    assert Money.from_minor(1050, "EUR") == Money("10.50", "EUR")
    assert Money.from_minor(5, "JPY") == Money("5", "JPY")
    assert repr(Money("1", "EUR")) == "Money('1.00', 'EUR')"
    with pytest.raises(ValidationError):
        Money.from_minor(1.5, "EUR")  # type: ignore[arg-type]


def test_stored_money_replays_a_currency_withdrawn_since() -> None:
    kuna = Money.stored(Decimal("10.00"), "HRK")
    assert kuna + Money.stored(Decimal("0.50"), "HRK") == Money.stored(Decimal("10.50"), "HRK")
    assert (kuna - kuna).is_zero()
    assert kuna.minor == 1000


currencies = st.sampled_from(sorted(CURRENCIES))
minor_amounts = st.integers(min_value=-(10**30), max_value=10**30)


@given(currencies, minor_amounts, minor_amounts)
def test_sums_and_differences_are_exact_in_minor_units(currency: str, a: int, b: int) -> None:
    x, y = Money.from_minor(a, currency), Money.from_minor(b, currency)
    assert (x + y).minor == a + b
    assert (x - y).minor == a - b
    assert x + y - y == x
    assert (x < y) == (a < b)


@given(currencies, minor_amounts)
def test_decimal_string_round_trip_preserves_money(currency: str, units: int) -> None:
    money = Money.from_minor(units, currency)
    assert Money(str(money.amount), currency) == money
    assert Money(money.amount, currency).amount.as_tuple() == money.amount.as_tuple()
