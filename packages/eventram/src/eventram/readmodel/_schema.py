"""The declared fields of a collection: their types, and the checks that keep indexes sound."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from eventram.errors import QueryError, ValidationError
from eventram.readmodel.indexes import IndexSpec

__all__ = ["FIELD_TYPES", "Schema"]

FIELD_TYPES: dict[str, type] = {
    "str": str,
    "int": int,
    "float": float,
    "Decimal": Decimal,
    "bool": bool,
    "datetime": datetime,
    "date": date,
}
_NUMERIC = (int, float, Decimal)
# types whose exact instances are always acceptable: the fast path of check_document
_PLAIN = frozenset({str, int, bool, date})


def _accepts(kind: type, value: object) -> bool:
    if kind is bool:
        return type(value) is bool
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is Decimal:
        if isinstance(value, Decimal):
            return not value.is_nan()
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        if isinstance(value, float):
            return value == value  # NaN is unordered: it would break sorted indexes
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is datetime:
        return isinstance(value, datetime) and value.tzinfo is not None
    if kind is date:
        return isinstance(value, date) and not isinstance(value, datetime)
    return isinstance(value, kind)


def _expected(kind: type) -> str:
    if kind is datetime:
        return "a timezone-aware datetime"
    if kind is Decimal:
        return "a Decimal (or int)"
    return f"a {kind.__name__}"


class Schema:
    """Field name -> type for the fields a collection can filter, sort and index on."""

    __slots__ = ("_checks", "fields", "id_field", "name")

    def __init__(self, name: str, id_field: str, fields: Mapping[str, type]) -> None:
        for field, kind in fields.items():
            if kind not in FIELD_TYPES.values():
                raise ValidationError(
                    f"Field {field!r} of collection {name!r} has type {kind!r}; "
                    f"use one of {', '.join(FIELD_TYPES)}.",
                    field=field,
                )
        all_fields = dict(fields)
        id_kind = all_fields.setdefault(id_field, str)
        if id_kind not in (str, int):
            raise ValidationError(
                f"The id field {id_field!r} of collection {name!r} must be str or int.",
                field=id_field,
            )
        self.name = name
        self.id_field = id_field
        self.fields: dict[str, type] = all_fields
        self._checks = tuple(all_fields.items())

    def check_settings(self, indexes: Sequence[IndexSpec], partition_by: str | None) -> None:
        """``ValidationError`` for an index or a partition field that the schema cannot back."""
        for spec in indexes:
            kind = self.fields.get(spec.field)
            if kind is None:
                raise ValidationError(
                    f"Index on {spec.field!r}: collection {self.name!r} declares no such field.",
                    field=spec.field,
                )
            if spec.kind == "text" and kind is not str:
                raise ValidationError(
                    f"Text index on {spec.field!r} needs a str field, not {kind.__name__}.",
                    field=spec.field,
                )
        if partition_by is not None and partition_by not in self.fields:
            raise ValidationError(
                f"Partition field {partition_by!r} is not a declared field of {self.name!r}.",
                field=partition_by,
            )

    def type_of(self, field: str) -> type:
        """The declared type of ``field``; a ``QueryError`` naming it when it is not declared."""
        kind = self.fields.get(field)
        if kind is None:
            raise QueryError(
                f"Collection {self.name!r} has no field {field!r}; declared fields: "
                f"{', '.join(sorted(self.fields))}.",
                field=field,
            )
        return kind

    def is_numeric(self, field: str) -> bool:
        """Whether ``field`` holds numbers (int, float or Decimal)."""
        return self.type_of(field) in _NUMERIC

    def check_document(self, doc: Mapping[str, Any]) -> Any:
        """Check the declared fields of ``doc`` and return its id; ``ValidationError`` if not."""
        doc_id = doc.get(self.id_field)
        if doc_id is None:
            raise ValidationError(
                f"A document of collection {self.name!r} has no {self.id_field!r} (its id).",
                field=self.id_field,
            )
        for field, kind in self._checks:
            value = doc.get(field)
            if value is None or (type(value) is kind and kind in _PLAIN):
                continue
            if not _accepts(kind, value):
                raise ValidationError(
                    f"Field {field!r} of document {doc_id!r} in collection {self.name!r} is "
                    f"{value!r}; expected {_expected(kind)} or None.",
                    field=field,
                )
        return doc_id

    def check_value(self, field: str, value: object, *, allow_none: bool = False) -> None:
        """Raise ``QueryError`` when ``value`` cannot be compared with ``field``'s values."""
        kind = self.type_of(field)
        if value is None and allow_none:
            return
        if not _accepts(kind, value):
            raise QueryError(
                f"Value {value!r} for field {field!r} of collection {self.name!r} is not "
                f"{_expected(kind)}.",
                field=field,
            )
