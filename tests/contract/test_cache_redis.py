"""The Redis L2 cache, alone and behind an L1, passes the cache contract (real Redis)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from eventram.cache import Cache, LRUCache, RedisCache, TieredCache
from tests.conftest import REDIS_START, require_service
from tests.contract.cache_contract import CacheContract

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache() -> Iterator[RedisCache]:
    require_service("Redis", "127.0.0.1", 6379, REDIS_START)
    prefix = f"eventram-test:{uuid.uuid4().hex}:"
    cache = RedisCache(prefix=prefix)
    yield cache
    client: redis.Redis[bytes] = redis.Redis(host="127.0.0.1", port=6379)
    leftovers = list(client.scan_iter(match=prefix + "*"))
    if leftovers:
        client.delete(*leftovers)
    client.close()
    cache.close()


class TestRedisCache(CacheContract):
    @pytest.fixture
    def cache(self, redis_cache: RedisCache) -> Cache:
        return redis_cache


class TestTieredCache(CacheContract):
    @pytest.fixture
    def cache(self, redis_cache: RedisCache) -> Cache:
        return TieredCache(LRUCache(), redis_cache)
