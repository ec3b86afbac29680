"""The cache port: bytes under string keys, each with a time to live."""

from __future__ import annotations

from typing import Protocol

import msgspec

__all__ = ["DEFAULT_TTL", "Cache", "CacheStats"]

DEFAULT_TTL = 300.0
"""Seconds an entry lives when no TTL is given (the seeds' five minutes)."""


class CacheStats(msgspec.Struct, frozen=True, kw_only=True):
    """Counters of one cache since it was built; ``errors`` counts backend failures absorbed."""

    hits: int = 0
    misses: int = 0
    sets: int = 0
    deletes: int = 0
    evictions: int = 0
    errors: int = 0


class Cache(Protocol):
    """A key-value cache of bytes with expiry; a miss is never an error.

    Implementations: ``LRUCache`` (L1, in process), ``RedisCache`` (L2, shared),
    ``TieredCache`` (both). TTLs bound memory; correctness is the caller's (versions).
    """

    def get(self, key: str) -> bytes | None:
        """The value stored under ``key``, or None when absent or expired."""
        ...

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (the cache's default when None)."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error when absent)."""
        ...

    def clear(self) -> None:
        """Forget every key of this cache (only its own namespace for a shared backend)."""
        ...
