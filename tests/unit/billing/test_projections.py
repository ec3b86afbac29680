"""The payments projection: given payment events, then these documents (and these analytics)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from billing.application.demo import SimulatedClock
from billing.application.read_models import (
    EVENT_COUNTERS,
    PAYMENTS,
    PaymentsReadModel,
    dump_payments,
    event_counters_projection,
    load_payments,
    payments_projection,
)
from billing.domain import PaymentFailed, PaymentProcessed, PaymentRefunded, PaymentRequested
from eventram import ANY, Event, InMemoryEventStore, ProjectionError, ValidationError
from eventram.projection import (
    Mode,
    ProjectionEngine,
    ProjectionHandle,
    ProjectionState,
)
from eventram.readmodel import Breakdown, Collection, CounterTable, Search, eq

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
INDEXED = datetime(2030, 1, 1, tzinfo=UTC)


class Given:
    """A store, the two billing projections on an engine, and a way to append past events."""

    def __init__(self, mode: Mode = Mode.INLINE) -> None:
        self.clock = SimulatedClock(T0)
        self.store = InMemoryEventStore(clock=self.clock)
        self.engine = ProjectionEngine(self.store, poll_interval=0.01)
        self.payments: ProjectionHandle[PaymentsReadModel] = self.engine.register(
            payments_projection(clock=lambda: INDEXED), mode
        )
        self.counters: ProjectionHandle[CounterTable] = self.engine.register(
            event_counters_projection(self.store), mode
        )
        self.engine.start()

    def events(
        self,
        payment_id: str,
        *events: Event,
        org: str = "org-1",
        user: str = "user-1",
        minutes: float = 1,
    ) -> Given:
        for event in events:
            self.clock.advance_to(self.clock() + timedelta(minutes=minutes))
            self.store.append(
                payment_id,
                [event],
                ANY,
                stream_type="Payment",
                metadata={"organization_id": org, "user_id": user},
            )
        return self

    def doc(self, payment_id: str) -> dict[str, Any]:
        self.engine.wait_for(self.store.last_position(), timeout=5)
        doc = self.payments.state.payments.get(payment_id)
        assert doc is not None, f"no document for {payment_id}"
        return doc


@pytest.fixture
def given() -> Iterator[Given]:
    setup = Given()
    yield setup
    setup.engine.close()


def requested(
    payment_id: str = "p-1",
    amount: str = "100.00",
    currency: str = "EUR",
    org: str = "org-1",
    user: str = "user-1",
    description: str = "Compute — 120 vCPU hours",
) -> PaymentRequested:
    return PaymentRequested(
        payment_id=payment_id,
        organization_id=org,
        user_id=user,
        amount=Decimal(amount),
        currency=currency,
        description=description,
        metadata={"invoice": "inv-7"},
    )


def processed(payment_id: str = "p-1", amount: str = "100.00") -> PaymentProcessed:
    return PaymentProcessed(payment_id=payment_id, amount=Decimal(amount), currency="EUR")


def refunded(amount: str, payment_id: str = "p-1") -> PaymentRefunded:
    return PaymentRefunded(
        payment_id=payment_id, amount=Decimal(amount), currency="EUR", reason="customer request"
    )


def test_a_requested_payment_is_a_pending_document_with_every_field_of_the_seeds(
    given: Given,
) -> None:
    given.events("p-1", requested())

    doc = given.doc("p-1")

    at = T0 + timedelta(minutes=1)
    assert doc == {
        "payment_id": "p-1",
        "organization_id": "org-1",
        "user_id": "user-1",
        "amount": Decimal("100.00"),
        "currency": "EUR",
        "status": "pending",
        "description": "Compute — 120 vCPU hours",
        "metadata": {"invoice": "inv-7"},
        "created_at": at,
        "processed_at": None,
        "failed_at": None,
        "error": None,
        "refunded_amount": Decimal("0.00"),
        "refunded_at": None,
        "updated_at": at,
        "indexed_at": INDEXED,
        "version": 1,
    }


def test_the_refunded_amount_starts_at_zero_with_the_currencys_own_scale(given: Given) -> None:
    given.events("p-1", requested(amount="1500", currency="JPY"))

    assert str(given.doc("p-1")["refunded_amount"]) == "0"


def test_a_processed_payment_is_completed_at_the_time_of_its_event(given: Given) -> None:
    given.events("p-1", requested(), processed())

    doc = given.doc("p-1")

    assert doc["status"] == "completed"
    assert doc["processed_at"] == T0 + timedelta(minutes=2)
    assert doc["updated_at"] == T0 + timedelta(minutes=2)
    assert doc["created_at"] == T0 + timedelta(minutes=1)
    assert doc["version"] == 2


def test_a_failed_payment_keeps_its_error_text(given: Given) -> None:
    given.events("p-1", requested(), PaymentFailed(payment_id="p-1", error="card_declined"))

    doc = given.doc("p-1")

    assert (doc["status"], doc["error"]) == ("failed", "card_declined")
    assert doc["failed_at"] == T0 + timedelta(minutes=2)
    assert doc["processed_at"] is None


def test_a_partial_refund_leaves_the_payment_partially_refunded(given: Given) -> None:
    given.events("p-1", requested(), processed(), refunded("30.00"))

    doc = given.doc("p-1")

    assert doc["status"] == "partially_refunded"
    assert doc["refunded_amount"] == Decimal("30.00")
    assert doc["refunded_at"] == T0 + timedelta(minutes=3)


def test_refunds_adding_up_to_the_amount_make_the_payment_refunded(given: Given) -> None:
    given.events("p-1", requested(), processed(), refunded("30.00"), refunded("70.00"))

    doc = given.doc("p-1")

    assert doc["status"] == "refunded"
    assert doc["refunded_amount"] == Decimal("100.00")
    assert doc["version"] == 4


def test_documents_are_partitioned_by_organization(given: Given) -> None:
    given.events("p-1", requested("p-1", org="org-1"), org="org-1")
    given.events("p-2", requested("p-2", org="org-2"), org="org-2")
    collection = given.payments.state.payments
    before = collection.partition_version("org-1")

    given.events("p-3", requested("p-3", org="org-2"), org="org-2")
    given.engine.wait_for(given.store.last_position(), timeout=5)

    assert collection.partition_version("org-1") == before
    assert sorted(collection.partitions()) == ["org-1", "org-2"]
    page = collection.search(Search(filter=eq("organization_id", "org-2")))
    assert sorted(d["payment_id"] for d in page.items) == ["p-2", "p-3"]
    assert page.versions == {f"{PAYMENTS}/org-2": collection.partition_version("org-2")}


def analytics(state: PaymentsReadModel, org: str | None) -> Breakdown:
    """Every payment of one organization (or of all) by status and currency, and per day."""
    where = {} if org is None else {"organization_id": org}
    return state.analytics.breakdown(where=where, by=("status", "currency"), per=("day",))


def test_analytics_follow_each_payment_through_its_lifecycle(given: Given) -> None:
    given.events("p-1", requested(), processed(), refunded("30.00"))
    given.events("p-2", requested("p-2", amount="5.50"))
    given.events("p-3", requested("p-3", amount="2000", currency="JPY"))

    found = analytics(given.payments.state, "org-1")

    assert found.total.count == 3
    assert {k: v.count for k, v in found.by["status"].items()} == {
        "partially_refunded": 1,
        "pending": 2,
    }
    by_currency = found.by["currency"]
    assert {k: v.sums["amount"] for k, v in by_currency.items()} == {
        "EUR": Decimal("105.50"),
        "JPY": Decimal("2000"),
    }
    assert by_currency["EUR"].sums["processed"] == Decimal("100.00")
    assert by_currency["EUR"].sums["refunded"] == Decimal("30.00")


def test_an_event_for_an_unknown_payment_stops_the_projection_with_its_position(
    given: Given,
) -> None:
    given.events("p-1", requested())

    given.events("p-9", processed("p-9"))

    status = given.engine.status(PAYMENTS)
    assert status.state is ProjectionState.FAILED
    assert status.failed_position == 2
    assert "p-9" in (status.error or "")
    assert given.store.last_position() == 2  # the write side is not affected
    with pytest.raises(ProjectionError):
        given.engine.wait_for(2, timeout=1, names=[PAYMENTS])


def test_a_rebuild_gives_the_same_documents_and_analytics(given: Given) -> None:
    given.events("p-1", requested(), processed(), refunded("30.00"))
    given.events("p-2", requested("p-2", org="org-2"), org="org-2")
    before = {p: given.doc(p) for p in ("p-1", "p-2")}

    report = given.engine.rebuild(PAYMENTS)

    assert report.generation == 1
    assert {p: given.doc(p) for p in ("p-1", "p-2")} == before
    assert analytics(given.payments.state, None).total.count == 2


def test_an_async_projection_reaches_the_same_documents() -> None:
    setup = Given(Mode.ASYNC)
    try:
        setup.events("p-1", requested(), processed())

        assert setup.doc("p-1")["status"] == "completed"
    finally:
        setup.engine.close()


def test_event_counters_count_each_event_by_type_organization_and_user(given: Given) -> None:
    given.events("p-1", requested(), processed(), user="user-1")
    given.events("p-2", requested("p-2", org="org-2"), org="org-2", user="user-2")
    given.engine.wait_for(given.store.last_position(), timeout=5)
    table = given.counters.state

    split = table.breakdown(
        T0, T0 + timedelta(hours=1), by=("event_type", "organization_id", "user_id")
    )

    assert split.total.count == 3
    assert {k: v.count for k, v in split.by["event_type"].items()} == {
        "PaymentProcessed": 1,
        "PaymentRequested": 2,
    }
    assert {k: v.count for k, v in split.by["organization_id"].items()} == {
        "org-1": 2,
        "org-2": 1,
    }
    assert table.name == EVENT_COUNTERS


def test_a_snapshot_loads_back_the_same_documents_analytics_and_versions(given: Given) -> None:
    given.events("p-1", requested(), processed(), refunded("30.00"))
    given.events("p-2", requested("p-2", amount="7", currency="JPY", org="org-2"), org="org-2")
    state = given.payments.state

    loaded = load_payments(dump_payments(state), clock=lambda: INDEXED)

    assert [loaded.payments.get(p) for p in ("p-1", "p-2")] == [given.doc("p-1"), given.doc("p-2")]
    assert loaded.payments.partition_version("org-2") == state.payments.partition_version("org-2")
    for org in ("org-1", "org-2", None):
        assert analytics(loaded, org) == analytics(state, org)
    assert loaded.analytics.current_versions(["payment_analytics/org-2"]) == (
        state.analytics.current_versions(["payment_analytics/org-2"])
    )


def test_a_snapshot_of_another_shape_is_refused() -> None:
    other = Collection("payments", fields={"payment_id": str}, id_field="payment_id")
    data = msgspec.msgpack.encode([other.dump(), b""])

    with pytest.raises(ValidationError, match="settings"):
        load_payments(data)
