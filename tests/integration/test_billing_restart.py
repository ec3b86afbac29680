"""A restart on a data directory: read models come back from snapshots plus the journal's tail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from billing.application.demo import DemoPlan, SimulatedClock, run_demo
from billing.application.queries import (
    GetEventTrends,
    GetPaymentStatistics,
    PaymentStatistics,
    SearchPayments,
)
from billing.application.read_models import EVENT_COUNTERS, PAYMENTS
from billing.bootstrap import SNAPSHOTS_DIR, BillingApp, Settings, build

END = datetime(2025, 6, 30, tzinfo=UTC)


def statistics(app: BillingApp) -> PaymentStatistics:
    result: PaymentStatistics = app.queries.ask(GetPaymentStatistics(operator=True))
    return result


def fill(data_dir: Path, plan: DemoPlan) -> None:
    clock = SimulatedClock(plan.start)
    with build(Settings(data_dir=str(data_dir), fsync="never"), clock=clock) as app:
        run_demo(plan, app.commands.handle, clock)
        app.save_snapshots()


def test_a_restart_loads_the_snapshots_instead_of_replaying_the_journal(tmp_path: Path) -> None:
    fill(tmp_path, DemoPlan(payments=200, end=END))
    with build(Settings(data_dir=str(tmp_path))) as fresh:
        fresh.projections.rebuild(PAYMENTS)
        expected = statistics(fresh)

    with build(Settings(data_dir=str(tmp_path))) as again:
        assert again.payments_view.generation == 1  # swapped in from a snapshot
        assert again.event_counters.generation == 1
        assert again.projections.status(PAYMENTS).position == again.store.last_position()
        assert statistics(again) == expected


def test_events_after_the_snapshot_are_replayed_on_start(tmp_path: Path) -> None:
    first = DemoPlan(payments=150, end=END, seed=1)
    fill(tmp_path, first)
    later = DemoPlan(payments=50, end=datetime(2025, 12, 31, tzinfo=UTC), months=5, seed=2)
    clock = SimulatedClock(later.start)
    with build(Settings(data_dir=str(tmp_path), fsync="never"), clock=clock) as app:
        run_demo(later, app.commands.handle, clock)  # no snapshot saved after these

    with build(Settings(data_dir=str(tmp_path))) as again:
        total = again.queries.ask(SearchPayments(operator=True, size=1)).total
        restored = statistics(again)
        trends = again.queries.ask(
            GetEventTrends(
                event_type="PaymentRequested",
                since=first.start,
                until=later.end,
                interval="month",
                operator=True,
            )
        )
        again.projections.rebuild(PAYMENTS)
        again.projections.rebuild(EVENT_COUNTERS)
        assert statistics(again) == restored
    assert total == 200
    assert sum(trends.buckets.values()) == 200


def test_snapshots_live_in_the_data_directory(tmp_path: Path) -> None:
    fill(tmp_path, DemoPlan(payments=20, end=END))

    names = sorted(p.name.split("@")[0] for p in (tmp_path / SNAPSHOTS_DIR).iterdir())

    assert names == [f"projection.{EVENT_COUNTERS}", f"projection.{PAYMENTS}"]


def test_an_in_memory_service_saves_no_snapshot() -> None:
    with build() as app:
        assert app.save_snapshots() == {}


def test_a_start_reports_the_replay_of_the_journal_up_to_its_whole_size(tmp_path: Path) -> None:
    # given a journal of some payments
    fill(tmp_path, DemoPlan(payments=50, end=END))
    calls: list[tuple[int, int]] = []
    # when the service starts with a progress callback
    with build(Settings(data_dir=str(tmp_path)), replay_progress=lambda *c: calls.append(c)):
        pass
    # then the replay reported its progress, rising to the journal's whole size
    assert calls
    done, total = calls[-1]
    assert done == total > 0
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
