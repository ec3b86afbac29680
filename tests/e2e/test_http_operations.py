"""Operator endpoints, health and metrics, over HTTP."""

from __future__ import annotations

import time

from tests.e2e.http_client import assert_problem, create_payment, process
from tests.e2e.http_harness import BillingServer, Tenant


def test_projections_report_mode_position_lag_and_state(operator: Tenant, org: Tenant) -> None:
    created = create_payment(org)

    projections = operator.client.get("/projections").json()

    assert projections, "no projection reported"
    for projection in projections:
        assert projection["mode"] in {"inline", "async"}
        assert projection["state"] in {"running", "catching_up", "rebuilding"}
        assert projection["lag_events"] >= 0
        assert projection["lag_seconds"] >= 0
    assert max(p["position"] for p in projections) >= created["position"]


def test_a_rebuild_is_accepted_and_its_progress_visible_until_it_is_done(
    operator: Tenant, org: Tenant
) -> None:
    process(org, create_payment(org))
    name = operator.client.get("/projections").json()[0]["name"]

    response = operator.client.post(f"/projections/{name}/rebuild")

    assert response.status_code == 202, response.text
    assert response.json() == {"name": name, "state": "rebuilding"}
    deadline = time.monotonic() + 30
    state = ""
    while time.monotonic() < deadline:
        status = next(p for p in operator.client.get("/projections").json() if p["name"] == name)
        state = status["state"]
        if state == "running" and status["rebuild_progress"] is None:
            break
        time.sleep(0.05)
    assert state == "running"
    assert org.client.get("/payments").json()["total"] == 1


def test_rebuilding_an_unknown_projection_is_a_404(operator: Tenant) -> None:
    assert_problem(operator.client.post("/projections/no-such-projection/rebuild"), 404)


def test_health_says_the_journal_is_writable_and_projections_run(server: BillingServer) -> None:
    response = server.client().get("/health")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["journal_writable"] is True
    assert response.json()["projections_running"] is True


def test_metrics_expose_requests_commands_events_cache_and_projection_lag(
    server: BillingServer, org: Tenant
) -> None:
    created = create_payment(org)
    org.client.get(f"/payments/{created['payment']['payment_id']}")
    org.client.get("/payments/statistics")
    org.client.get("/payments/statistics")

    text = server.client().get("/metrics").text

    for name in (
        "billing_http_requests_total",
        "billing_http_request_duration_seconds_bucket",
        'billing_commands_total{command="RequestPayment",outcome="ok"}',
        "billing_events_appended_total",
        "eventram_store_position",
        "eventram_projection_lag_events",
        "eventram_projection_lag_seconds",
        "eventram_query_cache_hits_total",
        "eventram_query_cache_misses_total",
    ):
        assert name in text, name


def test_the_openapi_document_and_swagger_ui_need_no_token(server: BillingServer) -> None:
    anonymous = server.client()

    document = anonymous.get("/schema/openapi.json")
    swagger = anonymous.get("/schema/swagger")

    assert document.status_code == 200
    assert "/payments/{payment_id}/refund" in document.json()["paths"]
    assert swagger.status_code == 200
    assert "swagger" in swagger.text.lower()
