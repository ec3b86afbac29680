"""Query-bus middleware caching results with exact invalidation by read-model versions."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Generic, Protocol, TypeVar

import msgspec

from eventram.bus import Next
from eventram.cache._key import TenantOf, context_tenant, query_key
from eventram.cache._port import Cache
from eventram.errors import EventramError, ValidationError
from eventram.messages import Query

__all__ = ["CachePolicy", "QueryCacheMiddleware", "QueryCacheStats", "VersionSource"]

Q = TypeVar("Q", bound=Query)

_log = logging.getLogger("eventram.cache")
_encoder = msgspec.msgpack.Encoder()


class VersionSource(Protocol):
    """Where a cached entry's versions are checked: the read models' current versions."""

    def current_versions(self, keys: Iterable[str]) -> Mapping[str, int]:
        """The current version of each key."""
        ...


class PositionWaiter(Protocol):
    """Blocks until read models have processed a global position (see eventram.projection)."""

    def wait_for(self, position: int, timeout: float) -> None:
        """Return once ``position`` is processed, or raise."""
        ...


class CachePolicy(Generic[Q]):
    """How one query type is cached.

    ``result_type`` is what the handler returns (a msgspec-encodable type, used to decode hits).
    The versions an answer depends on come from ``versions(query)``, read *before* the
    handler runs (a write during the handler then makes the entry stale, never wrong), or from
    ``result_versions(query, result)`` when the result itself reports the versions it read.
    ``source`` gives the current versions to compare with on a hit.
    """

    def __init__(
        self,
        result_type: Any,
        source: VersionSource,
        *,
        versions: Callable[[Q], Mapping[str, int]] | None = None,
        result_versions: Callable[[Q, Any], Mapping[str, int]] | None = None,
        ttl: float | None = None,
    ) -> None:
        if (versions is None) == (result_versions is None):
            raise ValidationError(
                "A cache policy needs exactly one of versions(query) or "
                "result_versions(query, result).",
                field="versions",
            )
        self.result_type = result_type
        self.source = source
        self.versions = versions
        self.result_versions = result_versions
        self.ttl = ttl
        self.decoder: msgspec.msgpack.Decoder[tuple[dict[str, int], Any]] = msgspec.msgpack.Decoder(
            tuple[dict[str, int], result_type]
        )


class QueryCacheStats(msgspec.Struct, frozen=True, kw_only=True):
    """What the middleware did: ``stale`` hits had moved versions and counted as misses."""

    hits: int
    misses: int
    stale: int
    bypassed: int
    errors: int


class QueryCacheMiddleware:
    """Caches the answers of the query types in ``policies``; other types pass through.

    Key: query type + canonical encoding (without ``min_position``) + tenant (from
    ``tenant(query)``, by default the message context's ``organization_id``). A cached entry
    is served only while every version it recorded is still current. A query carrying
    ``min_position`` first waits on ``waiter`` (so the versions compared are those of read
    models at or past that position); without a waiter such a query bypasses the cache.
    """

    def __init__(
        self,
        cache: Cache,
        policies: Mapping[type[Query], CachePolicy[Any]],
        *,
        waiter: PositionWaiter | None = None,
        wait_timeout: float = 5.0,
        tenant: TenantOf = context_tenant,
        namespace: str = "q",
    ) -> None:
        self._cache = cache
        self._policies = dict(policies)
        self._waiter = waiter
        self._wait_timeout = wait_timeout
        self._tenant = tenant
        self._namespace = namespace
        self._lock = threading.Lock()
        self._hits = self._misses = self._stale = self._bypassed = self._errors = 0

    def key_for(self, query: Query) -> str:
        """The cache key of a query."""
        return query_key(query, self._tenant(query), self._namespace)

    def __call__(self, query: Query, next: Next[Query]) -> Any:
        policy = self._policies.get(type(query))
        if policy is None:
            return next(query)
        if query.min_position is not None:
            if self._waiter is None:
                self._count("bypassed")
                return next(query)
            self._waiter.wait_for(query.min_position, self._wait_timeout)
        key = self.key_for(query)
        raw = self._cache.get(key)
        if raw is not None:
            try:
                versions, result = policy.decoder.decode(raw)
            except (msgspec.DecodeError, msgspec.ValidationError):
                self._count("errors")  # an entry of another shape (older code): recompute
            else:
                if self._current(policy, versions):
                    self._count("hits")
                    return result
                self._count("stale")
        self._count("misses")
        before = dict(policy.versions(query)) if policy.versions is not None else None
        result = next(query)
        if before is None:
            assert policy.result_versions is not None
            before = dict(policy.result_versions(query, result))
        try:
            encoded = _encoder.encode((before, result))
        except (TypeError, msgspec.EncodeError):
            self._count("errors")
            _log.exception("cannot cache the result of %s", type(query).__qualname__)
            return result
        self._cache.set(key, encoded, policy.ttl)
        return result

    def _current(self, policy: CachePolicy[Any], versions: dict[str, int]) -> bool:
        try:
            return dict(policy.source.current_versions(versions)) == versions
        except EventramError:
            # keys the read models no longer know (an entry from older code): recompute
            self._count("errors")
            return False

    def stats(self) -> QueryCacheStats:
        """Hits, misses (stale included), stale hits, bypassed queries, undecodable entries."""
        return QueryCacheStats(
            hits=self._hits,
            misses=self._misses,
            stale=self._stale,
            bypassed=self._bypassed,
            errors=self._errors,
        )

    def _count(self, what: str) -> None:
        with self._lock:
            setattr(self, f"_{what}", getattr(self, f"_{what}") + 1)
