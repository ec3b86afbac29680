"""Built-in command middleware: logging, retry on conflict, idempotency, correlation.

``IdempotencyMiddleware`` lives in :mod:`eventram.bus.idempotency` with its store.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

from eventram.bus._pipeline import Next
from eventram.bus.idempotency import IdempotencyMiddleware
from eventram.context import current_context, message_context
from eventram.errors import ConcurrencyError, ValidationError
from eventram.messages import Command

__all__ = [
    "CorrelationMiddleware",
    "IdempotencyMiddleware",
    "LoggingMiddleware",
    "RetryOnConflictMiddleware",
]


class LoggingMiddleware:
    """Logs each command: type, ids, duration and outcome, as structured ``extra`` fields.

    Costs one ``isEnabledFor`` check when the level is off.
    """

    def __init__(self, logger: logging.Logger | None = None, level: int = logging.INFO) -> None:
        self._logger = logger or logging.getLogger("eventram.commands")
        self._level = level

    def __call__(self, command: Command, next: Next[Command]) -> Any:
        if not self._logger.isEnabledFor(self._level):
            return next(command)
        started = time.perf_counter()
        fields: dict[str, Any] = {
            "command_type": type(command).__name__,
            "command_id": command.command_id,
            "correlation_id": command.correlation_id,
        }
        try:
            result = next(command)
        except Exception as exc:
            fields["outcome"] = type(exc).__name__
            fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
            self._logger.log(
                self._level, "command %s failed: %s", fields["command_type"], exc, extra=fields
            )
            raise
        fields["outcome"] = "ok"
        fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 3)
        self._logger.log(self._level, "command %s handled", fields["command_type"], extra=fields)
        return result


class RetryOnConflictMiddleware:
    """Runs the rest of the chain again when it raises ``ConcurrencyError``.

    At most ``attempts`` runs in all, sleeping a random time up to ``base_delay * 2**n``
    between them (full jitter), so writers that collided do not collide again in step. A
    command whose ``expected_version`` is set is never run again: its caller pinned the
    version it saw, and a conflict is the answer (a retry would succeed over a version the
    caller never saw).
    """

    def __init__(
        self,
        attempts: int = 5,
        base_delay: float = 0.001,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValidationError("attempts must be >= 1", field="attempts")
        self._attempts = attempts
        self._base = base_delay
        self._sleep = sleep
        self.retries = 0

    def __call__(self, command: Command, next: Next[Command]) -> Any:
        if getattr(command, "expected_version", None) is not None:
            return next(command)
        for attempt in range(self._attempts):
            try:
                return next(command)
            except ConcurrencyError:
                if attempt + 1 == self._attempts:
                    raise
                self.retries += 1
                self._sleep(random.uniform(0, self._base * (2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover


class CorrelationMiddleware:
    """Events recorded while handling a command carry its correlation id and its id as cause.

    A command without a correlation id joins the conversation in progress (a command sent by
    another command's handler), or starts a new one named after its own id.
    """

    def __call__(self, command: Command, next: Next[Command]) -> Any:
        with message_context(
            correlation_id=(
                command.correlation_id or current_context().correlation_id or command.command_id
            ),
            causation_id=command.command_id,
        ):
            return next(command)
