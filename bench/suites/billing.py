"""Billing service: the payment lifecycle with its read side, and the demo data set at scale.

The lifecycle figures run the real billing service as ``billing.bootstrap.build`` wires it (in
memory; command bus with logging, idempotency, correlation and retry middleware; validation;
Money; the Payment aggregate) next to the same lifecycle on the ``eventsourcing`` library's POPO
application (``bench.anchors.eventsourcing_payment``), which keeps no read model. The demo
figures run ``billing demo`` as a user does, in a child process, journaled to a temporary data
directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from decimal import Decimal
from importlib import metadata
from pathlib import Path
from uuid import UUID

from bench.harness import Bench
from bench.measure import Body, rate
from billing.bootstrap import Settings, build
from billing.domain import ProcessPayment, RequestPayment
from eventram import Command

try:
    from bench.anchors.eventsourcing_payment import ESPaymentsApp
except ImportError as exc:  # the ``bench`` extra is not installed
    raise ImportError(
        f"the eventsourcing anchor needs `pip install -e '.[bench]'` ({exc})"
    ) from exc

__all__ = ["run"]

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
_CURRENCIES = ("EUR", "USD", "GBP", "CHF")
_DONE = re.compile(r"([\d,]+) commands in ([\d.]+) s \(([\d,]+) commands/s\), ([\d,]+) events")

Payment = tuple[Decimal, str, str, str, str]


def _payments(count: int) -> list[Payment]:
    """``count`` payments over 50 organizations and 1,000 users: amount, currency, org, user,
    description (the same data on both sides)."""
    return [
        (
            Decimal(f"{(i % 100_000) / 100 + 1:.2f}"),
            _CURRENCIES[i % len(_CURRENCIES)],
            f"org-{i % 50:03d}",
            f"user-{i % 1_000:04d}",
            f"Invoice {i:08d} for consulting services",
        )
        for i in range(count)
    ]


def _ours(count: int, *, projections: bool) -> Callable[[], Body]:
    def prepare() -> Body:
        app = build(Settings(), start_projections=projections)
        commands: list[Command] = []
        for amount, currency, org, user, description in _payments(count):
            payment_id = str(uuid.uuid4())
            commands.append(
                RequestPayment(
                    payment_id=payment_id,
                    organization_id=org,
                    user_id=user,
                    amount=amount,
                    currency=currency,
                    description=description,
                )
            )
            commands.append(ProcessPayment(payment_id=payment_id, amount=amount, currency=currency))

        def body() -> None:
            handle = app.commands.handle
            for command in commands:
                handle(command)

        return body

    return prepare


def _anchor(count: int) -> Callable[[], Body]:
    def prepare() -> Body:
        app = ESPaymentsApp(POPO)
        work = [(p, f"tx-{i:010d}") for i, p in enumerate(_payments(count))]

        def body() -> None:
            request, process = app.request_payment, app.process_payment
            for (amount, currency, org, user, description), transaction_id in work:
                payment_id: UUID = request(amount, currency, org, user, description)
                process(payment_id, transaction_id)

        return body

    return prepare


def lifecycle(bench: Bench, count: int) -> None:
    """Request then process ``count`` payments: two commands each, one after the other.

    Ours: ``app.commands.handle(RequestPayment)`` then ``handle(ProcessPayment)``; with the
    projections started, each append also updates, before the command returns, the payments
    read model (a document with nine indexes, partitioned by organization), its analytics
    (counts and exact per-currency sums by hour) and the event counters. Anchor:
    ``app.request_payment(...)`` (create and save) then ``app.process_payment(...)`` (get,
    process, save).
    """
    anchor_name = f"eventsourcing {metadata.version('eventsourcing')} POPO application"
    bench.compare(
        "payment lifecycle (request + process), inline projections and analytics",
        unit="commands/s",
        ours=rate(2 * count, _ours(count, projections=True)),
        anchor=rate(2 * count, _anchor(count)),
        anchor_name=anchor_name,
        note="ours also keeps the payments read model, its analytics and the event counters "
        "up to date before each command returns; the anchor keeps no read model",
    )
    bench.compare(
        "payment lifecycle (request + process), write side only",
        unit="commands/s",
        ours=rate(2 * count, _ours(count, projections=False)),
        anchor=rate(2 * count, _anchor(count)),
        anchor_name=anchor_name,
        note="ours with its projections not started: the cost of the read side is the "
        "difference with the figure above",
    )


def demo(bench: Bench, payments: int) -> None:
    """``billing demo --payments N`` in a child process: wall time, peak memory, throughput.

    One run (at a million payments it takes minutes): the samples repeat that one run so the
    record keeps the harness's shape. Peak memory is the child's maximum resident set size.
    """
    billing = Path(sys.executable).with_name("billing")
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as data_dir:
        out_path, err_path = Path(data_dir, "stdout.txt"), Path(data_dir, "stderr.txt")
        with out_path.open("w") as out_file, err_path.open("w") as err_file:
            started = time.perf_counter()
            child = subprocess.Popen(
                [billing, "demo", "--payments", str(payments), "--data-dir", data_dir],
                stdout=out_file,  # files, not pipes: a full pipe would block the child
                stderr=err_file,
                env={**os.environ, "COLUMNS": "200"},
            )
            _, status, usage = os.wait4(child.pid, 0)
            wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out, err = out_path.read_text(), err_path.read_text()
    if child.returncode != 0:
        raise RuntimeError(f"billing demo failed ({child.returncode}): {err.strip()}")
    done = _DONE.search(out)
    if done is None:
        raise RuntimeError(f"billing demo printed no summary: {out[-500:]}")
    commands, seconds, per_second, events = (
        int(done.group(1).replace(",", "")),
        float(done.group(2)),
        float(done.group(3).replace(",", "")),
        int(done.group(4).replace(",", "")),
    )
    bench.context["demo"] = {"payments": payments, "commands": commands, "events": events}
    label = f"billing demo --payments {payments:,}"
    samples = bench.trials
    note = "one run, repeated in the samples; journaled with the default fsync policy (interval)"
    bench.record(f"{label}: wall time", unit="s", ours=[wall] * samples, better="lower", note=note)
    bench.record(
        f"{label}: peak memory (max RSS)",
        unit="MB",
        ours=[usage.ru_maxrss / 1024] * samples,
        better="lower",
        note=note + f"; {events:,} events in memory with both read models",
    )
    bench.record(
        f"{label}: commands through the bus",
        unit="commands/s",
        ours=[per_second] * samples,
        note=note + f"; {commands:,} commands in {seconds:.1f} s, commands generated on the fly",
    )


def run(bench: Bench) -> None:
    """Run every billing figure."""
    sizes = {
        "lifecycle_payments": bench.size(20_000, 2_000),
        "demo_payments": bench.size(1_000_000, 20_000),
    }
    bench.context.update(sizes=sizes)
    lifecycle(bench, sizes["lifecycle_payments"])
    demo(bench, sizes["demo_payments"])
