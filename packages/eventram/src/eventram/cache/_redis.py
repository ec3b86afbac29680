"""L2: a Redis cache shared between processes; an outage degrades to a miss, never an error."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from eventram.cache._port import DEFAULT_TTL, CacheStats
from eventram.errors import ValidationError

__all__ = ["RedisCache"]

T = TypeVar("T")

_log = logging.getLogger("eventram.cache")


class RedisCache:
    """Bytes in Redis under ``prefix + key``, with ``PX`` expiry.

    When Redis fails (refused, timed out, any ``RedisError``) the call answers as a miss (or
    does nothing), one warning is logged for the outage, and Redis is left alone for
    ``retry_after`` seconds before the next try; the first success logs its return. The
    connection is made lazily on first use, never at construction.
    """

    def __init__(
        self,
        client: redis.Redis[bytes] | None = None,
        *,
        url: str = "redis://127.0.0.1:6379/0",
        prefix: str = "eventram:cache:",
        default_ttl: float = DEFAULT_TTL,
        retry_after: float = 5.0,
        socket_timeout: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if default_ttl <= 0:
            raise ValidationError(f"default_ttl={default_ttl!r} must be > 0.", field="ttl")
        self._client = client or redis.Redis.from_url(
            url,
            socket_timeout=socket_timeout,
            socket_connect_timeout=socket_timeout,
            retry=Retry(NoBackoff(), 0),
        )
        self._where = url if client is None else repr(client)
        self._prefix = prefix
        self._ttl = default_ttl
        self._retry_after = retry_after
        self._clock = clock
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()
        self._hits = self._misses = self._sets = self._deletes = self._errors = 0

    @property
    def available(self) -> bool:
        """False from a failure until the next successful call."""
        return self._down_since is None

    def get(self, key: str) -> bytes | None:
        """The value under ``key``, or None when absent, expired, or Redis is down."""
        value = self._call(lambda: self._client.get(self._prefix + key), None)
        with self._lock:
            if value is None:
                self._misses += 1
                return None
            self._hits += 1
        return bytes(value)

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds (skipped while Redis is down)."""
        ttl = self._ttl if ttl is None else ttl
        if ttl <= 0:
            self.delete(key)
            return
        with self._lock:
            self._sets += 1
        millis = max(1, int(ttl * 1000))
        self._call(lambda: self._client.set(self._prefix + key, value, px=millis), None)

    def delete(self, key: str) -> None:
        """Forget ``key`` (skipped while Redis is down; the entry then expires by its TTL)."""
        with self._lock:
            self._deletes += 1
        self._call(lambda: self._client.delete(self._prefix + key), None)

    def clear(self) -> None:
        """Delete every key under this cache's prefix."""
        pattern = re.sub(r"([*?\[\]\\])", r"\\\1", self._prefix) + "*"

        def scan_and_delete() -> None:
            batch: list[bytes] = []
            for name in self._client.scan_iter(match=pattern, count=1000):
                batch.append(name)
                if len(batch) >= 1000:
                    self._client.delete(*batch)
                    batch.clear()
            if batch:
                self._client.delete(*batch)

        self._call(scan_and_delete, None)

    def stats(self) -> CacheStats:
        """Hits, misses, sets, deletes, and errors absorbed."""
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            sets=self._sets,
            deletes=self._deletes,
            errors=self._errors,
        )

    def close(self) -> None:
        """Close the connections of the client."""
        self._client.close()

    def _call(self, operation: Callable[[], T], default: T) -> T:
        if self._down_since is not None and self._clock() < self._retry_at:
            return default
        try:
            result = operation()
        except redis.RedisError as exc:
            self._failed(exc)
            return default
        if self._down_since is not None:
            self._recovered()
        return result

    def _failed(self, exc: redis.RedisError) -> None:
        now = self._clock()
        with self._lock:
            self._errors += 1
            self._retry_at = now + self._retry_after
            if self._down_since is not None:
                return
            self._down_since = now
        _log.warning(
            "Redis cache at %s is unavailable (%s: %s); serving from the in-process cache only, "
            "next try in %g s",
            self._where,
            type(exc).__name__,
            exc,
            self._retry_after,
        )

    def _recovered(self) -> None:
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            _log.warning(
                "Redis cache at %s is back after %.1f s", self._where, self._clock() - since
            )
