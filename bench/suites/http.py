"""HTTP API: requests/s and p50/p99 of the billing service, next to FastAPI on the same engine.

The data directory is filled once in this process through the command bus (100,000 payments in
20 organizations, most processed; ``--quick``: 2,000), then copied, so each server replays the
same journal. Each server runs alone in its own process (``billing serve``, and the FastAPI
anchor in ``bench.anchors.fastapi_billing``), one uvicorn worker each; this process is the load
generator (``bench.http_load``: asyncio, 16 keep-alive connections). Every trial runs a fixed
number of operations; a failed request fails the suite.
"""

from __future__ import annotations

import json
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from bench.harness import Bench
from bench.http_load import LoadResult, Request, run_load
from billing.bootstrap import Settings, build
from billing.domain import ProcessPayment, RequestPayment
from billing.entrypoints.http.tokens import TokenStore

__all__ = ["run"]

ORGS = 20
CURRENCIES = ("EUR", "USD", "GBP")
CONNECTIONS = 16
BENCH_ORG = "org-00"


def _fill(data_dir: Path, payments: int) -> list[str]:
    """Request (and mostly process) payments through the command bus; the bench org's ids."""
    rng = random.Random(7)
    ids: list[str] = []
    with build(Settings(data_dir=str(data_dir), fsync="never")) as service:
        for i in range(payments):
            org = f"org-{i % ORGS:02d}"
            payment_id = f"pay-{i:07d}"
            currency = CURRENCIES[i % len(CURRENCIES)]
            amount = Decimal(rng.randrange(100, 100_000)) / 100
            service.commands.handle(
                RequestPayment(
                    payment_id=payment_id,
                    organization_id=org,
                    user_id=f"user-{rng.randrange(500)}",
                    amount=amount,
                    currency=currency,
                    description=rng.choice(("Compute", "Storage", "GPU", "Network")) + " usage",
                )
            )
            if i % 5:
                service.commands.handle(
                    ProcessPayment(payment_id=payment_id, amount=amount, currency=currency)
                )
            if org == BENCH_ORG:
                ids.append(payment_id)
    return ids


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def _server(command: Sequence[str], port: int, timeout: float = 300.0) -> Iterator[None]:
    """Start a server process and wait until it answers; stop it afterwards."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{command[2]} exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/docs", timeout=1):
                    break
            except OSError as exc:
                if getattr(exc, "code", None) is not None:  # it answered, even with an error
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{command[2]} did not start in {timeout} s") from exc
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(30)


def _record_load(
    bench: Bench,
    name: str,
    ours: list[LoadResult],
    anchor: list[LoadResult] | None = None,
    anchor_name: str = "",
    unit: str = "requests/s",
) -> None:
    for result in (*ours, *(anchor or ())):
        if result.failures:
            raise RuntimeError(f"{name}: {result.failures} operations failed")
    bench.record(
        f"{name}: throughput",
        unit=unit,
        ours=[r.ops_per_second for r in ours],
        anchor=None if anchor is None else [r.ops_per_second for r in anchor],
        anchor_name=anchor_name,
    )
    for p in (50, 99):
        bench.record(
            f"{name}: p{p} latency",
            unit="ms",
            better="lower",
            ours=[r.percentile(p) for r in ours],
            anchor=None if anchor is None else [r.percentile(p) for r in anchor],
            anchor_name=anchor_name,
        )


def run(bench: Bench) -> None:
    payments = bench.size(100_000, 2_000)
    requests = bench.size(5_000, 500)
    writes = bench.size(1_000, 200)
    bench.context.update(
        payments=payments,
        organizations=ORGS,
        requests_per_trial=requests,
        writes_per_trial=writes,
        connections=CONNECTIONS,
    )
    with tempfile.TemporaryDirectory(prefix="bench-http-") as tmp:
        ours_dir, anchor_dir = Path(tmp) / "ours", Path(tmp) / "anchor"
        started = time.perf_counter()
        ids = _fill(ours_dir, payments)
        bench.context["fill_seconds"] = round(time.perf_counter() - started, 1)
        _, token = TokenStore(ours_dir).create(BENCH_ORG)
        shutil.copytree(ours_dir, anchor_dir)
        auth = {"Authorization": f"Bearer {token}"}
        rng = random.Random(11)

        def get_payment(_: int) -> Sequence[Request]:
            return [Request("GET", f"/payments/{rng.choice(ids)}", auth)]

        ours_port, anchor_port = _free_port(), _free_port()
        serve = [sys.executable, "-m", "billing", "serve", "--port", str(ours_port)]
        serve += ["--data-dir", str(ours_dir), "--fsync", "interval", "--log-level", "warning"]
        anchor = [sys.executable, "-m", "bench.anchors.fastapi_billing"]
        anchor += ["--data-dir", str(anchor_dir), "--port", str(anchor_port)]
        with _server(serve, ours_port), _server(anchor, anchor_port):

            def load(port: int, make: Callable[[int], Sequence[Request]], count: int) -> LoadResult:
                return run_load("127.0.0.1", port, make, count, CONNECTIONS)

            load(ours_port, get_payment, requests // 5)  # warm-up, unrecorded
            load(anchor_port, get_payment, requests // 5)
            ours_get: list[LoadResult] = []
            anchor_get: list[LoadResult] = []
            for trial in range(bench.trials):
                pair = [(ours_port, ours_get), (anchor_port, anchor_get)]
                for port, results in pair if trial % 2 == 0 else reversed(pair):
                    results.append(load(port, get_payment, requests))
            _record_load(
                bench,
                "GET /payments/{id}",
                ours_get,
                anchor_get,
                "FastAPI + uvicorn, same engine, same auth and query",
            )

            def search(_: int) -> Sequence[Request]:
                page = rng.randrange(1, 5)
                path = f"/payments?status=completed&currency=EUR&sort=-amount&size=20&page={page}"
                return [Request("GET", path, auth)]

            _record_load(
                bench,
                "GET /payments?status=completed&currency=EUR (search)",
                [load(ours_port, search, requests) for _ in range(bench.trials)],
            )

            def statistics(_: int) -> Sequence[Request]:
                day = rng.randrange(1, 28)
                since = datetime(2020, 1, day, tzinfo=UTC).isoformat().replace("+00:00", "Z")
                return [Request("GET", f"/payments/statistics?from={since}", auth)]

            _record_load(
                bench,
                "GET /payments/statistics",
                [load(ours_port, statistics, requests) for _ in range(bench.trials)],
            )

            counter = iter(range(10**9))

            def create_and_process(_: int) -> Sequence[Request]:
                payment_id = f"bench-{next(counter):09d}"
                headers = {**auth, "Content-Type": "application/json"}
                create = json.dumps(
                    {
                        "payment_id": payment_id,
                        "user_id": "user-1",
                        "amount": "12.50",
                        "currency": "EUR",
                        "description": "Bench",
                    }
                ).encode()
                process = json.dumps({"amount": "12.50", "currency": "EUR"}).encode()
                return [
                    Request("POST", "/payments", headers, create),
                    Request("POST", f"/payments/{payment_id}/process", headers, process),
                ]

            _record_load(
                bench,
                "POST /payments + POST /payments/{id}/process",
                [load(ours_port, create_and_process, writes) for _ in range(bench.trials)],
                unit="payments/s",
            )
