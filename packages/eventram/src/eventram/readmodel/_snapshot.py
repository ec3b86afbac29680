"""Collection snapshots: settings, documents and versions as msgpack (Decimal, datetime kept)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from eventram.errors import ValidationError
from eventram.readmodel import _wire
from eventram.readmodel._schema import FIELD_TYPES, Schema
from eventram.readmodel._versions import Versions
from eventram.readmodel.indexes import HashIndex, IndexSpec, SortedIndex, TextIndex

__all__ = ["LoadedSnapshot", "dump", "load", "settings"]

FORMAT = 1
_SPECS: dict[str, type[IndexSpec]] = {"hash": HashIndex, "sorted": SortedIndex, "text": TextIndex}
_TYPE_NAMES = {kind: name for name, kind in FIELD_TYPES.items()}


def settings(
    schema: Schema, indexes: Sequence[IndexSpec], partition_by: str | None, max_page_size: int
) -> dict[str, Any]:
    """The shape of a collection: what must match for a snapshot to be restored into it."""
    return {
        "name": schema.name,
        "id_field": schema.id_field,
        "fields": {f: _TYPE_NAMES[k] for f, k in schema.fields.items()},
        "indexes": [[spec.kind, spec.field] for spec in indexes],
        "partition_by": partition_by,
        "max_page_size": max_page_size,
    }


def dump(shape: dict[str, Any], versions: Versions, documents: Iterable[dict[str, Any]]) -> bytes:
    """msgpack bytes of a collection's shape, versions and documents (under its lock)."""
    body = {
        "format": FORMAT,
        "settings": shape,
        "version": versions.collection,
        "partition_versions": versions.partitions,
        "documents": list(documents),
    }
    return _wire.encode(body)


@dataclass(frozen=True)
class LoadedSnapshot:
    """What ``dump`` wrote: the collection's name and options, its versions and documents."""

    name: str
    options: dict[str, Any]
    version: int
    partition_versions: dict[str, int]
    documents: list[dict[str, Any]]

    def restore_versions(self, versions: Versions) -> None:
        """Set ``versions`` to the ones the snapshot recorded."""
        versions.collection = self.version
        versions.partitions = dict(self.partition_versions)


def load(data: bytes) -> LoadedSnapshot:
    """Decode ``dump`` bytes; ``ValidationError`` for damaged or foreign bytes."""
    try:
        body = _wire.decode(data)
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ValueError(f"not a collection snapshot of format {FORMAT}")
        shape = body["settings"]
        options = {
            "fields": {f: FIELD_TYPES[k] for f, k in shape["fields"].items()},
            "id_field": shape["id_field"],
            "indexes": [_SPECS[kind](field) for kind, field in shape["indexes"]],
            "partition_by": shape["partition_by"],
            "max_page_size": shape["max_page_size"],
        }
        return LoadedSnapshot(
            name=shape["name"],
            options=options,
            version=int(body["version"]),
            partition_versions={str(k): int(v) for k, v in body["partition_versions"].items()},
            documents=list(body["documents"]),
        )
    except (msgspec.DecodeError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(
            f"Cannot load a collection snapshot: {exc}.", field="snapshot"
        ) from exc
