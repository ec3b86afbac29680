"""L1 in front of L2: reads try the process first, writes go to both."""

from __future__ import annotations

import threading

import msgspec

from eventram.cache._port import Cache, CacheStats

__all__ = ["TieredCache", "TieredStats"]


class TieredStats(msgspec.Struct, frozen=True, kw_only=True):
    """Where reads were answered: L1, L2, or nowhere."""

    l1_hits: int
    l2_hits: int
    misses: int


class TieredCache:
    """An L1 cache in front of an optional L2 (same keys); an L2 hit is copied into L1.

    ``l1_ttl`` bounds how long a copy pulled from L2 stays in L1 (the L1's default when None).
    """

    def __init__(self, l1: Cache, l2: Cache | None = None, *, l1_ttl: float | None = None) -> None:
        self.l1 = l1
        self.l2 = l2
        self._l1_ttl = l1_ttl
        self._l1_hits = self._l2_hits = self._misses = 0
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        """From L1, else from L2 (then kept in L1), else None."""
        value = self.l1.get(key)
        if value is not None:
            with self._lock:
                self._l1_hits += 1
            return value
        if self.l2 is not None:
            value = self.l2.get(key)
            if value is not None:
                with self._lock:
                    self._l2_hits += 1
                self.l1.set(key, value, self._l1_ttl)
                return value
        with self._lock:
            self._misses += 1
        return None

    def set(self, key: str, value: bytes, ttl: float | None = None) -> None:
        """Store in both levels."""
        self.l1.set(
            key, value, ttl if self._l1_ttl is None or ttl is None else min(ttl, self._l1_ttl)
        )
        if self.l2 is not None:
            self.l2.set(key, value, ttl)

    def delete(self, key: str) -> None:
        """Forget in both levels."""
        self.l1.delete(key)
        if self.l2 is not None:
            self.l2.delete(key)

    def clear(self) -> None:
        """Forget everything in both levels (L2: this cache's namespace only)."""
        self.l1.clear()
        if self.l2 is not None:
            self.l2.clear()

    def stats(self) -> CacheStats:
        """Hits (either level) and misses, as for a single cache."""
        return CacheStats(hits=self._l1_hits + self._l2_hits, misses=self._misses)

    def levels(self) -> TieredStats:
        """Hits per level, and misses."""
        return TieredStats(l1_hits=self._l1_hits, l2_hits=self._l2_hits, misses=self._misses)
