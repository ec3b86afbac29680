"""A range of values with optional, inclusive or exclusive, bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["Interval"]


class Interval:
    """``lo < / <= value < / <= hi``; a None bound is open. None values are never inside."""

    __slots__ = ("hi", "hi_inclusive", "lo", "lo_inclusive")

    def __init__(
        self,
        lo: Any = None,
        lo_inclusive: bool = True,
        hi: Any = None,
        hi_inclusive: bool = True,
    ) -> None:
        self.lo = lo
        self.lo_inclusive = lo_inclusive
        self.hi = hi
        self.hi_inclusive = hi_inclusive

    def tighten_lo(self, value: Any, inclusive: bool) -> None:
        """Raise the lower bound to ``value`` when that is tighter."""
        if self.lo is None or value > self.lo or (value == self.lo and not inclusive):
            self.lo, self.lo_inclusive = value, inclusive

    def tighten_hi(self, value: Any, inclusive: bool) -> None:
        """Lower the upper bound to ``value`` when that is tighter."""
        if self.hi is None or value < self.hi or (value == self.hi and not inclusive):
            self.hi, self.hi_inclusive = value, inclusive

    def contains(self, value: Any) -> bool:
        """Whether ``value`` lies inside (None never does)."""
        if value is None:
            return False
        lo, hi = self.lo, self.hi
        if lo is not None and (value < lo or (value == lo and not self.lo_inclusive)):
            return False
        return not (hi is not None and (value > hi or (value == hi and not self.hi_inclusive)))

    def predicate(self) -> Callable[[Any], bool]:
        """``contains`` as one specialised lambda: the per-document check of a scan."""
        lo, hi = self.lo, self.hi
        lo_in, hi_in = self.lo_inclusive, self.hi_inclusive
        if lo is None and hi is None:
            return lambda v: v is not None
        if hi is None:
            if lo_in:
                return lambda v: v is not None and v >= lo
            return lambda v: v is not None and v > lo
        if lo is None:
            if hi_in:
                return lambda v: v is not None and v <= hi
            return lambda v: v is not None and v < hi
        if lo_in and hi_in:
            return lambda v: v is not None and lo <= v <= hi
        if lo_in:
            return lambda v: v is not None and lo <= v < hi
        if hi_in:
            return lambda v: v is not None and lo < v <= hi
        return lambda v: v is not None and lo < v < hi

    def is_empty(self) -> bool:
        """Whether no value can lie inside."""
        lo, hi = self.lo, self.hi
        if lo is None or hi is None:
            return False
        return lo > hi or (lo == hi and not (self.lo_inclusive and self.hi_inclusive))
