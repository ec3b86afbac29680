"""Cache keys of queries: type, tenant, and a digest of the query's canonical encoding."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import msgspec

from eventram.context import current_context
from eventram.messages import Query

__all__ = ["TenantOf", "context_tenant", "query_key"]

TenantOf = Callable[[Query], str | None]

_canonical = msgspec.msgpack.Encoder(order="deterministic")
_type_names: dict[type, str] = {}


def context_tenant(query: Query) -> str | None:
    """The tenant of the work in progress: ``organization_id`` of the message context."""
    return current_context().metadata.get("organization_id")


def query_key(query: Query, tenant: str | None, namespace: str = "q") -> str:
    """``namespace:Type:tenant:digest``; ``min_position`` is left out (it asks when, not what).

    The encoding is msgpack with sorted maps and sets, so equal queries give equal keys in
    every process (the L2 cache is shared).
    """
    cls = type(query)
    name = _type_names.get(cls)
    if name is None:
        name = _type_names[cls] = f"{cls.__module__}.{cls.__qualname__}"
    if query.min_position is not None:
        query = msgspec.structs.replace(query, min_position=None)
    digest = hashlib.blake2b(_canonical.encode(query), digest_size=16).hexdigest()
    return f"{namespace}:{name}:{tenant or '-'}:{digest}"
