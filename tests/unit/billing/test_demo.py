"""The demo data set: every lifecycle, several currencies and tenants, accepted by the domain."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from billing.application.command_handlers import HANDLERS
from billing.application.demo import DemoPlan, SimulatedClock, demo_commands
from billing.domain import Payment, RequestPayment
from eventram import CommandBus, CorrelationMiddleware, InMemoryEventStore, Repository, inject
from eventram import ValidationError as EventramValidationError

END = datetime(2025, 6, 30, 12, tzinfo=UTC)


def run_demo(plan: DemoPlan) -> tuple[InMemoryEventStore, Repository[Payment]]:
    clock = SimulatedClock(plan.start)
    store = InMemoryEventStore(clock=clock)
    payments = Repository(store, Payment)
    bus = CommandBus(
        {t: inject(h, {"payments": payments}) for t, h in HANDLERS.items()},
        [CorrelationMiddleware()],
    )
    for when, command in demo_commands(plan):
        clock.advance_to(when)
        bus.handle(command)
    return store, payments


def test_every_demo_command_is_accepted_and_covers_every_lifecycle() -> None:
    plan = DemoPlan(payments=1500, end=END, months=4)

    store, payments = run_demo(plan)

    ids = store.stream_ids()
    statuses = Counter(str(payments.load(i).status) for i in ids)
    assert len(ids) == 1500
    assert set(statuses) == {"pending", "completed", "failed", "partially_refunded", "refunded"}
    currencies = {payments.load(i).amount.currency for i in ids}
    assert {"EUR", "USD", "JPY"} <= currencies
    assert len({payments.load(i).organization_id for i in ids}) == plan.organization_count


def test_the_demo_log_is_time_ordered_and_spread_over_its_window() -> None:
    plan = DemoPlan(payments=300, end=END, months=3)

    store, _ = run_demo(plan)

    times = [e.recorded_at for e in store.read_all()]
    assert times == sorted(times)
    assert times[0] >= plan.start
    assert times[-1] <= plan.end
    assert times[-1] - times[0] > timedelta(days=80)


def test_the_same_seed_gives_the_same_payments() -> None:
    plan = DemoPlan(payments=50, end=END, seed=7)

    def requests(p: DemoPlan) -> list[tuple[str, str, str]]:
        return [
            (c.payment_id, str(c.amount), c.organization_id)
            for _, c in demo_commands(p)
            if isinstance(c, RequestPayment)
        ]

    assert requests(plan) == requests(plan)
    assert requests(plan) != requests(DemoPlan(payments=50, end=END, seed=8))


def test_a_correlation_id_ties_a_payments_commands_together() -> None:
    plan = DemoPlan(payments=40, end=END)

    by_payment: dict[str, set[str | None]] = {}
    for _, command in demo_commands(plan):
        by_payment.setdefault(command.payment_id, set()).add(command.correlation_id)

    assert all(len(ids) == 1 and None not in ids for ids in by_payment.values())


def test_the_simulated_clock_never_goes_back() -> None:
    clock = SimulatedClock(END)

    clock.advance_to(END - timedelta(hours=1))
    assert clock() == END
    clock.advance_to(END + timedelta(hours=1))
    assert clock() == END + timedelta(hours=1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"payments": 0}, "payments"),
        ({"months": 0}, "months"),
        ({"organizations": 0}, "organizations"),
        ({"end": datetime(2025, 1, 1)}, "end"),  # naive on purpose
    ],
)
def test_a_bad_plan_is_refused_naming_its_field(kwargs: dict[str, object], field: str) -> None:
    arguments: dict[str, object] = {"end": END, **kwargs}
    with pytest.raises(EventramValidationError) as caught:
        DemoPlan(**arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
