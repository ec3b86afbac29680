"""When the journal cannot write (a full disk), commands are 503 and reads keep working."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.http_client import assert_problem
from tests.e2e.http_harness import BillingServer

BODY = {"user_id": "u", "amount": "1.00", "currency": "EUR", "description": "x" * 400}


def test_a_full_disk_turns_commands_into_503_while_reads_and_health_answer(
    tmp_path: Path,
) -> None:
    # the server's files may not grow past 256 KiB: the journal soon fails like a full disk
    with BillingServer(tmp_path / "data", fsync="always", file_size_limit=256 * 1024) as server:
        tenant = server.tenant("acme")
        written: list[str] = []
        response = tenant.client.post("/payments", json=BODY)
        while response.status_code == 201 and len(written) < 5_000:
            written.append(response.json()["payment"]["payment_id"])
            response = tenant.client.post("/payments", json=BODY)

        problem = assert_problem(response, 503)
        again = tenant.client.post("/payments", json=BODY)
        health = server.client().get("/health")

        assert written, "the limit left no room for a single payment"
        assert "journal" in problem["title"].lower()
        assert response.headers["retry-after"] == "1"
        assert_problem(again, 503)
        assert tenant.client.get(f"/payments/{written[0]}").status_code == 200
        assert tenant.client.get("/payments").json()["total"] == len(written)
        assert health.status_code == 503
        assert health.json()["journal_writable"] is False
        errors = [
            json.loads(line)
            for line in server.stderr_path.read_text().splitlines()
            if '"level": "error"' in line and "billing.http" in line
        ]
        assert problem["request_id"] in {e.get("request_id") for e in errors}
