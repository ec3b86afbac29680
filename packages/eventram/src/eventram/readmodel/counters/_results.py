"""What a counter table takes (facts) and gives back (totals, breakdowns, trends)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

import msgspec

__all__ = ["Breakdown", "Fact", "Totals", "Trend"]


class Fact(msgspec.Struct, frozen=True):
    """What one entity or event contributes: when it counts, its dimension values, its amounts."""

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
    """Totals over a range, overall, by each requested dimension and per each time interval.

    ``by`` maps a dimension (or ``"a|b"`` for a pair) to its values' totals; ``per`` maps an
    interval (hour, day, week, month) to its buckets' totals, labelled as
    :func:`~eventram.readmodel.timebuckets.bucket_key` does. Groups and buckets that count
    nothing are left out. ``since``/``until`` are the range answered (None: unbounded).
    """

    since: datetime | None
    until: datetime | None
    total: Totals
    by: dict[str, dict[str, Totals]]
    per: dict[str, dict[str, Totals]] = msgspec.field(default_factory=dict)


class Trend(msgspec.Struct, frozen=True):
    """Totals per ``interval`` bucket, in time order (labels as in ``bucket_key``)."""

    since: datetime | None
    until: datetime | None
    interval: str
    buckets: dict[str, Totals]
