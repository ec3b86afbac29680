"""With async projections, ``min_position`` is what gives a client read-your-writes."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.http_client import create_payment, process
from tests.e2e.http_harness import BillingServer


def test_reads_with_min_position_see_the_write_when_projections_run_in_the_background(
    tmp_path: Path,
) -> None:
    with BillingServer(tmp_path / "data", projections="async") as server:
        tenant = server.tenant("acme")
        operator = server.operator()
        created = create_payment(tenant, description="Async read")
        processed = process(tenant, created)
        payment_id = created["payment"]["payment_id"]
        position = processed["position"]

        payment = tenant.client.get(f"/payments/{payment_id}", params={"min_position": position})
        history = tenant.client.get(
            f"/payments/{payment_id}/history", params={"min_position": position}
        )
        search = tenant.client.get("/payments", params={"min_position": position})
        modes = {p["mode"] for p in operator.client.get("/projections").json()}

        assert processed["payment"]["status"] == "completed"
        assert payment.json()["status"] == "completed"
        assert payment.json()["version"] == 2
        assert len(history.json()["events"]) == 2
        assert search.json()["total"] == 1
        assert modes == {"async"}
