"""Exact invalidation over the real indexed collections: a write to a partition invalidates
only the cached queries that read it, whether versions are read before the handler or reported
by the page the handler read."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from eventram import Event, InMemoryEventStore, Query, QueryBus, RecordedEvent
from eventram.cache import CachePolicy, LRUCache, QueryCacheMiddleware
from eventram.projection import LiveVersions, Projection, ProjectionEngine, ProjectionHandle
from eventram.readmodel import Collection, HashIndex, Search, eq


class InvTicketFiled(Event, frozen=True):
    organization_id: str
    severity: str


class InvTicketClosed(Event, frozen=True):
    pass


def tickets() -> Collection:
    return Collection(
        "tickets",
        id_field="ticket_id",
        fields={"ticket_id": str, "organization_id": str, "severity": str, "open": bool},
        indexes=[HashIndex("severity")],
        partition_by="organization_id",
    )


def filed(state: Collection, event: InvTicketFiled, envelope: RecordedEvent) -> None:
    state.put(
        {
            "ticket_id": envelope.stream_id,
            "organization_id": event.organization_id,
            "severity": event.severity,
            "open": True,
        }
    )


def closed(state: Collection, event: InvTicketClosed, envelope: RecordedEvent) -> None:
    state.patch(envelope.stream_id, {"open": False})


class OpenTickets(Query, frozen=True):
    """Open tickets of one organization (reads one partition)."""

    organization_id: str


class CriticalEverywhere(Query, frozen=True):
    """Critical tickets of every organization (reads the whole collection)."""


class TicketList(msgspec.Struct, frozen=True):
    ids: list[str]
    versions: dict[str, int]


class Service:
    def __init__(self, by_result: bool) -> None:
        self.store = InMemoryEventStore()
        engine = ProjectionEngine(self.store)
        self.handle: ProjectionHandle[Collection] = engine.register(
            Projection("tickets", {InvTicketFiled: filed, InvTicketClosed: closed}, tickets)
        )
        engine.start()
        self.asked: list[Query] = []
        live = LiveVersions(self.handle, lambda state: {"tickets": state})

        def policy(where: Any) -> CachePolicy[Any]:
            if by_result:
                return CachePolicy(
                    TicketList,
                    live,
                    result_versions=lambda q, result: {
                        **result.versions,
                        live.generation_key: self.handle.generation,
                    },
                )
            return CachePolicy(
                TicketList, live, versions=lambda q: live.read(lambda s: s.versions_for(where(q)))
            )

        self.bus = QueryBus(
            {OpenTickets: self.open_tickets, CriticalEverywhere: self.critical},
            [
                QueryCacheMiddleware(
                    LRUCache(),
                    {
                        OpenTickets: policy(lambda q: eq("organization_id", q.organization_id)),
                        CriticalEverywhere: policy(lambda q: eq("severity", "critical")),
                    },
                )
            ],
        )

    def _list(self, query: Query, where: Any) -> TicketList:
        self.asked.append(query)
        page = self.handle.state.search(Search(filter=where, size=100))
        return TicketList([d["ticket_id"] for d in page.items], page.versions)

    def open_tickets(self, query: OpenTickets) -> TicketList:
        return self._list(query, eq("organization_id", query.organization_id) & eq("open", True))

    def critical(self, query: CriticalEverywhere) -> TicketList:
        return self._list(query, eq("severity", "critical"))

    def file(self, ticket: str, org: str, severity: str = "minor") -> None:
        self.store.append(ticket, [InvTicketFiled(organization_id=org, severity=severity)])

    def handler_runs(self) -> list[str]:
        return [
            q.organization_id if isinstance(q, OpenTickets) else "everywhere" for q in self.asked
        ]

    def ask_all(self) -> None:
        self.bus.ask(OpenTickets(organization_id="org-a"))
        self.bus.ask(OpenTickets(organization_id="org-b"))
        self.bus.ask(CriticalEverywhere())


@pytest.mark.parametrize("by_result", [False, True], ids=["versions-before", "page-versions"])
def test_a_write_to_one_partition_invalidates_only_the_queries_reading_it(by_result: bool) -> None:
    service = Service(by_result)
    service.file("t-1", "org-a", "critical")
    service.file("t-2", "org-b")
    service.ask_all()

    service.file("t-3", "org-a")
    service.ask_all()

    assert service.handler_runs() == ["org-a", "org-b", "everywhere", "org-a", "everywhere"]
    assert service.bus.ask(OpenTickets(organization_id="org-a")).ids == ["t-1", "t-3"]


@pytest.mark.parametrize("by_result", [False, True], ids=["versions-before", "page-versions"])
def test_a_document_changing_state_invalidates_its_partition(by_result: bool) -> None:
    service = Service(by_result)
    service.file("t-1", "org-a")
    service.file("t-2", "org-b")
    assert service.bus.ask(OpenTickets(organization_id="org-a")).ids == ["t-1"]

    service.store.append("t-1", [InvTicketClosed()])

    assert service.bus.ask(OpenTickets(organization_id="org-a")).ids == []
    assert service.bus.ask(OpenTickets(organization_id="org-b")).ids == ["t-2"]
    assert service.bus.ask(OpenTickets(organization_id="org-b")).ids == ["t-2"]
    assert service.handler_runs() == ["org-a", "org-a", "org-b"]
