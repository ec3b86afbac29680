"""A CounterTable as bytes and back, for snapshots (cells, tracked facts and versions)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import msgspec

from eventram.projection._counters import CounterTable, _Partition

__all__ = ["dump_table", "load_table"]


class _TableImage(msgspec.Struct, array_like=True):
    name: str
    dimensions: list[str]
    amounts: list[str]
    partition_by: list[str]
    version: int
    partition_versions: dict[str, int]
    # partition, level, bucket index, dimension values ([] for the bucket total), cell
    cells: list[tuple[str, int, int, list[str], int, list[Decimal]]]
    # entity, time, dimension values, amounts
    facts: list[tuple[str, datetime, list[str], list[Decimal]]]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(_TableImage)


def dump_table(table: CounterTable) -> bytes:
    """Everything the table holds, msgpack-encoded (taken under its lock)."""
    with table._lock:
        cells = [
            (name, level, index, list(key), cell[0], cell[1:])
            for name, partition in table._partitions.items()
            for level, buckets in enumerate(partition.buckets)
            for index, bucket in buckets.items()
            for key, cell in bucket.items()
            if cell[0] or not key
        ]
        facts = [
            (entity, at, list(key), list(amounts))
            for entity, (at, key, amounts, _, _) in table._facts.items()
        ]
        image = _TableImage(
            table.name,
            list(table.dimensions),
            list(table.amounts),
            list(table.partition_by),
            table._version,
            dict(table._partition_versions),
            cells,
            facts,
        )
    return _encoder.encode(image)


def load_table(data: bytes) -> CounterTable:
    """A table equal to the one :func:`dump_table` encoded."""
    image = _decoder.decode(data)
    table = CounterTable(
        image.name, image.dimensions, image.amounts, partition_by=image.partition_by or None
    )
    for name, level, index, key_values, count, sums in image.cells:
        partition = table._partitions.get(name)
        if partition is None:
            partition = table._partitions[name] = _Partition()
        buckets = partition.buckets[level]
        bucket = buckets.get(index)
        if bucket is None:
            bucket = buckets[index] = {}
            partition.order[level].add(index)
        key = tuple(key_values)
        key = table._keys.setdefault(key, key)
        bucket[key] = [count, *sums]
    for entity, at, key_values, amounts in image.facts:
        stored = table._encode_values(at, tuple(key_values), tuple(amounts))
        table._facts[entity] = stored
    table._version = image.version
    table._partition_versions = dict(image.partition_versions)
    return table
