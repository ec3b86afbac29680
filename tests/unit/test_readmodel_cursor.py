"""Cursors carry the last row's sort values and id, typed, and refuse tampering."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from eventram.errors import QueryError
from eventram.readmodel import _wire
from eventram.readmodel._cursor import decode_cursor, encode_cursor
from eventram.readmodel._ordering import Ordering
from eventram.readmodel._schema import Schema
from eventram.readmodel.query import SortKey

SCHEMA = Schema("docs", "id", {"amount": Decimal, "at": datetime, "name": str, "n": int})
ORDER = Ordering(SCHEMA, (SortKey("amount", True), SortKey("at"), SortKey("name")))


@pytest.mark.parametrize(
    "values",
    [
        [Decimal("12.50"), datetime(2024, 5, 1, 10, tzinfo=UTC), "x"],
        [None, None, None],
        [Decimal("-1E+3"), datetime(1999, 1, 1, tzinfo=UTC), ""],
    ],
)
def test_a_cursor_round_trips_typed_values(values: list[Any]) -> None:
    cursor = encode_cursor(ORDER, values, "doc-7")

    assert decode_cursor(SCHEMA, ORDER, cursor) == (values, "doc-7")
    assert "=" not in cursor


def test_a_cursor_with_values_of_the_wrong_type_is_refused() -> None:
    raw = _wire.encode([ORDER.spec(), ["12.50", None, None], "doc-7"])
    cursor = base64.urlsafe_b64encode(raw).decode()

    with pytest.raises(QueryError, match="Malformed cursor"):
        decode_cursor(SCHEMA, ORDER, cursor)


def test_a_cursor_with_a_wrong_id_type_is_refused() -> None:
    raw = _wire.encode([ORDER.spec(), [None, None, None], 7])
    cursor = base64.urlsafe_b64encode(raw).decode()

    with pytest.raises(QueryError, match="Malformed cursor"):
        decode_cursor(SCHEMA, ORDER, cursor)


def test_a_cursor_for_another_sort_is_refused() -> None:
    other = Ordering(SCHEMA, (SortKey("n"),))
    cursor = encode_cursor(other, [3], "doc-1")

    with pytest.raises(QueryError, match="sort order"):
        decode_cursor(SCHEMA, ORDER, cursor)


@pytest.mark.parametrize("cursor", ["", "!!!!", "AAAA", base64.b64encode(b"\xc1").decode()])
def test_garbage_is_a_query_error_not_a_crash(cursor: str) -> None:
    with pytest.raises(QueryError):
        decode_cursor(SCHEMA, ORDER, cursor)
