"""Safe retries with Idempotency-Key, over HTTP."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.e2e.http_client import assert_problem, create_payment
from tests.e2e.http_harness import Tenant

BODY = {"user_id": "user-1", "amount": "42.00", "currency": "EUR", "description": "Retry me"}


def test_a_retried_post_gets_the_first_response_and_creates_one_payment(org: Tenant) -> None:
    headers = {"Idempotency-Key": "create-1"}

    first = org.client.post("/payments", json=BODY, headers=headers)
    retry = org.client.post("/payments", json=BODY, headers=headers)

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert org.client.get("/payments").json()["total"] == 1


def test_the_same_key_with_another_body_is_a_422(org: Tenant) -> None:
    headers = {"Idempotency-Key": "create-2"}
    org.client.post("/payments", json=BODY, headers=headers)

    response = org.client.post("/payments", json={**BODY, "amount": "43.00"}, headers=headers)

    assert_problem(response, 422, field="Idempotency-Key")


def test_an_error_answer_is_replayed_too(org: Tenant) -> None:
    payment_id = create_payment(org)["payment"]["payment_id"]
    headers = {"Idempotency-Key": "refund-pending"}

    first = org.client.post(
        f"/payments/{payment_id}/refund", json={"amount": "1.00"}, headers=headers
    )
    retry = org.client.post(
        f"/payments/{payment_id}/refund", json={"amount": "1.00"}, headers=headers
    )

    assert first.status_code == retry.status_code == 409
    assert retry.json()["detail"] == first.json()["detail"]


def test_keys_are_scoped_per_tenant(org: Tenant, other_org: Tenant) -> None:
    headers = {"Idempotency-Key": "shared-key"}

    mine = org.client.post("/payments", json=BODY, headers=headers)
    theirs = other_org.client.post("/payments", json={**BODY, "amount": "7.00"}, headers=headers)

    assert mine.status_code == theirs.status_code == 201
    assert theirs.json()["payment"]["organization_id"] == other_org.organization_id
    assert theirs.json()["payment"]["payment_id"] != mine.json()["payment"]["payment_id"]


def test_concurrent_duplicates_run_the_command_once(org: Tenant) -> None:
    headers = {**org.headers, "Idempotency-Key": "burst-1"}

    def send(_: int) -> httpx.Response:
        url = str(org.client.base_url.join("/payments"))
        return httpx.post(url, json=BODY, headers=headers, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(send, range(8)))

    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["payment"]["payment_id"] for r in responses}) == 1
    assert org.client.get("/payments").json()["total"] == 1


def test_a_malformed_key_is_a_400(org: Tenant) -> None:
    response = org.client.post("/payments", json=BODY, headers={"Idempotency-Key": "a b"})

    assert_problem(response, 400, field="Idempotency-Key")


def test_a_command_on_a_payment_retried_with_its_key_is_applied_once(org: Tenant) -> None:
    created = create_payment(org, amount="30.00")
    payment_id = created["payment"]["payment_id"]
    org.client.post(f"/payments/{payment_id}/process", json={"amount": "30.00", "currency": "EUR"})
    headers = {"Idempotency-Key": "refund-once"}
    body = {"amount": "10.00", "reason": "goodwill"}

    first = org.client.post(f"/payments/{payment_id}/refund", json=body, headers=headers)
    retry = org.client.post(f"/payments/{payment_id}/refund", json=body, headers=headers)
    other = org.client.post(
        f"/payments/{payment_id}/refund", json={**body, "amount": "11.00"}, headers=headers
    )

    assert first.status_code == retry.status_code == 200
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json()
    assert retry.headers["etag"] == first.headers["etag"] == '"3"'
    assert_problem(other, 422, field="Idempotency-Key")
    assert org.client.get(f"/payments/{payment_id}").json()["refunded_amount"] == "10.00"
