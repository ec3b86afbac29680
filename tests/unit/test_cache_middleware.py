"""The query cache: exact invalidation by versions, tenants, min_position, counters."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from eventram import (
    Event,
    InMemoryEventStore,
    Query,
    QueryBus,
    RecordedEvent,
    ValidationError,
    message_context,
)
from eventram.cache import (
    CachePolicy,
    LRUCache,
    QueryCacheMiddleware,
    QueryCacheStats,
    query_key,
)
from eventram.projection import (
    LiveVersions,
    Mode,
    Projection,
    ProjectionEngine,
    ProjectionHandle,
    WaitForPositionMiddleware,
)


class QcInvoiceIssued(Event, frozen=True):
    organization_id: str
    amount: Decimal


class Invoice(msgspec.Struct, frozen=True):
    invoice_id: str
    organization_id: str
    amount: Decimal
    issued_at: datetime


class OrgInvoices(Query, frozen=True):
    organization_id: str


class OrgTotal(Query, frozen=True):
    organization_id: str
    tags: frozenset[str] = frozenset()
    options: dict[str, int] = msgspec.field(default_factory=dict)


class Uncached(Query, frozen=True):
    pass


class Invoices:
    """A small versioned read model: invoices partitioned by organization."""

    name = "invoices"

    def __init__(self) -> None:
        self.by_org: dict[str, list[Invoice]] = {}
        self.version = 0
        self.partition_versions: dict[str, int] = {}

    def add(self, invoice: Invoice) -> None:
        self.by_org.setdefault(invoice.organization_id, []).append(invoice)
        self.version += 1
        org = invoice.organization_id
        self.partition_versions[org] = self.partition_versions.get(org, 0) + 1

    def versions_for(self, organization_id: str) -> dict[str, int]:
        return {f"invoices/{organization_id}": self.partition_versions.get(organization_id, 0)}

    def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
        found = {}
        for key in keys:
            if key == "invoices":
                found[key] = self.version
            else:
                found[key] = self.partition_versions.get(key.split("/", 1)[1], 0)
        return found


def issued(state: Invoices, event: QcInvoiceIssued, envelope: RecordedEvent) -> None:
    state.add(
        Invoice(envelope.stream_id, event.organization_id, event.amount, envelope.recorded_at)
    )


def invoices_projection() -> Projection[Invoices]:
    return Projection("invoices", {QcInvoiceIssued: issued}, Invoices)


class App:
    """A store, an inline (or async) projection, a bus with the cache; counts handler calls."""

    def __init__(self, mode: Mode = Mode.INLINE, *, waiter: bool = True) -> None:
        self.store = InMemoryEventStore()
        self.engine = ProjectionEngine(self.store, poll_interval=0.01)
        self.handle: ProjectionHandle[Invoices] = self.engine.register(invoices_projection(), mode)
        self.engine.start()
        self.calls: list[Query] = []
        live = LiveVersions(self.handle, lambda state: {"invoices": state})
        self.cache = LRUCache()
        self.middleware = QueryCacheMiddleware(
            self.cache,
            {
                OrgInvoices: CachePolicy(
                    list[Invoice],
                    live,
                    versions=lambda q: live.read(lambda s: s.versions_for(q.organization_id)),
                ),
                OrgTotal: CachePolicy(
                    Decimal,
                    live,
                    versions=lambda q: live.read(lambda s: s.versions_for(q.organization_id)),
                ),
            },
        )
        waiting = [WaitForPositionMiddleware(self.engine, timeout=5.0)] if waiter else []
        self.bus = QueryBus(
            {OrgInvoices: self.list_invoices, OrgTotal: self.total, Uncached: self.uncached},
            [*waiting, self.middleware],
        )

    def list_invoices(self, query: OrgInvoices) -> list[Invoice]:
        self.calls.append(query)
        return list(self.handle.state.by_org.get(query.organization_id, []))

    def total(self, query: OrgTotal) -> Decimal:
        self.calls.append(query)
        return sum(
            (i.amount for i in self.handle.state.by_org.get(query.organization_id, [])),
            Decimal(0),
        )

    def uncached(self, query: Uncached) -> int:
        self.calls.append(query)
        return len(self.calls)

    def issue(self, invoice_id: str, org: str, amount: str) -> int:
        result = self.store.append(
            invoice_id, [QcInvoiceIssued(organization_id=org, amount=Decimal(amount))]
        )
        return result.position

    def stats(self) -> QueryCacheStats:
        return self.middleware.stats()


@pytest.fixture
def app() -> App:
    return App()


def test_the_same_query_twice_is_answered_once_by_the_handler(app: App) -> None:
    app.issue("inv-1", "org-1", "12.30")

    first = app.bus.ask(OrgInvoices(organization_id="org-1"))
    second = app.bus.ask(OrgInvoices(organization_id="org-1"))

    assert first == second
    assert len(app.calls) == 1
    assert app.stats() == QueryCacheStats(hits=1, misses=1, stale=0, bypassed=0, errors=0)


def test_a_hit_is_decoded_into_the_declared_result_type(app: App) -> None:
    app.issue("inv-1", "org-1", "12.30")
    app.bus.ask(OrgInvoices(organization_id="org-1"))

    cached = app.bus.ask(OrgInvoices(organization_id="org-1"))

    assert isinstance(cached[0], Invoice)
    assert cached[0].amount == Decimal("12.30")
    assert cached[0].issued_at.tzinfo is not None
    assert cached[0] is not app.handle.state.by_org["org-1"][0]
    assert isinstance(app.bus.ask(OrgTotal(organization_id="org-1")), Decimal)


def test_a_write_to_a_partition_invalidates_only_the_queries_that_read_it(app: App) -> None:
    app.issue("inv-1", "org-1", "1")
    app.issue("inv-2", "org-2", "2")
    app.bus.ask(OrgTotal(organization_id="org-1"))
    app.bus.ask(OrgTotal(organization_id="org-2"))

    app.issue("inv-3", "org-1", "10")

    assert app.bus.ask(OrgTotal(organization_id="org-1")) == Decimal("11")
    assert app.bus.ask(OrgTotal(organization_id="org-2")) == Decimal("2")
    assert [q.organization_id for q in app.calls if isinstance(q, OrgTotal)] == [
        "org-1",
        "org-2",
        "org-1",
    ]
    assert app.stats().stale == 1
    assert app.stats().hits == 1


def test_a_write_while_the_handler_runs_makes_the_entry_stale_not_wrong(app: App) -> None:
    app.issue("inv-1", "org-1", "1")
    original = app.list_invoices

    def racing(query: OrgInvoices) -> list[Invoice]:
        answer = original(query)
        if len(app.calls) == 1:
            app.issue("inv-2", "org-1", "5")  # lands after the read, before the cache write
        return answer

    app.bus = QueryBus({OrgInvoices: racing}, [app.middleware])

    stale = app.bus.ask(OrgInvoices(organization_id="org-1"))
    fresh = app.bus.ask(OrgInvoices(organization_id="org-1"))

    assert [i.invoice_id for i in stale] == ["inv-1"]
    assert [i.invoice_id for i in fresh] == ["inv-1", "inv-2"]


def test_the_tenant_is_part_of_the_key(app: App) -> None:
    app.issue("inv-1", "org-1", "1")
    query = OrgTotal(organization_id="org-1")

    with message_context(metadata={"organization_id": "tenant-a"}):
        app.bus.ask(query)
        key_a = app.middleware.key_for(query)
    with message_context(metadata={"organization_id": "tenant-b"}):
        app.bus.ask(query)
        key_b = app.middleware.key_for(query)

    assert key_a != key_b
    assert ":tenant-a:" in key_a
    assert len(app.calls) == 2


def test_a_rebuild_invalidates_entries_even_when_versions_restart(app: App) -> None:
    app.issue("inv-1", "org-1", "1")
    app.bus.ask(OrgTotal(organization_id="org-1"))

    app.engine.rebuild("invoices")
    app.bus.ask(OrgTotal(organization_id="org-1"))

    assert len(app.calls) == 2
    assert app.stats().stale == 1


def test_a_query_with_min_position_waits_for_an_async_projection() -> None:
    app = App(Mode.ASYNC)
    with app.engine:
        app.engine.wait_for(app.issue("inv-1", "org-1", "1"), timeout=5.0)
        app.bus.ask(OrgTotal(organization_id="org-1"))

        position = app.issue("inv-2", "org-1", "2")
        answer = app.bus.ask(OrgTotal(organization_id="org-1", min_position=position))

    assert answer == Decimal("3")


def test_a_query_with_min_position_and_no_waiter_bypasses_the_cache() -> None:
    app = App(waiter=False)
    position = app.issue("inv-1", "org-1", "1")

    app.bus.ask(OrgTotal(organization_id="org-1", min_position=position))
    app.bus.ask(OrgTotal(organization_id="org-1", min_position=position))

    assert len(app.calls) == 2
    assert app.stats().bypassed == 2


def test_min_position_is_not_part_of_the_key(app: App) -> None:
    position = app.issue("inv-1", "org-1", "1")

    app.bus.ask(OrgTotal(organization_id="org-1"))
    app.bus.ask(OrgTotal(organization_id="org-1", min_position=position))

    assert len(app.calls) == 1


def test_equal_queries_have_equal_keys_whatever_the_order_of_their_sets_and_maps() -> None:
    one = OrgTotal(organization_id="o", tags=frozenset(["b", "a", "c"]), options={"y": 1, "x": 2})
    two = OrgTotal(organization_id="o", tags=frozenset(["c", "a", "b"]), options={"x": 2, "y": 1})
    other = OrgTotal(organization_id="o", tags=frozenset(["a"]))

    assert query_key(one, None) == query_key(two, None)
    assert query_key(one, None) != query_key(other, None)
    assert query_key(one, "t1") != query_key(one, "t2")
    assert query_key(one, None).startswith("q:tests.unit.test_cache_middleware.OrgTotal:-:")


def test_query_types_without_a_policy_pass_through(app: App) -> None:
    assert app.bus.ask(Uncached()) == 1
    assert app.bus.ask(Uncached()) == 2
    assert app.stats().misses == 0


def test_an_entry_that_no_longer_decodes_is_recomputed(app: App) -> None:
    app.issue("inv-1", "org-1", "1")
    query = OrgTotal(organization_id="org-1")
    app.cache.set(app.middleware.key_for(query), b"\x92\x80\xa5hello")  # written by older code

    assert app.bus.ask(query) == Decimal("1")
    assert app.bus.ask(query) == Decimal("1")
    assert len(app.calls) == 1
    assert app.stats().errors == 1


def test_result_versions_can_come_from_the_result(caplog: pytest.LogCaptureFixture) -> None:
    versions = {"model": 1}

    class Source:
        def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
            return {k: versions.get(k, -1) for k in keys}

    class Answer(msgspec.Struct, frozen=True):
        value: int
        seen: dict[str, int]

    calls: list[int] = []

    def handle(query: Uncached) -> Answer:
        calls.append(1)
        return Answer(len(calls), dict(versions))

    policy: CachePolicy[Uncached] = CachePolicy(
        Answer, Source(), result_versions=lambda q, result: result.seen
    )
    bus = QueryBus({Uncached: handle}, [QueryCacheMiddleware(LRUCache(), {Uncached: policy})])

    assert bus.ask(Uncached()).value == 1
    assert bus.ask(Uncached()).value == 1
    versions["model"] = 2
    assert bus.ask(Uncached()).value == 2


def test_a_result_that_cannot_be_encoded_is_returned_and_not_cached(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Source:
        def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
            return {}

    calls: list[object] = []

    def handle(query: Uncached) -> object:
        calls.append(object())
        return calls[-1]

    middleware = QueryCacheMiddleware(
        LRUCache(), {Uncached: CachePolicy(Any, Source(), versions=lambda q: {})}
    )
    bus = QueryBus({Uncached: handle}, [middleware])

    with caplog.at_level(logging.ERROR, logger="eventram.cache"):
        first = bus.ask(Uncached())
        second = bus.ask(Uncached())

    assert first is calls[0]
    assert second is calls[1]
    assert middleware.stats().errors == 2
    assert "cannot cache" in caplog.text


@pytest.mark.parametrize("how", ["neither", "both"])
def test_a_policy_needs_exactly_one_way_to_get_versions(how: str) -> None:
    class Source:
        def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
            return {}

    def versions(q: Query) -> dict[str, int]:
        return {}

    def result_versions(q: Query, r: Any) -> dict[str, int]:
        return {}

    options: dict[str, Any] = (
        {"versions": versions, "result_versions": result_versions} if how == "both" else {}
    )

    with pytest.raises(ValidationError, match="exactly one"):
        CachePolicy(int, Source(), **options)


def test_the_wait_middleware_before_the_cache_gives_read_your_writes_with_hits() -> None:
    app = App(Mode.ASYNC, waiter=False)
    with app.engine:
        bus = QueryBus(
            {OrgTotal: app.total},
            [WaitForPositionMiddleware(app.engine, timeout=5.0), app.middleware],
        )
        app.engine.wait_for(app.issue("inv-1", "org-1", "1"), timeout=5.0)
        bus.ask(OrgTotal(organization_id="org-1"))

        position = app.issue("inv-2", "org-1", "4")
        answer = bus.ask(OrgTotal(organization_id="org-1", min_position=position))
        again = bus.ask(OrgTotal(organization_id="org-1", min_position=position))

    assert answer == again == Decimal("5")
    assert len(app.calls) == 2
    assert app.stats().bypassed == 0
    assert app.stats().hits == 1


def test_an_entry_whose_version_keys_the_read_model_refuses_is_recomputed() -> None:
    class Renamed:
        """A read model that no longer knows the keys an older entry recorded."""

        def __init__(self) -> None:
            self.strict = False

        def current_versions(self, keys: Iterable[str]) -> dict[str, int]:
            if self.strict:
                raise ValidationError("Version key 'old' does not belong here.", field="keys")
            return dict.fromkeys(keys, 1)

    source = Renamed()
    calls: list[int] = []

    def handle(query: Uncached) -> int:
        calls.append(1)
        return len(calls)

    middleware = QueryCacheMiddleware(
        LRUCache(), {Uncached: CachePolicy(int, source, versions=lambda q: {"old": 1})}
    )
    bus = QueryBus({Uncached: handle}, [middleware])
    bus.ask(Uncached())
    source.strict = True

    assert bus.ask(Uncached()) == 2
    assert middleware.stats().errors == 1
