"""Idempotent commands: a command retried with the same key gets the first outcome again.

The one idempotency mechanism of the engine. :class:`IdempotencyMiddleware` keys outcomes by
(scope, key), where the key is the command's ``idempotency_key`` and the scope is what the
application says a key belongs to (a tenant, say), so that two scopes may use the same key.
Outcomes live in an :class:`IdempotencyStore`: :class:`InMemoryIdempotencyStore` bounds them
per scope and in all, so that one scope cannot evict another's keys by sending many.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

import msgspec

from eventram.bus._pipeline import Next
from eventram.errors import (
    DomainError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ValidationError,
)
from eventram.messages import Command

__all__ = [
    "IdempotencyMiddleware",
    "IdempotencyRecord",
    "IdempotencyStore",
    "InMemoryIdempotencyStore",
    "ReplayWatch",
    "watch_replays",
]

ScopeOf = Callable[[Command], str]


class IdempotencyRecord(msgspec.Struct, frozen=True):
    """The outcome of the first command with a key: its result, or the error it was refused with.

    ``fingerprint`` identifies the command (its type and fields, without its own ids), so the
    same key sent with another command is recognised.
    """

    fingerprint: bytes
    result: Any = None
    error: BaseException | None = None


class IdempotencyStore(Protocol):
    """Where outcomes of idempotent commands are kept, by (scope, key)."""

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The outcome recorded for a key of a scope, or None."""
        ...

    def put(self, scope: str, key: str, record: IdempotencyRecord) -> None:
        """Record an outcome; the store may forget older keys to stay within its bounds."""
        ...


class InMemoryIdempotencyStore:
    """Outcomes in memory: at most ``max_per_scope`` keys per scope and ``max_entries`` in all.

    The least recently used key is forgotten first: the scope's own when the scope is full,
    any scope's when the store is full.
    """

    def __init__(self, max_entries: int = 100_000, max_per_scope: int | None = None) -> None:
        per_scope = max_entries if max_per_scope is None else max_per_scope
        if max_entries < 1 or per_scope < 1:
            raise ValidationError("idempotency bounds must be >= 1", field="max_entries")
        self._max = max_entries
        self._max_per_scope = per_scope
        self._records: OrderedDict[tuple[str, str], IdempotencyRecord] = OrderedDict()
        self._scopes: dict[str, OrderedDict[str, None]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._records)

    def get(self, scope: str, key: str) -> IdempotencyRecord | None:
        """The outcome recorded for a key of a scope (now the most recently used), or None."""
        with self._lock:
            record = self._records.get((scope, key))
            if record is not None:
                self._records.move_to_end((scope, key))
                self._scopes[scope].move_to_end(key)
            return record

    def put(self, scope: str, key: str, record: IdempotencyRecord) -> None:
        """Record an outcome, forgetting the least recently used keys beyond the bounds."""
        with self._lock:
            self._records[(scope, key)] = record
            self._records.move_to_end((scope, key))
            keys = self._scopes.setdefault(scope, OrderedDict())
            keys[key] = None
            keys.move_to_end(key)
            while len(keys) > self._max_per_scope:
                self._forget(scope, next(iter(keys)))
            while len(self._records) > self._max:
                self._forget(*next(iter(self._records)))

    def _forget(self, scope: str, key: str) -> None:
        del self._records[(scope, key)]
        keys = self._scopes[scope]
        del keys[key]
        if not keys:
            del self._scopes[scope]


class ReplayWatch:
    """Whether a command handled inside :func:`watch_replays` got a recorded outcome again."""

    def __init__(self) -> None:
        self.replayed = False


_watch: ContextVar[ReplayWatch | None] = ContextVar("eventram_replay_watch", default=None)


@contextmanager
def watch_replays() -> Iterator[ReplayWatch]:
    """Tell whether the commands handled in the block were answered by a replay.

    An entry point uses it to say so to its client (HTTP: ``Idempotent-Replayed: true``).
    """
    watch = ReplayWatch()
    token = _watch.set(watch)
    try:
        yield watch
    finally:
        _watch.reset(token)


def no_scope(command: Command) -> str:
    """Every key in one scope."""
    return ""


class _Running:
    """A first command with its key still being handled; duplicates wait for it."""

    def __init__(self, fingerprint: bytes) -> None:
        self.fingerprint = fingerprint
        self.done = threading.Event()


_fingersentencoder = msgspec.msgpack.Encoder(order="deterministic")


def fingerprint(command: Command) -> bytes:
    """The command's type and fields, without the ids that differ from one retry to the next."""
    fields = msgspec.structs.asdict(command)
    fields.pop("command_id", None)
    fields.pop("correlation_id", None)
    return type(command).__qualname__.encode() + b":" + _fingersentencoder.encode(fields)


class IdempotencyMiddleware:
    """Commands with the same ``idempotency_key`` in a scope get the same outcome; the handler
    runs once.

    ``scope`` says which scope a command's key belongs to (by default, one scope for all).
    The first command's result, or the error of a ``decisions`` class it was refused with (a
    domain rule, invalid input, something not found), is recorded in ``store`` and replayed to
    every later command with that key; a concurrent duplicate waits for the first to finish.
    Any other error (a conflict that outlived its retries, a store refusing writes, a bug) is
    not recorded: the next retry with that key runs the handler again. The same key with a
    different command raises ``IdempotencyKeyReusedError``.
    """

    def __init__(
        self,
        store: IdempotencyStore | None = None,
        *,
        scope: ScopeOf = no_scope,
        decisions: tuple[type[Exception], ...] = (DomainError, ValidationError, NotFoundError),
    ) -> None:
        self._store: IdempotencyStore = store if store is not None else InMemoryIdempotencyStore()
        self._scope = scope
        self._decisions = decisions
        self._running: dict[tuple[str, str], _Running] = {}
        self._lock = threading.Lock()

    def __call__(self, command: Command, next: Next[Command]) -> Any:
        key = command.idempotency_key
        if key is None:
            return next(command)
        scope = self._scope(command)
        sent = fingerprint(command)
        while True:
            with self._lock:
                record = self._store.get(scope, key)
                running = self._running.get((scope, key))
                if record is None and running is None:
                    mine = self._running[(scope, key)] = _Running(sent)
                    break
            if record is not None:
                return _replay(record, sent, key)
            if running is not None:
                _check_same(running.fingerprint, sent, key)
                running.done.wait()  # then read the record it left, or run if it left none
        try:
            return self._run_first(command, next, scope, key, sent)
        finally:
            with self._lock:
                del self._running[(scope, key)]
            mine.done.set()

    def _run_first(
        self, command: Command, next: Next[Command], scope: str, key: str, sent: bytes
    ) -> Any:
        try:
            result = next(command)
        except self._decisions as exc:
            self._store.put(scope, key, IdempotencyRecord(sent, error=exc))
            raise
        self._store.put(scope, key, IdempotencyRecord(sent, result=result))
        return result


def _check_same(recorded: bytes, sent: bytes, key: str) -> None:
    if recorded != sent:
        raise IdempotencyKeyReusedError(key)


def _replay(record: IdempotencyRecord, sent: bytes, key: str) -> Any:
    _check_same(record.fingerprint, sent, key)
    watch = _watch.get()
    if watch is not None:
        watch.replayed = True
    if record.error is not None:
        # without its old traceback: each replay would otherwise lengthen it, without bound
        raise record.error.with_traceback(None)
    return record.result
