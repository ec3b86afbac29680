"""PaymentAnalytics: incremental totals equal a naive sum over the documents, at any range."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.application.analytics import PaymentAnalytics, PaymentTotals

T0 = datetime(2025, 3, 1, tzinfo=UTC)
STATUSES = ("pending", "completed", "failed", "partially_refunded", "refunded")
PROCESSED = {"completed", "partially_refunded", "refunded"}


def doc(
    n: int,
    *,
    org: str = "org-1",
    minutes: float = 0,
    status: str = "pending",
    currency: str = "EUR",
    amount: str = "10.00",
    refunded: str = "0.00",
) -> dict[str, Any]:
    return {
        "payment_id": f"p-{n}",
        "organization_id": org,
        "created_at": T0 + timedelta(minutes=minutes),
        "status": status,
        "currency": currency,
        "amount": Decimal(amount),
        "refunded_amount": Decimal(refunded),
    }


def scanner(docs: dict[str, dict[str, Any]]) -> Any:
    def scan(org: str | None, since: datetime, until: datetime) -> Iterable[Mapping[str, Any]]:
        return [
            d
            for d in docs.values()
            if (org is None or d["organization_id"] == org) and since <= d["created_at"] <= until
        ]

    return scan


def naive(
    docs: Iterable[Mapping[str, Any]],
    org: str | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    chosen = [
        d
        for d in docs
        if (org is None or d["organization_id"] == org)
        and (since is None or d["created_at"] >= since)
        and (until is None or d["created_at"] <= until)
    ]
    amount: dict[str, Decimal] = {}
    processed: dict[str, Decimal] = {}
    refunded: dict[str, Decimal] = {}
    for d in chosen:
        c = d["currency"]
        amount[c] = amount.get(c, Decimal(0)) + d["amount"]
        processed[c] = processed.get(c, Decimal(0)) + (
            d["amount"] if d["status"] in PROCESSED else Decimal(0)
        )
        refunded[c] = refunded.get(c, Decimal(0)) + d["refunded_amount"]
    return {
        "total": len(chosen),
        "by_status": Counter(d["status"] for d in chosen),
        "by_currency": Counter(d["currency"] for d in chosen),
        "by_day": Counter(d["created_at"].strftime("%Y-%m-%d") for d in chosen),
        "amount": amount,
        "processed": processed,
        "refunded": refunded,
    }


def as_dict(totals: PaymentTotals) -> dict[str, Any]:
    return {
        "total": totals.total,
        "by_status": +totals.by_status,
        "by_currency": +totals.by_currency,
        "by_day": +totals.by_day,
        "amount": totals.amount,
        "processed": totals.processed,
        "refunded": totals.refunded,
    }


def test_totals_sum_amounts_per_currency_and_never_across_currencies() -> None:
    analytics = PaymentAnalytics()
    docs = {
        "a": doc(1, status="completed", amount="100.00"),
        "b": doc(2, currency="USD", status="completed", amount="200.00"),
        "c": doc(3, status="refunded", amount="50.00", refunded="50.00"),
        "d": doc(4, currency="JPY", amount="1500", refunded="0"),
    }
    for d in docs.values():
        analytics.add(d)

    totals = analytics.totals("org-1", None, None, scanner(docs))

    assert totals.total == 4
    assert totals.amount == {"EUR": Decimal("150.00"), "USD": Decimal("200.00"), "JPY": 1500}
    assert totals.processed == {"EUR": Decimal("150.00"), "USD": Decimal("200.00"), "JPY": 0}
    assert totals.net() == {"EUR": Decimal("100.00"), "USD": Decimal("200.00"), "JPY": 0}
    assert dict(totals.by_status) == {"completed": 2, "refunded": 1, "pending": 1}


def test_removing_the_old_state_and_adding_the_new_moves_a_payment_between_statuses() -> None:
    analytics = PaymentAnalytics()
    pending = doc(1)
    analytics.add(pending)
    completed = {**pending, "status": "completed"}

    analytics.remove(pending)
    analytics.add(completed)

    totals = analytics.totals("org-1", None, None, scanner({"p-1": completed}))
    assert dict(totals.by_status) == {"completed": 1}
    assert totals.processed == {"EUR": Decimal("10.00")}


def test_moving_a_payment_gives_the_same_totals_as_removing_then_adding_it() -> None:
    moved, replaced = PaymentAnalytics(), PaymentAnalytics()
    before = doc(1, status="completed", amount="80.00")
    after = {**before, "status": "partially_refunded", "refunded_amount": Decimal("30.00")}
    for analytics in (moved, replaced):
        analytics.add(before)
        analytics.add(doc(2, currency="JPY", amount="500", refunded="0"))

    moved.move(before, after)
    replaced.remove(before)
    replaced.add(after)

    assert moved.rows() == replaced.rows()
    totals = moved.totals("org-1", None, None, scanner({}))
    assert dict(+totals.by_status) == {"partially_refunded": 1, "pending": 1}
    assert totals.refunded == {"EUR": Decimal("30.00"), "JPY": Decimal("0")}


def test_an_organization_without_payments_has_empty_totals() -> None:
    analytics = PaymentAnalytics()
    analytics.add(doc(1, org="org-1"))

    totals = analytics.totals("org-2", None, None, scanner({}))

    assert totals.total == 0
    assert analytics.organizations() == ["org-1"]


def test_removing_every_payment_leaves_no_bucket_behind() -> None:
    analytics = PaymentAnalytics()
    d = doc(1)
    analytics.add(d)
    analytics.remove(d)

    assert analytics.organizations() == []
    assert analytics.totals(None, None, None, scanner({})).total == 0


documents: st.SearchStrategy[list[dict[str, Any]]] = st.lists(
    st.builds(
        dict,
        organization_id=st.sampled_from(["org-1", "org-2", "org-3"]),
        created_at=st.integers(0, 3 * 24 * 60).map(lambda m: T0 + timedelta(minutes=m)),
        status=st.sampled_from(STATUSES),
        currency=st.sampled_from(["EUR", "USD", "JPY"]),
        amount=st.integers(1, 10**6).map(lambda c: Decimal(c).scaleb(-2)),
        refunded_amount=st.integers(0, 10**4).map(lambda c: Decimal(c).scaleb(-2)),
    ),
    max_size=60,
)
moments = st.none() | st.integers(-60, 4 * 24 * 60 * 60).map(lambda s: T0 + timedelta(seconds=s))


@settings(max_examples=150, deadline=None)
@given(
    docs=documents,
    removed=st.sets(st.integers(0, 59)),
    org=st.sampled_from([None, "org-1", "org-2"]),
    since=moments,
    until=moments,
)
def test_totals_over_any_range_equal_a_naive_sum_over_the_documents(
    docs: list[dict[str, Any]],
    removed: set[int],
    org: str | None,
    since: datetime | None,
    until: datetime | None,
) -> None:
    if since is not None and until is not None and until < since:
        since, until = until, since
    analytics = PaymentAnalytics()
    live: dict[str, dict[str, Any]] = {}
    for n, d in enumerate(docs):
        d["payment_id"] = f"p-{n}"
        analytics.add(d)
        live[d["payment_id"]] = d
    for n in removed:
        gone = live.pop(f"p-{n}", None)
        if gone is not None:
            analytics.remove(gone)

    totals = analytics.totals(org, since, until, scanner(live))

    assert as_dict(totals) == naive(live.values(), org, since, until)
