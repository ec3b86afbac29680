"""Query cache: L1 in process, L2 in Redis, entries invalidated exactly by read-model versions.

Build a :class:`TieredCache` from an :class:`LRUCache` and (optionally) a :class:`RedisCache`,
then put a :class:`QueryCacheMiddleware` with one :class:`CachePolicy` per cached query type in
the ``QueryBus`` middleware list.
"""

from eventram.cache._key import TenantOf, context_tenant, query_key
from eventram.cache._memory import LRUCache
from eventram.cache._middleware import (
    CachePolicy,
    QueryCacheMiddleware,
    QueryCacheStats,
    VersionSource,
)
from eventram.cache._port import DEFAULT_TTL, Cache, CacheStats
from eventram.cache._redis import RedisCache
from eventram.cache._tiered import TieredCache, TieredStats

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
