"""Checks a filter against the schema and folds its conditions per field."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from eventram.errors import QueryError
from eventram.readmodel._interval import Interval
from eventram.readmodel._schema import Schema
from eventram.readmodel._text import matches_contains, matches_prefix, normalize, tokenize
from eventram.readmodel.query import OPS, Filter

__all__ = ["Compiled", "FieldTest", "compile_filter"]


class FieldTest:
    """Everything a filter asks of one field, folded: a value set, an interval, text tests."""

    __slots__ = ("contains", "field", "interval", "prefixes", "values")

    def __init__(self, field: str) -> None:
        self.field = field
        self.values: frozenset[Any] | None = None
        self.interval: Interval | None = None
        self.prefixes: list[tuple[str, ...]] = []
        self.contains: list[str] = []

    def matches(self, value: Any) -> bool:
        """Whether a document whose field holds ``value`` passes every test."""
        if self.values is not None and value not in self.values:
            return False
        if self.interval is not None and not self.interval.contains(value):
            return False
        if any(not matches_prefix(value, tokens) for tokens in self.prefixes):
            return False
        return all(matches_contains(value, needle) for needle in self.contains)

    def is_empty(self) -> bool:
        """Whether no value can pass (an empty value set or an empty interval)."""
        if self.values is not None and not self.values:
            return True
        if self.interval is None:
            return False
        if self.interval.is_empty():
            return True
        return self.values is not None and not any(self.interval.contains(v) for v in self.values)


class Compiled:
    """A checked filter: one ``FieldTest`` per constrained field."""

    __slots__ = ("tests",)

    def __init__(self, tests: dict[str, FieldTest]) -> None:
        self.tests = tests

    def is_empty(self) -> bool:
        """Whether the filter can match no document at all."""
        return any(test.is_empty() for test in self.tests.values())

    def matches(self, doc: dict[str, Any]) -> bool:
        """Whether ``doc`` passes every test."""
        return all(test.matches(doc.get(field)) for field, test in self.tests.items())


def compile_filter(schema: Schema, where: Filter) -> Compiled:
    """Fold ``where`` per field; ``QueryError`` for unknown fields, ops or ill-typed values."""
    tests: dict[str, FieldTest] = {}
    for condition in where.conditions:
        field, op, value = condition.field, condition.op, condition.value
        kind = schema.type_of(field)
        test = tests.get(field)
        if test is None:
            test = tests[field] = FieldTest(field)
        if op == "eq" or op == "in":
            values = _values(schema, field, value if op == "in" else (value,))
            test.values = values if test.values is None else test.values & values
        elif op in ("gt", "gte", "lt", "lte"):
            schema.check_value(field, value)
            if test.interval is None:
                test.interval = Interval()
            if op in ("gt", "gte"):
                test.interval.tighten_lo(value, op == "gte")
            else:
                test.interval.tighten_hi(value, op == "lte")
        elif op == "prefix" or op == "contains":
            if kind is not str or not isinstance(value, str):
                raise QueryError(
                    f"Text condition {op!r} needs a str field and a str value; field {field!r} "
                    f"is {kind.__name__} and the value is {value!r}.",
                    field=field,
                )
            if op == "prefix":
                tokens = tuple(tokenize(value))
                if not tokens:
                    raise QueryError(
                        f"Prefix {value!r} on field {field!r} has no letter or digit.",
                        field=field,
                    )
                test.prefixes.append(tokens)
            else:
                needle = normalize(value)
                if not needle:
                    raise QueryError(f"Contains on field {field!r} needs some text.", field=field)
                test.contains.append(needle)
        else:
            raise QueryError(
                f"Unknown operator {op!r} on field {field!r}: use one of {', '.join(OPS)}.",
                field=field,
            )
    return Compiled(tests)


def _values(schema: Schema, field: str, values: Any) -> frozenset[Any]:
    if isinstance(values, (str, bytes)) or not isinstance(values, (tuple, list, set, frozenset)):
        raise QueryError(
            f"IN on field {field!r} needs a list of values, not {values!r}.", field=field
        )
    for value in values:
        schema.check_value(field, value, allow_none=True)
        if not isinstance(value, Hashable):  # pragma: no cover - declared types are hashable
            raise QueryError(f"Value {value!r} for field {field!r} is not hashable.", field=field)
    return frozenset(values)
