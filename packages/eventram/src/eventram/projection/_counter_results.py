"""What the counters take (facts) and give back (totals, breakdowns, trends)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import msgspec

__all__ = ["Breakdown", "Fact", "Totals", "Trend"]


class Fact(msgspec.Struct, frozen=True):
    """What one entity contributes: when it counts, its dimension values and its amounts."""

    at: datetime
    dimensions: Mapping[str, str]
    amounts: Mapping[str, Decimal] = msgspec.field(default_factory=dict)

    def replace(
        self,
        *,
        at: datetime | None = None,
        amounts: Mapping[str, Decimal] | None = None,
        **dimensions: str,
    ) -> Fact:
        """A copy with some dimensions (keyword arguments), the time or the amounts changed."""
        return Fact(
            self.at if at is None else at,
            {**self.dimensions, **dimensions} if dimensions else self.dimensions,
            self.amounts if amounts is None else amounts,
        )


class Totals(msgspec.Struct, frozen=True):
    """A count and the sum of each amount field."""

    count: int = 0
    sums: dict[str, Decimal] = msgspec.field(default_factory=dict)


class Breakdown(msgspec.Struct, frozen=True):
    """Totals over ``[since, until)`` (whole hours), overall and by each requested field."""

    since: datetime
    until: datetime
    total: Totals
    by: dict[str, dict[str, Totals]]


class Trend(msgspec.Struct, frozen=True):
    """Totals per ``interval`` bucket (labels as in ``eventram.store.counters.bucket_key``)."""

    since: datetime
    until: datetime
    interval: str
    buckets: dict[str, Totals]
