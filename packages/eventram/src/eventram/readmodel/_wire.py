"""msgpack encoding that keeps Decimal, date and naive datetime values (cursors, snapshots)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import msgspec

__all__ = ["decode", "encode", "to_wire"]

_DECIMAL, _DATE, _NAIVE_DATETIME, _TUPLE = 1, 2, 3, 4


def to_wire(value: Any) -> Any:
    """``value`` with Decimal, date and naive datetime wrapped in msgpack extensions."""
    kind = type(value)
    if kind is dict:
        return {k: to_wire(v) for k, v in value.items()}
    if kind is list:
        return [to_wire(v) for v in value]
    if kind is tuple:
        return msgspec.msgpack.Ext(_TUPLE, encode(list(value)))
    if kind is Decimal:
        return msgspec.msgpack.Ext(_DECIMAL, str(value).encode())
    if kind is datetime:
        if value.tzinfo is None:
            return msgspec.msgpack.Ext(_NAIVE_DATETIME, value.isoformat().encode())
        return value
    if kind is date:
        return msgspec.msgpack.Ext(_DATE, value.isoformat().encode())
    return value


def _ext_hook(code: int, data: memoryview) -> Any:
    if code == _TUPLE:
        return tuple(decode(bytes(data)))
    text = bytes(data).decode()
    if code == _DECIMAL:
        return Decimal(text)
    if code == _DATE:
        return date.fromisoformat(text)
    if code == _NAIVE_DATETIME:
        return datetime.fromisoformat(text)
    raise ValueError(f"unknown msgpack extension {code}")


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(ext_hook=_ext_hook)


def encode(value: Any) -> bytes:
    """msgpack bytes of ``value`` (after ``to_wire``)."""
    return _encoder.encode(to_wire(value))


def decode(data: bytes) -> Any:
    """The value ``encode`` wrote; raises ``msgspec.DecodeError`` or ValueError when damaged."""
    return _decoder.decode(data)
