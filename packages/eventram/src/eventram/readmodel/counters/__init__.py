"""The counter table: counts and Decimal sums by configured dimensions and time buckets.

One engine for every hour-bucket analytics: the application names the dimensions it counts by
(and the amounts it sums), feeds the table facts (through ``eventram.projection``'s
``counters_projection`` or by hand), and asks for totals by dimension, per hour, day, ISO week
or month, and trends, over exact or whole-hour ranges.
"""

from eventram.readmodel.counters._cells import EXACT
from eventram.readmodel.counters._results import Breakdown, Fact, Totals, Trend
from eventram.readmodel.counters.table import UNKNOWN, CounterTable, EdgeReader, Where

__all__ = [
    "EXACT",
    "UNKNOWN",
    "Breakdown",
    "CounterTable",
    "EdgeReader",
    "Fact",
    "Totals",
    "Trend",
    "Where",
]
