"""Payment analytics (a counter table configured by billing): totals equal a naive sum over the
documents, at any range, exact at its edges."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.application.counters import payment_analytics, payment_fact
from eventram.readmodel import CounterTable

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


def totals(
    table: CounterTable, org: str | None, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """What the table answers, in the shape :func:`naive` gives."""
    found = table.breakdown(
        since,
        until,
        where={} if org is None else {"organization_id": org},
        by=("status", "currency"),
        per=("day",),
    )
    by_currency = found.by["currency"]
    return {
        "total": found.total.count,
        "by_status": Counter({k: v.count for k, v in found.by["status"].items()}),
        "by_currency": Counter({k: v.count for k, v in by_currency.items()}),
        "by_day": Counter({k: v.count for k, v in found.per["day"].items()}),
        "amount": {k: v.sums["amount"] for k, v in by_currency.items()},
        "processed": {k: v.sums["processed"] for k, v in by_currency.items()},
        "refunded": {k: v.sums["refunded"] for k, v in by_currency.items()},
    }


def filled(docs: dict[str, dict[str, Any]]) -> CounterTable:
    table = payment_analytics(scanner(docs))
    for d in docs.values():
        table.add(payment_fact(d))
    return table


def test_totals_sum_amounts_per_currency_and_never_across_currencies() -> None:
    table = filled(
        {
            "a": doc(1, status="completed", amount="100.00"),
            "b": doc(2, currency="USD", status="completed", amount="200.00"),
            "c": doc(3, status="refunded", amount="50.00", refunded="50.00"),
            "d": doc(4, currency="JPY", amount="1500", refunded="0"),
        }
    )

    found = totals(table, "org-1", None, None)

    assert found["total"] == 4
    assert found["amount"] == {"EUR": Decimal("150.00"), "USD": Decimal("200.00"), "JPY": 1500}
    assert found["processed"] == {"EUR": Decimal("150.00"), "USD": Decimal("200.00"), "JPY": 0}
    assert found["refunded"] == {"EUR": Decimal("50.00"), "USD": Decimal("0.00"), "JPY": 0}
    assert dict(found["by_status"]) == {"completed": 2, "refunded": 1, "pending": 1}


def test_sums_keep_the_scale_of_the_currency() -> None:
    table = filled({"a": doc(1, amount="10.50"), "b": doc(2, currency="JPY", amount="7")})

    found = totals(table, None, None, None)

    assert [str(found["processed"][c]) for c in ("EUR", "JPY")] == ["0.00", "0"]
    assert str(found["amount"]["EUR"]) == "10.50"


def test_moving_a_payment_between_statuses_moves_its_count_and_amounts() -> None:
    pending = doc(1)
    table = filled({"p-1": pending})
    completed = {**pending, "status": "completed"}

    table.move(payment_fact(pending), payment_fact(completed))

    found = totals(table, "org-1", None, None)
    assert dict(found["by_status"]) == {"completed": 1}
    assert found["processed"] == {"EUR": Decimal("10.00")}


def test_moving_a_payment_gives_the_same_totals_as_retracting_then_adding_it() -> None:
    before = doc(1, status="completed", amount="80.00")
    after = {**before, "status": "partially_refunded", "refunded_amount": Decimal("30.00")}
    docs = {"p-1": before, "p-2": doc(2, currency="JPY", amount="500", refunded="0")}
    moved, replaced = filled(docs), filled(docs)

    moved.move(payment_fact(before), payment_fact(after))
    replaced.retract(payment_fact(before))
    replaced.add(payment_fact(after))

    assert totals(moved, None, None, None) == totals(replaced, None, None, None)
    found = totals(moved, "org-1", None, None)
    assert dict(found["by_status"]) == {"partially_refunded": 1, "pending": 1}
    assert found["refunded"] == {"EUR": Decimal("30.00"), "JPY": Decimal("0")}


def test_an_organization_without_payments_has_empty_totals() -> None:
    table = filled({"p-1": doc(1, org="org-1")})

    assert totals(table, "org-2", None, None)["total"] == 0
    assert list(table.breakdown(by=["organization_id"]).by["organization_id"]) == ["org-1"]


def test_retracting_every_payment_leaves_nothing_counted() -> None:
    d = doc(1)
    table = filled({"p-1": d})

    table.retract(payment_fact(d))

    assert table.breakdown(by=["organization_id"]).by == {"organization_id": {}}
    assert totals(table, None, None, None)["total"] == 0


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
    live: dict[str, dict[str, Any]] = {}
    table = payment_analytics(scanner(live))
    for n, d in enumerate(docs):
        d["payment_id"] = f"p-{n}"
        table.add(payment_fact(d))
        live[d["payment_id"]] = d
    for n in removed:
        gone = live.pop(f"p-{n}", None)
        if gone is not None:
            table.retract(payment_fact(gone))

    assert totals(table, org, since, until) == naive(live.values(), org, since, until)
