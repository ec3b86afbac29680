"""Random sequences of commands never break the money invariants of the read side.

Hypothesis sends requests, processings, failures and refunds (valid or not) through the built
service, moving the clock between them, then checks the payments read model and its statistics:

- what was refunded never exceeds what was processed, and nothing is refunded before processing;
- the status agrees with the amounts and with the times recorded;
- each document agrees with the aggregate replayed from the event store;
- per currency, the sums in the statistics equal the sums over the documents, for every
  organization and for all of them, over the whole log and over a random time range.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.application.demo import SimulatedClock
from billing.application.queries import GetPaymentStatistics, PaymentStatistics
from billing.bootstrap import BillingApp, Settings, build
from billing.domain import (
    FailPayment,
    PaymentCommand,
    ProcessPayment,
    RefundPayment,
    RequestPayment,
    minor_units,
)
from eventram import DomainError, NotFoundError, ValidationError

T0 = datetime(2025, 1, 1, tzinfo=UTC)
ORGS = ("org-a", "org-b")
PROCESSED = {"completed", "partially_refunded", "refunded"}

step = st.tuples(
    st.sampled_from(["request", "process", "process", "fail", "refund", "refund", "refund_rest"]),
    st.integers(0, 3),  # payment
    st.sampled_from(ORGS),
    st.sampled_from(["EUR", "JPY", "KWD"]),
    st.integers(1, 10**6),  # amount in minor units
    st.integers(1, 100),  # refund share, percent of what is left
    st.integers(0, 600),  # minutes to move the clock forward first
)


def money(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-minor_units(currency))


def command_for(app: BillingApp, raw: tuple[Any, ...]) -> PaymentCommand:
    kind, n, org, currency, minor, share, _ = raw
    payment_id = f"p-{n}"
    if kind == "request":
        return RequestPayment(
            payment_id=payment_id,
            organization_id=org,
            user_id=f"{org}-user",
            amount=money(minor, currency),
            currency=currency,
            description="Compute",
        )
    payment = app.payments.get(payment_id)
    if payment is None:
        return FailPayment(payment_id=payment_id, error="no such payment")  # refused: not found
    amount = payment.amount
    if kind == "process":
        return ProcessPayment(payment_id=payment_id, amount=amount.amount, currency=amount.currency)
    if kind == "fail":
        return FailPayment(payment_id=payment_id, error="card_declined")
    left = payment.remaining
    if kind == "refund_rest" or left.minor < 2:
        value = left.amount if left.is_positive() else amount.amount
    else:
        value = money(max(1, left.minor * share // 100), amount.currency)
    return RefundPayment(
        payment_id=payment_id, amount=value, currency=amount.currency, reason="customer request"
    )


def naive_statistics(docs: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Decimal] = {}
    processed: dict[str, Decimal] = {}
    refunded: dict[str, Decimal] = {}
    for doc in docs:
        currency = doc["currency"]
        zero = doc["amount"] - doc["amount"]
        total[currency] = total.get(currency, zero) + doc["amount"]
        done = doc["amount"] if doc["status"] in PROCESSED else zero
        processed[currency] = processed.get(currency, zero) + done
        refunded[currency] = refunded.get(currency, zero) + doc["refunded_amount"]
    return {
        "total": len(docs),
        "by_status": dict(Counter(d["status"] for d in docs)),
        "by_currency": dict(Counter(d["currency"] for d in docs)),
        "total_amount": total,
        "processed_amount": processed,
        "refunded_amount": refunded,
    }


def as_compared(stats: PaymentStatistics) -> dict[str, Any]:
    return {
        "total": stats.total,
        "by_status": stats.by_status,
        "by_currency": stats.by_currency,
        "total_amount": stats.total_amount,
        "processed_amount": stats.processed_amount,
        "refunded_amount": stats.refunded_amount,
    }


def check_document(app: BillingApp, doc: dict[str, Any]) -> None:
    amount, refunded, status = doc["amount"], doc["refunded_amount"], doc["status"]
    assert 0 <= refunded <= amount
    if status in ("pending", "failed", "completed"):
        assert refunded == 0
    if status == "partially_refunded":
        assert 0 < refunded < amount
    if status == "refunded":
        assert refunded == amount
    assert (doc["processed_at"] is not None) == (status in PROCESSED)
    assert (doc["failed_at"] is not None) == (status == "failed")
    assert (doc["refunded_at"] is not None) == (refunded > 0)
    assert str(refunded).count(".") == str(amount).count(".")  # same minor units
    payment = app.payments.load(doc["payment_id"])
    assert (str(payment.status), payment.refunded.amount) == (status, refunded)
    assert doc["version"] == payment.version


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    steps=st.lists(step, min_size=4, max_size=40),
    window=st.tuples(st.integers(0, 24_000), st.integers(0, 24_000)),
)
def test_random_commands_never_break_the_money_invariants(
    steps: list[tuple[Any, ...]], window: tuple[int, int]
) -> None:
    clock = SimulatedClock(T0)
    with build(Settings(query_cache_entries=0), clock=clock) as app:
        for raw in steps:
            clock.advance_to(clock() + timedelta(minutes=raw[-1]))
            command = command_for(app, raw)
            # a refused command stores nothing; the read side must not care
            with contextlib.suppress(DomainError, ValidationError, NotFoundError):
                app.commands.handle(command)

        collection = app.payments_view.state.payments
        docs = [collection.get(i) for i in sorted(f"p-{n}" for n in range(4))]
        present = [d for d in docs if d is not None]
        assert len(present) == len(app.store.stream_ids())
        for doc in present:
            check_document(app, doc)

        since, until = (T0 + timedelta(minutes=m) for m in sorted(window))
        for org in (None, *ORGS):
            mine = [d for d in present if org is None or d["organization_id"] == org]
            scope: dict[str, Any] = {"operator": True, "organization_id": org}
            everything = app.queries.ask(GetPaymentStatistics(**scope))
            assert as_compared(everything) == naive_statistics(mine)
            in_range = app.queries.ask(GetPaymentStatistics(since=since, until=until, **scope))
            chosen = [d for d in mine if since <= d["created_at"] <= until]
            assert as_compared(in_range) == naive_statistics(chosen)
            for currency, net in in_range.net_amount.items():
                processed = in_range.processed_amount[currency]
                assert net == processed - in_range.refunded_amount[currency]
