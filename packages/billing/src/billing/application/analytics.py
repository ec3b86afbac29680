"""Payment analytics kept incrementally: counts and per-currency sums by creation hour.

The payments projection calls :meth:`PaymentAnalytics.remove` with a document's old state and
:meth:`PaymentAnalytics.add` with its new one, so the aggregates always equal a sum over the
documents, and a statistics query costs the number of hour buckets in its range (plus the
documents of the two partial hours at its edges), never a scan of every payment.

Amounts are summed per currency, never across currencies, in a decimal context wide enough
that no sum is ever rounded (an inexact sum raises instead).
"""

from __future__ import annotations

import decimal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from sortedcontainers import SortedDict

__all__ = ["EXACT", "AnalyticsRow", "PaymentAnalytics", "PaymentTotals"]

EXACT = decimal.Context(
    prec=120, traps=[decimal.Inexact, decimal.InvalidOperation, decimal.Overflow]
)
"""Decimal context for money sums: 120 digits, and any rounding raises instead of happening."""

HOUR = 3600
_HOUR_US = HOUR * 1_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PROCESSED = frozenset({"completed", "partially_refunded", "refunded"})

Document = Mapping[str, Any]
AnalyticsRow = tuple[str | None, int, str, str, int, Decimal, Decimal, Decimal]
"""One cell as plain data: organization (None: all), hour, status, currency, count, amount,
processed amount, refunded amount."""
Scan = Callable[[str | None, datetime, datetime], Iterable[Document]]
"""``scan(organization_id or None, since, until)``: documents created in ``[since, until]``."""


class _Cell:
    """Count and sums of the payments of one (status, currency) created in one hour."""

    __slots__ = ("amount", "count", "processed", "refunded")

    def __init__(self, zero: Decimal) -> None:
        self.count = 0
        self.amount = zero
        self.processed = zero
        self.refunded = zero

    def copy(self) -> _Cell:
        """An independent copy (cells are mutated in place by writers)."""
        twin = _Cell(self.amount)
        twin.count, twin.processed, twin.refunded = self.count, self.processed, self.refunded
        return twin


class PaymentTotals:
    """Running totals over a set of documents; :meth:`add` one document at a time."""

    def __init__(self) -> None:
        self.total = 0
        self.by_status: Counter[str] = Counter()
        self.by_currency: Counter[str] = Counter()
        self.by_day: Counter[str] = Counter()
        self.amount: dict[str, Decimal] = {}
        self.processed: dict[str, Decimal] = {}
        self.refunded: dict[str, Decimal] = {}

    def add_cell(
        self, day: str, status: str, currency: str, cell: _Cell | None, doc: Document | None
    ) -> None:
        """Count an aggregated cell, or a single document when ``cell`` is None."""
        if cell is not None:
            count, amount, processed, refunded = (
                cell.count,
                cell.amount,
                cell.processed,
                cell.refunded,
            )
        else:
            assert doc is not None
            count, amount, refunded = 1, doc["amount"], doc["refunded_amount"]
            processed = amount if status in _PROCESSED else amount - amount
        self.total += count
        self.by_status[status] += count
        self.by_currency[currency] += count
        self.by_day[day] += count
        _accumulate(self.amount, currency, amount)
        _accumulate(self.processed, currency, processed)
        _accumulate(self.refunded, currency, refunded)

    def net(self) -> dict[str, Decimal]:
        """Processed minus refunded, per currency."""
        return {
            c: EXACT.subtract(p, self.refunded.get(c, p - p)) for c, p in self.processed.items()
        }


def _accumulate(sums: dict[str, Decimal], currency: str, amount: Decimal) -> None:
    current = sums.get(currency)
    sums[currency] = amount if current is None else EXACT.add(current, amount)


def _hour_of(when: datetime) -> int:
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) // HOUR


def _epoch_us(when: datetime) -> int:
    delta = when - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _day_of_hour(hour: int) -> str:
    return datetime.fromtimestamp(hour * HOUR, UTC).strftime("%Y-%m-%d")


