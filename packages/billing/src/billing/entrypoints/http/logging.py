"""Structured logs: one access line per request (request id, tenant, status, duration), as JSON."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final

__all__ = ["ACCESS_LOGGER", "JsonFormatter", "configure_logging", "log_access"]

ACCESS_LOGGER: Final = logging.getLogger("billing.http.access")
_STANDARD: Final = frozenset(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and every ``extra`` field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat().replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: int = logging.INFO) -> None:
    """Send billing's and eventram's logs to stderr as JSON lines (used by ``billing serve``)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("billing", "eventram"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def log_access(
    *,
    request_id: str,
    tenant: str | None,
    method: str,
    path: str,
    status: int,
    duration_ms: float,
) -> None:
    """Log one answered request."""
    if not ACCESS_LOGGER.isEnabledFor(logging.INFO):
        return
    ACCESS_LOGGER.info(
        "%s %s %d %.2fms",
        method,
        path,
        status,
        duration_ms,
        extra={
            "request_id": request_id,
            "tenant": tenant,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(duration_ms, 3),
        },
    )
