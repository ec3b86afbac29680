"""``billing demo | stats | history | rebuild``: a data set to play with, and what it holds.

Every command works on a data directory (the journaled event store, ``--data-dir``), so
``billing demo --data-dir ./var`` then ``billing stats --data-dir ./var`` reads what the demo
wrote. Read models live in memory: a command that needs them rebuilds them from the journal
first, with a progress bar. Errors leave through ``billing.entrypoints.cli.main`` with a message
and the exit code of its one table.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from billing.application.demo import (
    DemoPlan,
    DemoReport,
    SimulatedClock,
    end_of_window,
    run_demo,
)
from billing.application.queries import (
    GetPaymentHistory,
)
from billing.bootstrap import SNAPSHOTS_DIR, BillingApp, Settings, build
from billing.entrypoints.cli.app import app, console, replay_bar
from billing.entrypoints.cli.choices import Fsync, Interval, ReadModel
from billing.entrypoints.cli.statistics import query_scope, show_statistics
from eventram import ValidationError
from eventram.cli import RebuildProgressBar
from eventram.projection import ProjectionSnapshots

__all__ = ["demo", "history", "rebuild", "stats"]

DataDir = Annotated[
    Path, typer.Option("--data-dir", help="Directory of the journal (created if missing).")
]
Org = Annotated[
    str | None,
    typer.Option("--org", help="Only this organization (default: every organization)."),
]
FsyncOption = Annotated[Fsync, typer.Option("--fsync", help="When the journal reaches the disk.")]


@contextmanager
def _opened(
    data_dir: Path, *, fsync: Fsync = Fsync.INTERVAL, clock: SimulatedClock | None = None
) -> Iterator[BillingApp]:
    settings = Settings(data_dir=str(data_dir), fsync=fsync.value)
    try:
        with replay_bar() as progress:
            service = build(
                settings, clock=clock, start_projections=False, replay_progress=progress
            )
        with service:
            yield service
    finally:
        gc.unfreeze()  # give what ``_settling`` froze back to the collector


def _settling(progress: Callable[[int, int], None]) -> Callable[[int, int], None]:
    """``progress``, also moving what is alive so far out of the cyclic collector's reach.

    Loading millions of documents and events makes every full collection scan all of them
    again, for nothing: they live until the process ends, and what they drop is freed by
    reference counting. Freezing them keeps the load's speed flat as the data grows.
    """

    def report(done: int, total: int) -> None:
        gc.freeze()
        progress(done, total)

    return report


def _load_read_models(service: BillingApp, data_dir: Path) -> None:
    """Load the read models: their newest snapshots and the events after them.

    Without snapshots they are rebuilt from the whole journal (a bar per projection), then
    snapshotted, so that the next command starts fast.
    """
    engine = service.projections
    snapshots = ProjectionSnapshots(data_dir / SNAPSHOTS_DIR)
    if all(snapshots.files(name).paths() for name in engine.names):
        with console.status("loading the read models (snapshots, then the events after them)"):
            engine.start()
        if all(engine.handle(name).generation > 0 for name in engine.names):
            return
    for name in engine.names:  # no usable snapshot: from the whole journal
        with RebuildProgressBar(name, console=console) as bar:
            engine.rebuild(name, progress=_settling(bar))
    _save_snapshots(service)


def _save_snapshots(service: BillingApp) -> None:
    with console.status("saving read-model snapshots"):
        written = service.save_snapshots()
    if written:
        console.print(
            f"Saved {len(written)} read-model snapshots in {next(iter(written.values())).parent}",
            highlight=False,
        )


# -- demo ----------------------------------------------------------------------------------


@app.command()
def demo(
    payments: Annotated[
        int, typer.Option("--payments", min=1, help="How many payments to create.")
    ] = 10_000,
    organizations: Annotated[
        int | None,
        typer.Option("--organizations", min=1, help="Default: one per 250 payments (3..2000)."),
    ] = None,
    months: Annotated[
        int, typer.Option("--months", min=1, max=120, help="Months the data set spreads over.")
    ] = 6,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same data set.")] = 42,
    data_dir: DataDir = Path("./var"),
    fsync: FsyncOption = Fsync.INTERVAL,
) -> None:
    """Create a realistic data set through the command bus, then show its statistics."""
    plan = DemoPlan(
        payments=payments,
        organizations=organizations,
        months=months,
        seed=seed,
        end=end_of_window(),
    )
    clock = SimulatedClock(plan.start)
    with _opened(data_dir, fsync=fsync, clock=clock) as service:
        if service.store.last_position():
            raise ValidationError(
                f"{data_dir} already holds {service.store.last_position()} events; the demo "
                "writes months of history and needs an empty data directory: pass another "
                "--data-dir (or remove this one).",
                field="data_dir",
            )
        service.projections.start()
        console.print(
            f"Creating {payments:,} payments for {plan.organization_count:,} organizations "
            f"over {months} months ({plan.start:%Y-%m-%d} to {plan.end:%Y-%m-%d}), "
            f"journaled in {data_dir}",
            highlight=False,
        )
        report = _create_payments(plan, service, clock)
        console.print(
            f"{report.commands:,} commands in {report.seconds:.1f} s "
            f"({report.commands_per_second:,.0f} commands/s), "
            f"{service.store.last_position():,} events.",
            highlight=False,
        )
        _save_snapshots(service)
        show_statistics(service, None, None, None, Interval.MONTH)
        console.print(
            f"Next: [bold]billing stats --data-dir {data_dir}[/], "
            f"[bold]billing history PAYMENT_ID --data-dir {data_dir}[/], "
            f"or [bold]billing serve --data-dir {data_dir}[/].",
            highlight=False,
        )


def _create_payments(plan: DemoPlan, service: BillingApp, clock: SimulatedClock) -> DemoReport:
    """Run the demo's commands through the bus, with a bar counting the payments."""
    with Progress(
        TextColumn("payments"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("payments", total=plan.payments)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        return run_demo(plan, service.commands.handle, clock, progress=_settling(advance))


# -- stats ---------------------------------------------------------------------------------


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@app.command()
def stats(
    data_dir: DataDir = Path("./var"),
    org: Org = None,
    since: Annotated[datetime | None, typer.Option("--from", help="From this time (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option("--to", help="Up to this time (UTC).")] = None,
    interval: Annotated[Interval, typer.Option("--interval", help="Trend buckets.")] = (
        Interval.MONTH
    ),
) -> None:
    """Payment statistics and event trends of the data directory."""
    with _opened(data_dir) as service:
        if not service.store.last_position():
            raise ValidationError(
                f"{data_dir} holds no events yet; create some with "
                f"`billing demo --data-dir {data_dir}`.",
                field="data_dir",
            )
        _load_read_models(service, data_dir)
        show_statistics(service, org, _utc(since), _utc(until), interval)


# -- history -------------------------------------------------------------------------------


@app.command()
def history(
    payment_id: Annotated[str, typer.Argument(help="The payment's id.")],
    data_dir: DataDir = Path("./var"),
    org: Org = None,
) -> None:
    """Every event of one payment, in order, with its envelope."""
    with _opened(data_dir) as service:
        found = service.queries.ask(GetPaymentHistory(payment_id=payment_id, **query_scope(org)))
    first = found.events[0]
    table = Table(
        "v",
        "position",
        "recorded at (UTC)",
        "event",
        "details",
        title=f"Payment {payment_id}",
        caption=(
            f"organization {first.metadata.get('organization_id')}, "
            f"user {first.metadata.get('user_id')}, correlation id {first.correlation_id}"
        ),
    )
    for event in found.events:
        details = "\n".join(
            f"{k}: {_plain(v)}"
            for k, v in event.data.items()
            if k not in ("payment_id", "organization_id", "user_id") and v not in ({}, "")
        )
        table.add_row(
            str(event.version),
            str(event.position),
            event.recorded_at.replace("T", " ")[:19],
            event.event_type.removeprefix("Payment").lower(),
            details,
        )
    console.print(table)


def _plain(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


# -- rebuild -------------------------------------------------------------------------------


@app.command()
def rebuild(
    projection: Annotated[
        ReadModel | None, typer.Argument(help="The one to rebuild (default: every one).")
    ] = None,
    data_dir: DataDir = Path("./var"),
) -> None:
    """Rebuild read models from the journal, showing progress, and report what it took."""
    with _opened(data_dir) as service:
        names = [projection.value] if projection is not None else service.projections.names
        report = Table("projection", "events", "position", "seconds", "events/s")
        for name in names:
            with RebuildProgressBar(name, console=console) as bar:
                done = service.projections.rebuild(name, progress=_settling(bar))
            rate = done.events / done.seconds if done.seconds > 0 else 0.0
            report.add_row(
                name,
                f"{done.events:,}",
                f"{done.position:,}",
                f"{done.seconds:.2f}",
                f"{rate:,.0f}",
            )
        console.print(report)
        _save_snapshots(service)
