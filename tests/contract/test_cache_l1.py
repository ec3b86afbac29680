"""The L1 in-process cache passes the cache contract."""

from __future__ import annotations

import pytest

from eventram.cache import Cache, LRUCache
from tests.contract.cache_contract import CacheContract


class TestLRUCache(CacheContract):
    @pytest.fixture
    def cache(self) -> Cache:
        return LRUCache(max_entries=1000, max_bytes=8 * 1024 * 1024)
