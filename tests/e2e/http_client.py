"""Small client-side helpers shared by the HTTP end-to-end tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.http_harness import Tenant

__all__ = ["assert_problem", "create_payment", "process"]


def create_payment(tenant: Tenant, **fields: Any) -> dict[str, Any]:
    """POST /payments with sensible defaults; assert 201 and return the response body."""
    body = {"user_id": "user-1", "amount": "100.00", "currency": "EUR", "description": "Cloud"}
    body.update(fields)
    response = tenant.client.post("/payments", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def process(tenant: Tenant, payment: dict[str, Any]) -> dict[str, Any]:
    """Process a payment for its requested amount; assert 200 and return the body."""
    p = payment["payment"]
    response = tenant.client.post(
        f"/payments/{p['payment_id']}/process",
        json={"amount": p["amount"], "currency": p["currency"]},
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def assert_problem(
    response: httpx.Response, status: int, field: str | None = None
) -> dict[str, Any]:
    """Assert an RFC 9457 problem document with this status (and offending field)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert problem["type"].startswith("https://")
    assert problem["title"]
    assert problem["detail"]
    assert "Traceback" not in response.text
    assert response.headers["x-request-id"] == problem["request_id"]
    if field is not None:
        assert problem.get("field") == field, problem
    return problem
