"""L1: an in-process LRU cache bounded by entries and bytes, with per-entry expiry."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from eventram.cache._port import DEFAULT_TTL, CacheStats
from eventram.errors import ValidationError

__all__ = ["LRUCache"]


class LRUCache:
    """Thread-safe LRU of bytes: at most ``max_entries`` entries and ``max_bytes`` of values.

    The least recently used entries are evicted first; an expired entry reads as a miss and
    is dropped when met. ``clock`` (monotonic seconds) is injectable for tests.
    """

    def __init__(
        self,
        max_entries: int = 10_000,
        max_bytes: int = 64 * 1024 * 1024,
        default_ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1 or max_bytes < 1:
            raise ValidationError("max_entries and max_bytes must be >= 1.", field="max_entries")
        if default_ttl <= 0:
            raise ValidationError(f"default_ttl={default_ttl!r} must be > 0.", field="ttl")
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._ttl = default_ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._hits = self._misses = self._sets = self._deletes = self._evictions = 0

    def get(self, key: str) -> bytes | None:
        """The value under ``key``, or None when absent or expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self._misses += 1
                return None
            value, expires = entry
            if expires <= self._clock():
                self._drop(key)
                self._misses += 1
                return None
            self._entries.move_to_end(key)
            self._hits += 1
            return value

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store ``value`` for ``ttl`` seconds, evicting least recently used entries if needed."""
        ttl = self._ttl if ttl is None else ttl
        if ttl <= 0:
            self.delete(key)
            return
        with self._lock:
            self._sets += 1
            if key in self._entries:
                self._drop(key)
            if len(value) > self._max_bytes:
                return  # larger than the whole cache: keeping it would evict everything
            self._entries[key] = (value, self._clock() + ttl)
            self._bytes += len(value)
            while len(self._entries) > self._max_entries or self._bytes > self._max_bytes:
                oldest = next(iter(self._entries))
                self._drop(oldest)
                self._evictions += 1

    def delete(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._deletes += 1
            if key in self._entries:
                self._drop(key)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> CacheStats:
        """Hits, misses, sets, deletes and evictions so far."""
        return CacheStats(
            hits=self._hits,
            misses=self._misses,
            sets=self._sets,
            deletes=self._deletes,
            evictions=self._evictions,
        )

    @property
    def size_bytes(self) -> int:
        """Bytes of values held."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def _drop(self, key: str) -> None:
        value, _ = self._entries.pop(key)
        self._bytes -= len(value)
