"""Collection snapshots: settings, documents and versions as msgpack (Decimal, datetime kept)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from eventram.errors import ValidationError
from eventram.readmodel import _wire
from eventram.readmodel._schema import FIELD_TYPES
from eventram.readmodel.indexes import HashIndex, IndexSpec, SortedIndex, TextIndex

if TYPE_CHECKING:
    from eventram.readmodel.collection import Collection

__all__ = ["dump", "load", "settings"]

FORMAT = 1
_SPECS: dict[str, type[IndexSpec]] = {"hash": HashIndex, "sorted": SortedIndex, "text": TextIndex}
_TYPE_NAMES = {kind: name for name, kind in FIELD_TYPES.items()}


def settings(collection: Collection) -> dict[str, Any]:
    """The shape of a collection: what must match for a snapshot to be restored into it."""
    return {
        "name": collection.name,
        "id_field": collection.id_field,
        "fields": {f: _TYPE_NAMES[k] for f, k in collection.schema.fields.items()},
        "indexes": [[spec.kind, spec.field] for spec in collection.indexes],
        "partition_by": collection.partition_by,
        "max_page_size": collection.max_page_size,
    }


def dump(collection: Collection) -> bytes:
    """msgpack bytes of ``collection`` (call with its lock held)."""
    body = {
        "format": FORMAT,
        "settings": settings(collection),
        "version": collection._versions.collection,
        "partition_versions": collection._versions.partitions,
        "documents": list(collection._documents()),
    }
    return _wire.encode(body)


def load(cls: type[Collection], data: bytes) -> Collection:
    """The collection ``dump`` wrote; ``ValidationError`` for damaged or foreign bytes."""
    try:
        body = _wire.decode(data)
        if not isinstance(body, dict) or body.get("format") != FORMAT:
            raise ValueError(f"not a collection snapshot of format {FORMAT}")
        shape = body["settings"]
        collection = cls(
            shape["name"],
            fields={f: FIELD_TYPES[k] for f, k in shape["fields"].items()},
            id_field=shape["id_field"],
            indexes=[_SPECS[kind](field) for kind, field in shape["indexes"]],
            partition_by=shape["partition_by"],
            max_page_size=shape["max_page_size"],
        )
        versions = {str(k): int(v) for k, v in body["partition_versions"].items()}
        version = int(body["version"])
        documents = body["documents"]
    except (msgspec.DecodeError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(
            f"Cannot load a collection snapshot: {exc}.", field="snapshot"
        ) from exc
    collection._load_documents(documents)
    collection._versions.collection = version
    collection._versions.partitions = versions
    return collection
