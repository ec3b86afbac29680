"""Projection snapshots: a restart loads the newest snapshot and replays only the tail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from eventram import Event, InMemoryEventStore, RecordedEvent, ValidationError
from eventram.projection import (
    InMemoryCheckpointStore,
    Mode,
    Projection,
    ProjectionEngine,
    ProjectionSnapshots,
    counters_projection,
)
from eventram.readmodel import Collection, CounterTable, Fact, Search, eq

T0 = datetime(2025, 6, 1, tzinfo=UTC)


class SnpCredited(Event, frozen=True):
    account: str
    amount: Decimal


class SnpFrozen(Event, frozen=True):
    account: str


def credited(event: SnpCredited, envelope: RecordedEvent, previous: Fact | None) -> Fact:
    balance = previous.amounts["balance"] if previous is not None else Decimal(0)
    return Fact(
        previous.at if previous is not None else envelope.recorded_at,
        {"account": event.account, "state": "open"},
        {"balance": balance + event.amount},
    )


def frozen(event: SnpFrozen, envelope: RecordedEvent, previous: Fact | None) -> Fact | None:
    return previous.replace(state="frozen") if previous is not None else None


def balances(calls: list[int] | None = None) -> Projection[CounterTable]:
    def counted(event: SnpCredited, envelope: RecordedEvent, previous: Fact | None) -> Fact:
        if calls is not None:
            calls.append(envelope.position)
        return credited(event, envelope, previous)

    return counters_projection(
        "balances",
        {SnpCredited: counted, SnpFrozen: frozen},
        dimensions=("account", "state"),
        amounts=("balance",),
        partition_by="account",
    )


def fill(store: InMemoryEventStore, start: int, count: int) -> None:
    for i in range(start, start + count):
        store.append(f"acc-{i % 4}", [SnpCredited(account=f"acc-{i % 4}", amount=Decimal(i))])
        if i % 7 == 0:
            store.append(f"acc-{i % 4}", [SnpFrozen(account=f"acc-{i % 4}")])


def summary(table: CounterTable) -> object:
    return table.breakdown(
        T0 - timedelta(days=1), T0 + timedelta(days=400), by=["account", "state"]
    )


@pytest.fixture
def store() -> InMemoryEventStore:
    return InMemoryEventStore(clock=lambda: T0)


def test_a_counter_table_survives_dump_and_load(store: InMemoryEventStore) -> None:
    engine = ProjectionEngine(store)
    handle = engine.register(balances())
    engine.start()
    fill(store, 0, 30)

    copy = CounterTable("balances", ("account", "state"), ("balance",), partition_by="account")
    copy.restore(handle.state.dump())

    assert summary(copy) == summary(handle.state)
    assert copy.fact("acc-1") == handle.state.fact("acc-1")
    assert copy.current_versions(["balances", "balances/acc-2"]) == handle.state.current_versions(
        ["balances", "balances/acc-2"]
    )
    store.append("acc-1", [SnpCredited(account="acc-1", amount=Decimal(5))])
    copy.put(
        "acc-1",
        credited(
            SnpCredited(account="acc-1", amount=Decimal(5)),
            store.read_all()[-1],
            copy.fact("acc-1"),
        ),
    )
    assert summary(copy) == summary(handle.state)


@pytest.mark.parametrize("mode", [Mode.INLINE, Mode.ASYNC])
def test_a_restart_loads_the_snapshot_and_applies_only_the_tail(
    store: InMemoryEventStore, tmp_path: Path, mode: Mode
) -> None:
    snapshots = ProjectionSnapshots(tmp_path)
    fill(store, 0, 40)
    with ProjectionEngine(store, snapshots=snapshots) as first:
        first.register(balances(), mode)
        first.start()
        first.wait_for(store.last_position(), timeout=5.0)
        written = first.save_snapshots()
    covered = store.last_position()
    fill(store, 40, 10)

    calls: list[int] = []
    checkpoints = InMemoryCheckpointStore()
    checkpoints.save("balances", store.last_position())  # stale: the state is the snapshot's
    with ProjectionEngine(store, checkpoints, snapshots=snapshots, poll_interval=0.01) as second:
        handle = second.register(balances(calls), mode)
        second.start()
        second.wait_for(store.last_position(), timeout=5.0)

    with ProjectionEngine(store) as fresh:
        replayed = fresh.register(balances())
        fresh.start()

    assert written["balances"].name.startswith("projection.balances@")
    assert calls
    assert min(calls) > covered
    assert summary(handle.state) == summary(replayed.state)


def test_a_snapshot_beyond_the_end_of_the_store_is_skipped(
    store: InMemoryEventStore, tmp_path: Path
) -> None:
    snapshots = ProjectionSnapshots(tmp_path)
    fill(store, 0, 20)
    with ProjectionEngine(store, snapshots=snapshots) as first:
        first.register(balances())
        first.start()
        first.save_snapshots()
    shorter = InMemoryEventStore(clock=lambda: T0)
    fill(shorter, 0, 5)

    with ProjectionEngine(shorter, snapshots=snapshots) as second:
        handle = second.register(balances())
        second.start()

    with ProjectionEngine(shorter) as fresh:
        replayed = fresh.register(balances())
        fresh.start()
    assert summary(handle.state) == summary(replayed.state)


def test_a_collection_projection_is_snapshotted_with_the_collection_dump(
    store: InMemoryEventStore, tmp_path: Path
) -> None:
    def accounts() -> Collection:
        return Collection("accounts", id_field="account", fields={"account": str, "total": Decimal})

    def add(state: Collection, event: SnpCredited, envelope: RecordedEvent) -> None:
        found = state.get(event.account)
        total = found["total"] if found is not None else Decimal(0)
        state.put({"account": event.account, "total": total + event.amount})

    def projection() -> Projection[Collection]:
        return Projection(
            "accounts", {SnpCredited: add}, accounts, dump=Collection.dump, load=Collection.load
        )

    snapshots = ProjectionSnapshots(tmp_path)
    fill(store, 0, 12)
    with ProjectionEngine(store, snapshots=snapshots) as first:
        first.register(projection())
        first.start()
        first.save_snapshots("accounts")
    fill(store, 12, 3)

    with ProjectionEngine(store, snapshots=snapshots) as second:
        handle = second.register(projection())
        second.start()

    assert handle.generation == 1  # the restored state replaced the empty one
    page = handle.state.search(Search(filter=eq("account", "acc-3")))
    assert page.items == [{"account": "acc-3", "total": Decimal(sum(range(3, 15, 4)))}]


def test_a_projection_without_dump_and_load_cannot_be_snapshotted(
    store: InMemoryEventStore, tmp_path: Path
) -> None:
    def nothing(state: dict[str, int], event: SnpCredited, envelope: RecordedEvent) -> None:
        state[event.account] = 1

    with ProjectionEngine(store, snapshots=ProjectionSnapshots(tmp_path)) as engine:
        engine.register(Projection("plain", {SnpCredited: nothing}, dict[str, int]))
        engine.register(balances())
        engine.start()

        assert set(engine.save_snapshots()) == {"balances"}
        with pytest.raises(ValidationError, match="cannot be snapshotted"):
            engine.save_snapshots("plain")


def test_dump_without_load_is_refused_at_declaration() -> None:
    with pytest.raises(ValidationError, match="both dump and load"):
        Projection("half", {SnpCredited: lambda s, e, env: None}, dict, dump=lambda s: b"")


def test_an_engine_without_snapshots_refuses_to_save_them(store: InMemoryEventStore) -> None:
    with ProjectionEngine(store) as engine:
        engine.register(balances())

        with pytest.raises(ValidationError, match="without snapshots"):
            engine.save_snapshots()
