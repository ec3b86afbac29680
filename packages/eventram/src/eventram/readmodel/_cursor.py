"""Opaque page cursors: base64 of the last row's sort values and id, checked on the way in."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import msgspec

from eventram.errors import QueryError
from eventram.readmodel import _wire
from eventram.readmodel._ordering import Ordering
from eventram.readmodel._schema import Schema

__all__ = ["decode_cursor", "encode_cursor"]


def encode_cursor(ordering: Ordering, values: list[Any], doc_id: Any) -> str:
    """The cursor that resumes right after the row with these sort ``values`` and ``doc_id``."""
    raw = _wire.encode([ordering.spec(), values, doc_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(schema: Schema, ordering: Ordering, cursor: str) -> tuple[list[Any], Any]:
    """``(sort values, id)`` from ``cursor``; ``QueryError`` when damaged or for another sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        spec, values, doc_id = _wire.decode(raw)
    except (binascii.Error, msgspec.DecodeError, ValueError, TypeError, UnicodeError) as exc:
        raise QueryError(f"Malformed cursor {cursor[:40]!r}: {exc}.", field="cursor") from exc
    if spec != ordering.spec() or not isinstance(values, list) or len(values) != len(spec):
        raise QueryError(
            f"Cursor {cursor[:40]!r} was not made for this sort order; start again without it.",
            field="cursor",
        )
    try:
        for field, value in zip(ordering.fields, values, strict=True):
            schema.check_value(field, value, allow_none=True)
        schema.check_value(schema.id_field, doc_id)
    except QueryError as exc:
        raise QueryError(f"Malformed cursor {cursor[:40]!r}: {exc}", field="cursor") from exc
    return values, doc_id
