"""The Redis L2 for real: shared between two nodes, and a Redis outage seen by the caller as L1."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import uuid
from collections.abc import Iterable, Iterator
from decimal import Decimal

import msgspec
import pytest
import redis

from eventram import Query, QueryBus
from eventram.cache import (
    CachePolicy,
    LRUCache,
    QueryCacheMiddleware,
    RedisCache,
    TieredCache,
)
from tests.conftest import REDIS_START, require_service

pytestmark = pytest.mark.redis


class Proxy:
    """A TCP relay to Redis that a test can cut (outage) and restore."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._open = threading.Event()
        self._open.set()
        self._links: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and break the live ones."""
        self._open.clear()
        with self._lock:
            for link in self._links:
                with contextlib.suppress(OSError):
                    link.shutdown(socket.SHUT_RDWR)
                link.close()
            self._links.clear()

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self.cut()
        self._server.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._links += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.close()


@pytest.fixture
def prefix() -> Iterator[str]:
    require_service("Redis", "127.0.0.1", 6379, REDIS_START)
    prefix = f"eventram-test:{uuid.uuid4().hex}:"
    yield prefix
    client: redis.Redis[bytes] = redis.Redis(host="127.0.0.1", port=6379)
    leftovers = list(client.scan_iter(match=prefix + "*"))
    if leftovers:
        client.delete(*leftovers)
    client.close()


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    relay = Proxy(("127.0.0.1", 6379))
    yield relay
    relay.close()


def _up(cache: RedisCache) -> bool:
    return cache.available


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_is_a_miss_with_one_warning_then_redis_is_used_again(
    prefix: str, proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    l2 = RedisCache(
        url=f"redis://127.0.0.1:{proxy.port}/0", prefix=prefix, retry_after=5.0, clock=clock
    )
    l2.set("before", b"1")
    assert l2.get("before") == b"1"

    proxy.cut()
    with caplog.at_level(logging.WARNING, logger="eventram.cache"):
        during = [l2.get("before") for _ in range(20)]
        l2.set("during", b"2")
        l2.delete("before")
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]

    assert during == [None] * 20
    assert not _up(l2)
    assert len(warnings) == 1
    assert "unavailable" in warnings[0].getMessage()

    proxy.restore()
    clock.now += 1.0
    assert l2.get("before") is None  # still resting: Redis is not asked before retry_after
    clock.now += 5.0
    assert l2.get("before") == b"1"
    assert _up(l2)
    assert l2.stats().errors >= 1
    l2.close()


def test_a_tiered_cache_keeps_answering_from_l1_during_an_outage(prefix: str, proxy: Proxy) -> None:
    l2 = RedisCache(url=f"redis://127.0.0.1:{proxy.port}/0", prefix=prefix)
    tiered = TieredCache(LRUCache(), l2)
    tiered.set("k", b"v")

    proxy.cut()

    assert tiered.get("k") == b"v"
    tiered.set("k2", b"w")
    assert tiered.get("k2") == b"w"
    assert tiered.get("absent") is None
    l2.close()


def test_a_redis_that_never_answers_costs_no_error() -> None:
    with socket.create_server(("127.0.0.1", 0)) as placeholder:
        port = placeholder.getsockname()[1]
    l2 = RedisCache(url=f"redis://127.0.0.1:{port}/0", socket_timeout=0.2)

    l2.set("k", b"v")
    l2.clear()

    assert l2.get("k") is None
    assert not l2.available


class NodeTotal(Query, frozen=True):
    account: str


class Ledger:
    """The same read model on two nodes, fed the same writes, so versions agree."""

    def __init__(self) -> None:
        self.totals: dict[str, Decimal] = {}
        self.versions: dict[str, int] = {}

    def add(self, account: str, amount: Decimal) -> None:
        self.totals[account] = self.totals.get(account, Decimal(0)) + amount
        self.versions[account] = self.versions.get(account, 0) + 1

    def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
        return {k: self.versions.get(k.split("/", 1)[1], 0) for k in keys}


class Node:
    def __init__(self, prefix: str) -> None:
        self.ledger = Ledger()
        self.calls = 0
        self.l2 = RedisCache(prefix=prefix)
        self.middleware = QueryCacheMiddleware(
            TieredCache(LRUCache(), self.l2),
            {
                NodeTotal: CachePolicy(
                    Decimal,
                    self.ledger,
                    versions=lambda q: {
                        f"ledger/{q.account}": self.ledger.versions.get(q.account, 0)
                    },
                )
            },
        )
        self.bus = QueryBus({NodeTotal: self.total}, [self.middleware])

    def total(self, query: NodeTotal) -> Decimal:
        self.calls += 1
        return self.ledger.totals.get(query.account, Decimal(0))


def test_an_answer_computed_on_one_node_is_a_hit_on_another_until_a_write(prefix: str) -> None:
    first, second = Node(prefix), Node(prefix)
    for node in (first, second):
        node.ledger.add("acc", Decimal("7.5"))

    computed = first.bus.ask(NodeTotal(account="acc"))
    shared = second.bus.ask(NodeTotal(account="acc"))
    for node in (first, second):
        node.ledger.add("acc", Decimal("1"))
    after_write = second.bus.ask(NodeTotal(account="acc"))

    assert computed == shared == Decimal("7.5")
    assert after_write == Decimal("8.5")
    assert (first.calls, second.calls) == (1, 1)
    assert second.middleware.stats().hits == 1
    assert second.middleware.stats().stale == 1
    for node in (first, second):
        node.l2.close()


def test_values_in_redis_are_msgpack(prefix: str) -> None:
    node = Node(prefix)
    node.ledger.add("acc", Decimal("2"))
    query = NodeTotal(account="acc")
    node.bus.ask(query)

    client: redis.Redis[bytes] = redis.Redis(host="127.0.0.1", port=6379)
    raw = client.get(prefix + node.middleware.key_for(query))
    client.close()

    assert raw is not None
    assert msgspec.msgpack.decode(raw) == [{"ledger/acc": 1}, "2"]
    node.l2.close()
