"""The options of the ``billing`` command line that take one of a fixed set of values.

Each is a ``StrEnum``, so ``--help`` lists its choices and a wrong value is a one-line error
that names them; the values are the strings ``Settings`` and the queries take.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from billing.application.read_models import EVENT_COUNTERS, PAYMENTS

__all__ = ["Fsync", "Interval", "LogLevel", "Projections", "ReadModel"]


class Fsync(StrEnum):
    """When an append reaches the disk: on every commit, every interval, or when the OS likes."""

    ALWAYS = "always"
    INTERVAL = "interval"
    NEVER = "never"


class Projections(StrEnum):
    """How read models follow the log: inline (read-your-writes) or async (background)."""

    INLINE = "inline"
    ASYNC = "async"


class ReadModel(StrEnum):
    """A read model the service registers, by the name of the projection that feeds it."""

    PAYMENTS = PAYMENTS
    EVENT_COUNTERS = EVENT_COUNTERS


class Interval(StrEnum):
    """The width of a trend's buckets."""

    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class LogLevel(StrEnum):
    """The least severe log record the server writes."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def number(self) -> int:
        """The ``logging`` module's number for this level."""
        return logging.getLevelNamesMapping()[self.value.upper()]
