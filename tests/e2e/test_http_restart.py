"""First start, tokens from the CLI, and a restart that keeps every payment (the journal)."""

from __future__ import annotations

from pathlib import Path

import pytest

from billing.entrypoints.cli import main
from tests.e2e.http_client import create_payment, process
from tests.e2e.http_harness import TOKEN_PATTERN, BillingServer, Tenant


class _Run:
    """What one ``billing`` command printed, and its exit code."""

    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


def _billing(capsys: pytest.CaptureFixture[str], *args: str) -> _Run:
    """Run the ``billing`` console script's ``main`` in this process, as a shell would."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return _Run(code, out, err)


def test_first_start_prints_an_operator_and_a_demo_token_once_and_where_it_listens(
    tmp_path: Path,
) -> None:
    with BillingServer(tmp_path / "data") as server:
        operator_token, demo_token = TOKEN_PATTERN.findall(server.stdout())
        assert server.url.removeprefix("http://") in server.stdout()
        operator = server.client(operator_token)
        demo = server.client(demo_token)
        assert operator.get("/projections").status_code == 200
        created = demo.post("/payments", json={"user_id": "u", "amount": "1.00", "currency": "EUR"})
        assert created.json()["payment"]["organization_id"] == "demo"
        server.restart()
        assert TOKEN_PATTERN.findall(server.stdout()) == []
        assert server.client(demo_token).get("/payments").json()["total"] == 1


def test_tokens_are_created_listed_and_revoked_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = str(tmp_path / "data")

    created = _billing(capsys, "tokens", "create", "--org", "acme", "--data-dir", data)
    operator = _billing(capsys, "tokens", "create", "--operator", "--data-dir", data)
    neither = _billing(capsys, "tokens", "create", "--data-dir", data)
    listed = _billing(capsys, "tokens", "list", "--data-dir", data)

    assert created.returncode == 0, created.stderr
    assert len(TOKEN_PATTERN.findall(created.stdout)) == 1
    assert operator.returncode == 0
    assert neither.returncode == 2
    assert "--org" in neither.stderr
    assert "acme" in listed.stdout
    assert "operator" in listed.stdout
    token_id = next(w for w in created.stdout.split() if w.startswith("tok_"))
    assert _billing(capsys, "tokens", "revoke", token_id, "--data-dir", data).returncode == 0
    assert token_id not in _billing(capsys, "tokens", "list", "--data-dir", data).stdout
    assert _billing(capsys, "tokens", "revoke", token_id, "--data-dir", data).returncode == 3
    stored = (tmp_path / "data" / "tokens.json").read_text()
    assert TOKEN_PATTERN.findall(operator.stdout)[0] not in stored


def test_a_restarted_server_serves_every_payment_from_the_journal(tmp_path: Path) -> None:
    server = BillingServer(tmp_path / "data", fsync="always")
    with server:
        tenant: Tenant = server.tenant("acme")
        kept = [create_payment(tenant, amount=f"{i}.00") for i in range(1, 6)]
        process(tenant, kept[0])
        before = tenant.client.get("/payments/statistics").json()
        position = kept[-1]["position"]

        server.restart()

        after_client = server.client(tenant.token)
        for created in kept:
            payment_id = created["payment"]["payment_id"]
            assert after_client.get(f"/payments/{payment_id}").status_code == 200
        assert after_client.get("/payments/statistics").json() == before
        history = after_client.get(f"/payments/{kept[0]['payment']['payment_id']}/history")
        assert [e["event_type"] for e in history.json()["events"]] == [
            "PaymentRequested",
            "PaymentProcessed",
        ]
        again = create_payment(server.tenant("acme"))
        assert again["position"] > position


def test_a_graceful_stop_snapshots_the_read_models_for_a_fast_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with BillingServer(data) as server:
        _, demo_token = TOKEN_PATTERN.findall(server.stdout())
        demo = server.client(demo_token)
        created = demo.post("/payments", json={"user_id": "u", "amount": "2.00", "currency": "EUR"})
        assert created.status_code == 201
        assert not any((data / "snapshots").rglob("*.*")), "snapshots before any stop"
        server.restart()
        assert any((data / "snapshots").rglob("*.*")), "no snapshot file after a graceful stop"
        assert server.client(demo_token).get("/payments").json()["total"] == 1
