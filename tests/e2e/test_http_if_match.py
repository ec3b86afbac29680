"""If-Match as a client drives it: the version it saw, checked when the payment is written."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.e2e.http_client import assert_problem, create_payment, process
from tests.e2e.http_harness import Tenant


def _history_length(org: Tenant, payment_id: str) -> int:
    return len(org.client.get(f"/payments/{payment_id}/history").json()["events"])


def test_the_current_etag_lets_a_refund_through_and_gives_the_next_one(org: Tenant) -> None:
    created = create_payment(org, amount="50.00")
    payment_id = created["payment"]["payment_id"]
    etag = org.client.get(f"/payments/{payment_id}").headers["etag"]
    processed = org.client.post(
        f"/payments/{payment_id}/process",
        json={"amount": "50.00", "currency": "EUR"},
        headers={"If-Match": etag},
    )

    refunded = org.client.post(
        f"/payments/{payment_id}/refund",
        json={"amount": "5.00", "reason": "goodwill"},
        headers={"If-Match": processed.headers["etag"]},
    )

    assert (etag, processed.headers["etag"]) == ('"1"', '"2"')
    assert refunded.status_code == 200, refunded.text
    assert refunded.headers["etag"] == '"3"'
    assert refunded.json()["payment"]["status"] == "partially_refunded"


def test_a_stale_etag_is_a_412_and_writes_nothing(org: Tenant) -> None:
    created = create_payment(org, amount="50.00")
    payment_id = created["payment"]["payment_id"]
    process(org, created)  # the payment moves to version 2 behind the client's back

    stale = org.client.post(
        f"/payments/{payment_id}/refund",
        json={"amount": "5.00", "reason": "goodwill"},
        headers={"If-Match": '"1"', "Idempotency-Key": "stale-refund"},
    )
    retried = org.client.post(
        f"/payments/{payment_id}/refund",
        json={"amount": "5.00", "reason": "goodwill"},
        headers={"If-Match": '"1"', "Idempotency-Key": "stale-refund"},
    )

    problem = assert_problem(stale, 412, field="If-Match")
    assert problem["type"].endswith("/precondition-failed")
    assert '"1"' in problem["detail"]
    assert '"2"' in problem["detail"]
    assert_problem(retried, 412, field="If-Match")  # a stale version is never retried into success
    payment = org.client.get(f"/payments/{payment_id}").json()
    assert (payment["version"], payment["status"]) == (2, "completed")
    assert _history_length(org, payment_id) == 2


def test_a_stale_etag_is_a_412_even_where_the_payment_would_refuse_the_action(
    org: Tenant,
) -> None:
    created = create_payment(org, amount="50.00")
    payment_id = created["payment"]["payment_id"]
    process(org, created)

    again = org.client.post(
        f"/payments/{payment_id}/fail", json={"error": "late"}, headers={"If-Match": '"1"'}
    )

    assert_problem(again, 412, field="If-Match")


def test_two_concurrent_refunds_with_the_same_etag_exactly_one_succeeds(org: Tenant) -> None:
    created = create_payment(org, amount="50.00")
    payment_id = created["payment"]["payment_id"]
    etag = process(org, created)["version"]
    url = str(org.client.base_url.join(f"/payments/{payment_id}/refund"))

    def refund(amount: str) -> httpx.Response:
        body: dict[str, Any] = {"amount": amount, "currency": "EUR", "reason": "race"}
        headers = {**org.headers, "If-Match": f'"{etag}"'}
        return httpx.post(url, json=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(2) as pool:
        responses = list(pool.map(refund, ["10.00", "20.00"]))

    assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
    assert org.client.get(f"/payments/{payment_id}").json()["version"] == 3
    assert _history_length(org, payment_id) == 3
