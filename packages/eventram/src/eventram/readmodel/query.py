"""The query language: conditions combined with AND, sort keys, and a search (filter + page).

Build filters with the helpers and ``&``::

    where = eq("organization_id", "org-1") & is_in("status", ["processed", "refunded"])
    where &= gte("amount", Decimal("10")) & lt("amount", Decimal("500"))
    page = payments.search(Search(filter=where, sort=(desc("created_at"),), size=20))

Values are compared with the field's declared type: a Decimal field accepts Decimal or int, a
datetime field only timezone-aware datetimes. ``eq``/``is_in`` accept None (a missing field is
None); ranges never match None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import msgspec

from eventram.errors import QueryError

__all__ = [
    "Condition",
    "Filter",
    "Op",
    "Search",
    "SortKey",
    "asc",
    "contains",
    "desc",
    "eq",
    "gt",
    "gte",
    "is_in",
    "lt",
    "lte",
    "prefix",
]

Op = Literal["eq", "in", "gt", "gte", "lt", "lte", "prefix", "contains"]
OPS: tuple[str, ...] = ("eq", "in", "gt", "gte", "lt", "lte", "prefix", "contains")


class Condition(msgspec.Struct, frozen=True, array_like=True):
    """One test on one field: ``field <op> value``."""

    field: str
    op: Op
    value: Any


class Filter(msgspec.Struct, frozen=True):
    """Conditions that a document must all satisfy; the empty filter matches everything."""

    conditions: tuple[Condition, ...] = ()

    def __and__(self, other: Filter) -> Filter:
        merged = self.conditions + other.conditions
        return Filter(tuple(sorted(merged, key=lambda c: (c.field, c.op))))

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any]) -> Filter:
        """The seeds' array form: a scalar is eq, a list/tuple/set is IN, a dict maps ops.

        ``{"organization_id": "org-1", "status": ["a", "b"], "amount": {"gte": 10}}``
        """
        conditions: list[Condition] = []
        for field, value in spec.items():
            if isinstance(value, Mapping):
                for op, operand in value.items():
                    if op not in OPS:
                        raise QueryError(
                            f"Unknown operator {op!r} for field {field!r}: use one of "
                            f"{', '.join(OPS)}.",
                            field=field,
                        )
                    conditions.append(_condition(field, op, operand))
            elif isinstance(value, (list, tuple, set, frozenset)):
                conditions.append(_condition(field, "in", value))
            else:
                conditions.append(Condition(field, "eq", value))
        return cls(tuple(sorted(conditions, key=lambda c: (c.field, c.op))))


class SortKey(msgspec.Struct, frozen=True, array_like=True):
    """Sort by ``field``, ascending unless ``descending``; None sorts after every value."""

    field: str
    descending: bool = False


class Search(msgspec.Struct, frozen=True, kw_only=True):
    """A filter, a sort and a page: by number (``page``, 1-based) or after an opaque ``cursor``.

    Without a sort the order is by id. Ties are broken by id, in the direction of the last
    sort key. A cursor comes from a previous page's ``next_cursor`` for the same sort.
    """

    filter: Filter = Filter()
    sort: tuple[SortKey, ...] = ()
    page: int = 1
    size: int = 20
    cursor: str | None = None


def _condition(field: str, op: str, value: Any) -> Condition:
    if op == "in":
        return is_in(field, value).conditions[0]
    return Condition(field, op, value)  # type: ignore[arg-type]


def _one(field: str, op: Op, value: Any) -> Filter:
    return Filter((Condition(field, op, value),))


def eq(field: str, value: Any) -> Filter:
    """``field == value`` (None matches a missing or None field)."""
    return _one(field, "eq", value)


def is_in(field: str, values: Iterable[Any]) -> Filter:
    """``field`` is one of ``values`` (an empty list matches nothing)."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise QueryError(
            f"IN on field {field!r} needs a list of values, not {values!r}.", field=field
        )
    return _one(field, "in", tuple(dict.fromkeys(values)))


def gt(field: str, value: Any) -> Filter:
    """``field > value``."""
    return _one(field, "gt", value)


def gte(field: str, value: Any) -> Filter:
    """``field >= value``."""
    return _one(field, "gte", value)


def lt(field: str, value: Any) -> Filter:
    """``field < value``."""
    return _one(field, "lt", value)


def lte(field: str, value: Any) -> Filter:
    """``field <= value``."""
    return _one(field, "lte", value)


def prefix(field: str, text: str) -> Filter:
    """Every word of ``text`` starts a word of ``field`` (case- and accent-insensitive)."""
    return _one(field, "prefix", text)


def contains(field: str, text: str) -> Filter:
    """``field`` contains ``text`` (case- and accent-insensitive substring)."""
    return _one(field, "contains", text)


def asc(field: str) -> SortKey:
    """Sort ascending by ``field``."""
    return SortKey(field)


def desc(field: str) -> SortKey:
    """Sort descending by ``field``."""
    return SortKey(field, descending=True)