class PaymentAnalytics:
    """Per organization (and for all of them), per creation hour, per (status, currency).

    Thread-safe: one writer (the projection) and any number of readers share a short lock.
    """

    def __init__(self) -> None:
        # organization id (None: every organization) -> hour -> (status, currency) -> cell
        self._scopes: dict[str | None, SortedDict] = {}
        self._lock = threading.Lock()

    def add(self, doc: Document) -> None:
        """Count a document's current state."""
        self._update(doc, 1)

    def remove(self, doc: Document) -> None:
        """Stop counting a document's state (before counting its new one)."""
        self._update(doc, -1)

    def move(self, old: Document, new: Document) -> None:
        """Count ``new`` instead of ``old`` (a payment's state before and after an event).

        The new state is added before the old one is removed, so the hour and organization
        they share never empty in between (no bucket is dropped only to be made again).
        """
        with self._lock:
            self._count(new, 1)
            self._count(old, -1)

    def _update(self, doc: Document, sign: int) -> None:
        with self._lock:
            self._count(doc, sign)

    def _count(self, doc: Document, sign: int) -> None:
        hour = _hour_of(doc["created_at"])
        key = (doc["status"], doc["currency"])
        amount: Decimal = doc["amount"]
        refunded: Decimal = doc["refunded_amount"]
        processed = amount if doc["status"] in _PROCESSED else None
        if sign < 0:
            amount, refunded = -amount, -refunded
            processed = -processed if processed is not None else None
        for scope in (doc["organization_id"], None):
            hours = self._scopes.get(scope)
            if hours is None:
                hours = self._scopes[scope] = SortedDict()
            cells: dict[tuple[str, str], _Cell] | None = hours.get(hour)
            if cells is None:
                cells = hours[hour] = {}
            cell = cells.get(key)
            if cell is None:
                cell = cells[key] = _Cell(amount - amount)
            cell.count += sign
            cell.amount = EXACT.add(cell.amount, amount)
            cell.refunded = EXACT.add(cell.refunded, refunded)
            if processed is not None:
                cell.processed = EXACT.add(cell.processed, processed)
            if cell.count == 0:
                del cells[key]
                if not cells:
                    del hours[hour]
                    if not hours:
                        del self._scopes[scope]

    def rows(self) -> list[AnalyticsRow]:
        """Every cell as plain data (for snapshots)."""
        with self._lock:
            return [
                (scope, hour, status, currency, c.count, c.amount, c.processed, c.refunded)
                for scope, hours in self._scopes.items()
                for hour, cells in hours.items()
                for (status, currency), c in cells.items()
            ]

    @classmethod
    def from_rows(cls, rows: Iterable[AnalyticsRow]) -> PaymentAnalytics:
        """Analytics holding the cells :meth:`rows` returned."""
        analytics = cls()
        for scope, hour, status, currency, count, amount, processed, refunded in rows:
            hours = analytics._scopes.get(scope)
            if hours is None:
                hours = analytics._scopes[scope] = SortedDict()
            cell = _Cell(amount)
            cell.count, cell.processed, cell.refunded = count, processed, refunded
            hours.setdefault(hour, {})[(status, currency)] = cell
        return analytics

    def organizations(self) -> list[str]:
        """Every organization with at least one payment."""
        with self._lock:
            return sorted(s for s in self._scopes if s is not None)

    def totals(
        self,
        organization_id: str | None,
        since: datetime | None,
        until: datetime | None,
        scan: Scan,
    ) -> PaymentTotals:
        """Totals of the payments created in ``[since, until]`` (unbounded where None).

        Whole hours come from the aggregates; the documents of the partial hours at each edge
        come from ``scan``.
        """
        totals = PaymentTotals()
        lo = _epoch_us(since) if since is not None else None
        hi = _epoch_us(until) if until is not None else None
        first_full = -(-lo // _HOUR_US) if lo is not None else None
        # an hour [h, h+1) is fully inside when its last microsecond is <= hi
        last_full = (hi + 1) // _HOUR_US - 1 if hi is not None else None
        if first_full is not None and last_full is not None and first_full > last_full:
            assert since is not None
            assert until is not None
            self._scan_into(totals, organization_id, since, until, scan)
            return totals
        if since is not None and first_full is not None:
            edge = datetime.fromtimestamp(first_full * HOUR, UTC)
            if since < edge:
                self._scan_into(
                    totals, organization_id, since, edge - timedelta(microseconds=1), scan
                )
        for hour, cells in self._full_hours(organization_id, first_full, last_full):
            day = _day_of_hour(hour)
            for (status, currency), cell in cells:
                totals.add_cell(day, status, currency, cell, None)
        if until is not None and last_full is not None:
            edge = datetime.fromtimestamp((last_full + 1) * HOUR, UTC)
            if edge <= until:
                self._scan_into(totals, organization_id, edge, until, scan)
        return totals

    def _full_hours(
        self, organization_id: str | None, first: int | None, last: int | None
    ) -> list[tuple[int, list[tuple[tuple[str, str], _Cell]]]]:
        """Copies of the cells of hours ``first..last``, taken under the lock."""
        with self._lock:
            hours = self._scopes.get(organization_id)
            if hours is None:
                return []
            return [
                (hour, [(key, cell.copy()) for key, cell in hours[hour].items()])
                for hour in hours.irange(first, last)
            ]

    @staticmethod
    def _scan_into(
        totals: PaymentTotals,
        organization_id: str | None,
        since: datetime,
        until: datetime,
        scan: Scan,
    ) -> None:
        for doc in scan(organization_id, since, until):
            day = doc["created_at"].astimezone(UTC).strftime("%Y-%m-%d")
            totals.add_cell(day, doc["status"], doc["currency"], None, doc)
