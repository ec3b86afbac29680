"""L1 specifics: least recently used eviction by entries and bytes, expiry, counters."""

from __future__ import annotations

import pytest

from eventram import ValidationError
from eventram.cache import CacheStats, LRUCache, TieredCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_least_recently_used_entry_is_evicted_first() -> None:
    cache = LRUCache(max_entries=2)
    cache.set("a", b"1")
    cache.set("b", b"2")
    cache.get("a")

    cache.set("c", b"3")

    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (b"1", None, b"3")
    assert cache.stats().evictions == 1


def test_the_byte_bound_evicts_until_the_values_fit() -> None:
    cache = LRUCache(max_entries=100, max_bytes=10)
    cache.set("a", b"xxxx")
    cache.set("b", b"yyyy")

    cache.set("c", b"zzzz")

    assert cache.get("a") is None
    assert cache.size_bytes == 8
    assert len(cache) == 2


def test_a_value_larger_than_the_whole_cache_is_not_kept() -> None:
    cache = LRUCache(max_bytes=4)
    cache.set("small", b"ab")

    cache.set("huge", b"abcdefgh")

    assert cache.get("huge") is None
    assert cache.get("small") == b"ab"


def test_the_default_ttl_is_five_minutes() -> None:
    clock = Clock()
    cache = LRUCache(clock=clock)
    cache.set("k", b"v")

    clock.now += 299.9
    assert cache.get("k") == b"v"
    clock.now += 0.2
    assert cache.get("k") is None
    assert len(cache) == 0


def test_counters_follow_hits_misses_sets_and_deletes() -> None:
    cache = LRUCache()
    cache.set("k", b"v")
    cache.get("k")
    cache.get("k")
    cache.get("other")
    cache.delete("k")

    assert cache.stats() == CacheStats(hits=2, misses=1, sets=1, deletes=1)


@pytest.mark.parametrize(
    "options", [{"max_entries": 0}, {"max_bytes": 0}, {"default_ttl": 0}, {"default_ttl": -5}]
)
def test_nonsense_bounds_are_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValidationError):
        LRUCache(**options)  # type: ignore[arg-type]


def test_a_tiered_cache_copies_an_l2_hit_into_l1_and_counts_per_level() -> None:
    l1, l2 = LRUCache(), LRUCache()
    tiered = TieredCache(l1, l2)
    l2.set("k", b"from-l2")

    first = tiered.get("k")
    l2.delete("k")
    second = tiered.get("k")
    missing = tiered.get("nothing")

    assert (first, second, missing) == (b"from-l2", b"from-l2", None)
    levels = tiered.levels()
    assert (levels.l1_hits, levels.l2_hits, levels.misses) == (1, 1, 1)
    assert tiered.stats() == CacheStats(hits=2, misses=1)


def test_a_tiered_cache_writes_and_deletes_both_levels() -> None:
    l1, l2 = LRUCache(), LRUCache()
    tiered = TieredCache(l1, l2, l1_ttl=10)

    tiered.set("k", b"v")
    assert (l1.get("k"), l2.get("k")) == (b"v", b"v")

    tiered.delete("k")
    assert (l1.get("k"), l2.get("k")) == (None, None)


def test_a_tiered_cache_without_l2_is_just_its_l1() -> None:
    tiered = TieredCache(LRUCache())
    tiered.set("k", b"v")

    assert tiered.get("k") == b"v"
    tiered.clear()
    assert tiered.get("k") is None
