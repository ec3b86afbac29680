"""Authentication, operator-only endpoints and error documents, over HTTP."""

from __future__ import annotations

import pytest

from tests.e2e.http_client import assert_problem, create_payment
from tests.e2e.http_harness import BillingServer, Tenant

PRIVATE = [
    ("POST", "/payments"),
    ("POST", "/payments/p1/process"),
    ("POST", "/payments/p1/fail"),
    ("POST", "/payments/p1/refund"),
    ("GET", "/payments/p1"),
    ("GET", "/payments"),
    ("GET", "/payments/statistics"),
    ("GET", "/payments/suggestions?q=a"),
    ("GET", "/payments/p1/history"),
    ("GET", "/events"),
    ("GET", "/events/statistics"),
    ("GET", "/events/trends"),
    ("GET", "/projections"),
    ("POST", "/projections/payments/rebuild"),
]


@pytest.mark.parametrize(("method", "path"), PRIVATE)
def test_every_private_endpoint_needs_a_valid_bearer_token(
    server: BillingServer, method: str, path: str
) -> None:
    anonymous = server.client()

    missing = anonymous.request(method, path, json={})
    unknown = anonymous.request(method, path, json={}, headers={"Authorization": "Bearer nope"})
    wrong_scheme = anonymous.request(method, path, json={}, headers={"Authorization": "Basic x"})

    for response in (missing, unknown, wrong_scheme):
        assert_problem(response, 401)
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/projections"), ("POST", "/projections/payments/rebuild")]
)
def test_operations_are_for_operators_only(org: Tenant, method: str, path: str) -> None:
    assert_problem(org.client.request(method, path), 403)


def test_an_operator_cannot_request_a_payment_for_no_organization(operator: Tenant) -> None:
    response = operator.client.post(
        "/payments", json={"user_id": "u", "amount": "1.00", "currency": "EUR"}
    )

    assert_problem(response, 403)


def test_unknown_routes_and_methods_are_problem_documents(org: Tenant) -> None:
    assert_problem(org.client.get("/nowhere"), 404)
    assert_problem(org.client.delete("/payments"), 405)


def test_the_request_id_is_returned_and_a_sane_client_id_is_kept(org: Tenant) -> None:
    mine = org.client.get("/payments", headers={"X-Request-ID": "trace-123"})
    generated = org.client.get("/payments")
    hostile = org.client.get("/payments", headers={"X-Request-ID": "x" * 500})

    assert mine.headers["x-request-id"] == "trace-123"
    assert len(generated.headers["x-request-id"]) == 32
    assert hostile.headers["x-request-id"] != "x" * 500


def test_a_revoked_token_is_refused_by_the_running_server(server: BillingServer) -> None:
    from billing.entrypoints.http.tokens import TokenStore

    tenant = server.tenant()
    create_payment(tenant)
    store = TokenStore(server.data_dir)
    record = next(r for r in store.records() if r.organization_id == tenant.organization_id)

    store.revoke(record.token_id)

    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if tenant.client.get("/payments").status_code == 401:
            break
        time.sleep(0.1)
    assert_problem(tenant.client.get("/payments"), 401)


def test_access_logs_carry_request_id_tenant_status_and_duration(
    server: BillingServer, org: Tenant
) -> None:
    import json
    import time

    response = org.client.get("/payments", headers={"X-Request-ID": "log-check-1"})
    assert response.status_code == 200

    deadline = time.monotonic() + 5
    entry: dict[str, object] = {}
    while time.monotonic() < deadline and not entry:
        for line in server.stderr_path.read_text().splitlines():
            if '"log-check-1"' in line:
                entry = json.loads(line)
        time.sleep(0.05)
    assert entry["logger"] == "billing.http.access"
    assert entry["tenant"] == org.organization_id
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float)
