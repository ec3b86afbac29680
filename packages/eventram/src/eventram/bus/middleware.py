"""Built-in command middleware: logging, retry on conflict, idempotency, correlation."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import msgspec

from eventram.bus._pipeline import Next
from eventram.context import current_context, message_context
from eventram.errors import ConcurrencyError, JournalError, StoreClosedError, ValidationError
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
    between them (full jitter), so writers that collided do not collide again in step.
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
        for attempt in range(self._attempts):
            try:
                return next(command)
            except ConcurrencyError:
                if attempt + 1 == self._attempts:
                    raise
                self.retries += 1
                self._sleep(random.uniform(0, self._base * (2**attempt)))
        raise AssertionError("unreachable")  # pragma: no cover


class _Outcome(msgspec.Struct):
    fingerprint: bytes
    result: Any = None
    error: BaseException | None = None
    done: threading.Event = msgspec.field(default_factory=threading.Event)


_fingerprint_encoder = msgspec.msgpack.Encoder(order="deterministic")


class IdempotencyMiddleware:
    """Commands with the same ``idempotency_key`` get the same outcome; the handler runs once.

    The outcome (result or error) of the first command is replayed to every later one with
    the same key; a concurrent duplicate waits for the first to finish. The same key with a
    different command raises ``ValidationError``. At most ``max_entries`` keys are remembered
    (least recently used are forgotten). Errors of the ``transient`` classes (a conflict that
    outlived its retries, a store refusing writes, a journal that cannot write) are not
    remembered: the next retry with that key runs the handler again.
    """

    def __init__(
        self,
        max_entries: int = 100_000,
        transient: tuple[type[BaseException], ...] = (
            ConcurrencyError,
            StoreClosedError,
            JournalError,
        ),
    ) -> None:
        self._max = max_entries
        self._transient = transient
        self._outcomes: OrderedDict[str, _Outcome] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, command: Command, next: Next[Command]) -> Any:
        key = command.idempotency_key
        if key is None:
            return next(command)
        fingerprint = _fingerprint(command)
        with self._lock:
            outcome = self._outcomes.get(key)
            first = outcome is None
            if outcome is None:
                outcome = self._outcomes[key] = _Outcome(fingerprint)
                while len(self._outcomes) > self._max:
                    self._outcomes.popitem(last=False)
            else:
                self._outcomes.move_to_end(key)
        if not first:
            if outcome.fingerprint != fingerprint:
                raise ValidationError(
                    f"Idempotency key {key!r} was already used for a different command; "
                    "use a new key for a new request.",
                    field="idempotency_key",
                )
            outcome.done.wait()
            if outcome.error is not None:
                raise outcome.error
            return outcome.result
        try:
            outcome.result = next(command)
        except Exception as exc:
            outcome.error = exc
            if isinstance(exc, self._transient):
                with self._lock:
                    if self._outcomes.get(key) is outcome:
                        del self._outcomes[key]
            raise
        finally:
            outcome.done.set()
        return outcome.result


def _fingerprint(command: Command) -> bytes:
    fields = msgspec.structs.asdict(command)
    fields.pop("command_id", None)
    fields.pop("correlation_id", None)
    return type(command).__qualname__.encode() + b":" + _fingerprint_encoder.encode(fields)


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
