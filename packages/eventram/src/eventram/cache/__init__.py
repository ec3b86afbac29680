"""Query cache: L1 in process, L2 in Redis, entries invalidated exactly by read-model versions.

Build a :class:`TieredCache` from an :class:`LRUCache` and (optionally) a :class:`RedisCache`,
then put a :class:`QueryCacheMiddleware` with one :class:`CachePolicy` per cached query type in
the ``QueryBus`` middleware list. ``RedisCache`` needs the ``[redis]`` extra and is imported on
first use, so the rest works without it.
"""

from typing import TYPE_CHECKING, Any

from eventram.cache._key import TenantOf, context_tenant, query_key
from eventram.cache._memory import LRUCache
from eventram.cache._middleware import (
    CachePolicy,
    QueryCacheMiddleware,
    QueryCacheStats,
    VersionSource,
)
from eventram.cache._port import DEFAULT_TTL, Cache, CacheStats
from eventram.cache._tiered import TieredCache, TieredStats

if TYPE_CHECKING:
    from eventram.cache._redis import RedisCache

__all__ = [
    "DEFAULT_TTL",
    "Cache",
    "CachePolicy",
    "CacheStats",
    "LRUCache",
    "QueryCacheMiddleware",
    "QueryCacheStats",
    "RedisCache",
    "TenantOf",
    "TieredCache",
    "TieredStats",
    "VersionSource",
    "context_tenant",
    "query_key",
]


def __getattr__(name: str) -> Any:
    if name != "RedisCache":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from eventram.cache._redis import RedisCache

    return RedisCache


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
