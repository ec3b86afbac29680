"""The idempotency cache: scoped keys, bounded size and age, forgotten failures."""

from __future__ import annotations

from billing.entrypoints.http.idempotency import IdempotencyCache


def test_the_first_claim_of_a_key_owns_it_and_later_ones_share_its_entry() -> None:
    cache = IdempotencyCache()

    first, owner = cache.claim(("acme", "k"), b"f1")
    again, second_owner = cache.claim(("acme", "k"), b"f1")

    assert owner
    assert not second_owner
    assert again is first


def test_keys_are_scoped_per_tenant() -> None:
    cache = IdempotencyCache()
    cache.claim(("acme", "k"), b"f1")

    _, owner = cache.claim(("globex", "k"), b"f2")

    assert owner


def test_the_least_recently_used_keys_are_forgotten_beyond_the_bound() -> None:
    cache = IdempotencyCache(max_entries=2)
    cache.claim(("t", "a"), b"1")
    cache.claim(("t", "b"), b"2")
    cache.claim(("t", "a"), b"1")  # a is now the most recent

    cache.claim(("t", "c"), b"3")

    assert len(cache) == 2
    assert not cache.claim(("t", "a"), b"1")[1]
    assert cache.claim(("t", "b"), b"2")[1]


def test_expired_and_failed_entries_are_claimed_afresh() -> None:
    cache = IdempotencyCache(ttl=-1.0)
    cache.claim(("t", "a"), b"1")
    assert cache.claim(("t", "a"), b"1")[1]

    lasting = IdempotencyCache()
    entry, _ = lasting.claim(("t", "b"), b"1")
    lasting.forget(("t", "b"), entry)

    assert lasting.claim(("t", "b"), b"1")[1]
