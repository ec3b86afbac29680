"""A counter table's image as bytes and back, for snapshots (cells, tracked facts, versions)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from eventram.readmodel.counters._cells import Row

__all__ = ["TableImage", "decode_image", "encode_image"]


class TableImage(msgspec.Struct, array_like=True):
    """Everything a table holds, with the shape it was declared with."""

    name: str
    dimensions: list[str]
    amounts: list[str]
    partition_by: list[str]
    version: int
    partition_versions: dict[str, int]
    cells: list[Row]
    # entity, time, dimension values, amounts
    facts: list[tuple[str, datetime, list[str], list[Decimal]]]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(TableImage)


def encode_image(image: TableImage) -> bytes:
    """The image, msgpack-encoded."""
    return _encoder.encode(image)


def decode_image(data: bytes) -> TableImage:
    """An image :func:`encode_image` wrote."""
    return _decoder.decode(data)
