"""The contract every cache backend passes; subclasses supply the ``cache`` fixture.

A backend stores bytes under string keys with a time to live; a miss is None, never an error.
"""

from __future__ import annotations

import threading
import time

import pytest

from eventram.cache import Cache

SHORT_TTL = 0.05


class CacheContract:
    """Behaviour shared by the L1 (in process), L2 (Redis) and tiered caches."""

    @pytest.fixture
    def cache(self) -> Cache:
        """An empty cache of the backend under test."""
        raise NotImplementedError

    def test_an_unknown_key_is_a_miss(self, cache: Cache) -> None:
        assert cache.get("never-set") is None

    def test_a_stored_value_is_returned(self, cache: Cache) -> None:
        cache.set("k", b"value")

        assert cache.get("k") == b"value"

    def test_setting_again_replaces_the_value(self, cache: Cache) -> None:
        cache.set("k", b"first")
        cache.set("k", b"second")

        assert cache.get("k") == b"second"

    def test_keys_are_independent(self, cache: Cache) -> None:
        cache.set("a", b"1")
        cache.set("b", b"2")

        assert (cache.get("a"), cache.get("b")) == (b"1", b"2")

    def test_any_bytes_survive_including_empty_and_large(self, cache: Cache) -> None:
        every_byte = bytes(range(256)) * 3
        large = b"\x00\xff" * 512 * 1024
        cache.set("bytes", every_byte)
        cache.set("empty", b"")
        cache.set("large", large)

        assert cache.get("bytes") == every_byte
        assert cache.get("empty") == b""
        assert cache.get("large") == large

    def test_keys_may_hold_separators_spaces_and_unicode(self, cache: Cache) -> None:
        key = "q:billing.application.queries.SearchPayments:org 1:é*?[x]"
        cache.set(key, b"v")

        assert cache.get(key) == b"v"
        assert cache.get("q:billing.application.queries.SearchPayments:org 1:") is None

    def test_a_deleted_key_is_a_miss(self, cache: Cache) -> None:
        cache.set("k", b"v")

        cache.delete("k")

        assert cache.get("k") is None

    def test_deleting_an_unknown_key_is_not_an_error(self, cache: Cache) -> None:
        cache.delete("never-set")

        assert cache.get("never-set") is None

    def test_an_entry_expires_after_its_ttl(self, cache: Cache) -> None:
        cache.set("short", b"v", ttl=SHORT_TTL)
        cache.set("long", b"v", ttl=60)

        time.sleep(SHORT_TTL * 3)

        assert cache.get("short") is None
        assert cache.get("long") == b"v"

    def test_a_ttl_of_zero_or_less_stores_nothing(self, cache: Cache) -> None:
        cache.set("k", b"old")

        cache.set("k", b"new", ttl=0)

        assert cache.get("k") is None

    def test_an_entry_without_ttl_lives_for_the_default(self, cache: Cache) -> None:
        cache.set("k", b"v")

        time.sleep(SHORT_TTL * 3)

        assert cache.get("k") == b"v"

    def test_clear_forgets_every_key(self, cache: Cache) -> None:
        for i in range(25):
            cache.set(f"k{i}", b"v")

        cache.clear()

        assert all(cache.get(f"k{i}") is None for i in range(25))

    def test_concurrent_writers_and_readers_never_see_a_foreign_value(self, cache: Cache) -> None:
        errors: list[str] = []

        def work(worker: int) -> None:
            for i in range(100):
                key = f"w{worker}-{i % 10}"
                value = f"{worker}:{i}".encode()
                cache.set(key, value)
                got = cache.get(key)
                if got is not None and not got.startswith(f"{worker}:".encode()):
                    errors.append(f"{key} -> {got!r}")

        threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert errors == []
        assert cache.get("w3-9") == b"3:99"
