"""Durability: the journaled store next to the eventsourcing library's SQLite persistence.

The anchor is ``eventsourcing``'s SQLite persistence as it configures itself (``PERSISTENCE_MODULE
=eventsourcing.sqlite``, ``SQLITE_DBNAME`` a file): WAL journal mode, and SQLite's default
``synchronous=FULL`` (the suite checks both and records them), so each commit syncs the WAL.
Ours is ``open_store`` on a data directory with the named fsync policy. Both sides run the same
Payment aggregate (``bench.payment`` / ``bench.anchors.eventsourcing_payment``) through their
command path, on files in the same temporary directory. Each figure's function says what it
times.
"""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import msgspec

from bench.harness import Bench, Sampler
from bench.payment import (
    PaymentProcessed,
    PaymentRequested,
    ProcessPayment,
    RequestPayment,
    build_bus,
)
from eventram import (
    NO_STREAM,
    AppendRequest,
    CommandBus,
    EventStore,
    InMemoryEventStore,
    RecordedEvent,
)
from eventram.projection.snapshotfiles import SnapshotFiles
from eventram.store.durable import open_store
from eventram.store.journal.ops import inspect

try:
    from bench.anchors.eventsourcing_payment import ESPayment, ESPaymentsApp
except ImportError as exc:  # the ``bench`` extra is not installed
    raise ImportError(
        f"the eventsourcing anchor needs `pip install -e '.[bench]'` ({exc})"
    ) from exc

__all__ = ["run"]

THREADS = 16
SETUP_CHUNK = 500
STREAM_TYPE = "BenchPayment"
OWNER_FIELDS = ("organization_id", "user_id")
"""The metadata our stores index and share, as billing configures them."""


def run(bench: Bench) -> None:
    """Run every durability figure."""
    sizes = {
        "one_writer_commands": bench.size(2_000, 200),
        "threaded_commands": bench.size(4_000, 320),
        "interval_commands": bench.size(20_000, 2_000),
        "recovery_events": bench.size(1_000_000, 20_000),
        "restart_events": bench.size(200_000, 10_000),
    }
    root = Path(tempfile.mkdtemp(prefix="eventram-bench-durability-"))
    bench.context.update(sizes=sizes, threads=THREADS, directory_fs=_filesystem(root))
    try:
        bench.context["anchor_sqlite"] = _sqlite_settings(root)
        bench.context["disk_fsync_ms"] = _fsync_latency(root)
        one_writer(bench, root, sizes["one_writer_commands"])
        threaded_writers(bench, root, sizes["threaded_commands"])
        interval_vs_memory(bench, root, sizes["interval_commands"])
        recovery(bench, root, sizes["recovery_events"])
        restart_with_snapshot(bench, root, sizes["restart_events"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


# -- shared pieces ---------------------------------------------------------------------------


def _anchor(detail: str) -> str:
    version = metadata.version("eventsourcing")
    return f"eventsourcing {version} SQLite (WAL, synchronous=FULL), {detail}"


def _filesystem(path: Path) -> str:
    """The device and file system type the files go to (from /proc/mounts), for the record."""
    best = ("", "unknown")
    try:
        mounts = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return "unknown"
    for line in mounts:
        device, mount, fstype, *_ = line.split()
        if str(path).startswith(mount) and len(mount) >= len(best[0]):
            best = (mount, f"{fstype} on {device} at {mount}")
    return best[1]


def _fsync_latency(root: Path, samples: int = 50) -> dict[str, float]:
    """The disk's own cost of durability: append 200 bytes and fsync, in ms (for the record).

    With one writer, neither side can be faster than one of these per command.
    """
    times = []
    with _scratch(root) as directory:
        fd = os.open(directory / "probe", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            for _ in range(samples):
                started = time.perf_counter()
                os.write(fd, bytes(200))
                os.fsync(fd)
                times.append((time.perf_counter() - started) * 1e3)
        finally:
            os.close(fd)
    times.sort()
    return {"median": times[len(times) // 2], "p10": times[len(times) // 10], "max": times[-1]}


@contextmanager
def _scratch(root: Path) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(dir=root))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _es_app(directory: Path) -> ESPaymentsApp:
    return ESPaymentsApp(
        {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(directory / "es.db")}
    )


def _sqlite_settings(root: Path) -> dict[str, object]:
    """The journal mode and synchronous level the anchor's connections really use."""
    with _scratch(root) as directory:
        app = _es_app(directory)
        app.request_payment(Decimal("1.00"), "EUR", "org", "user", "check")
        pool = app.recorder.datastore.pool  # type: ignore[attr-defined]
        connection = pool.get_connection(is_writer=False)
        try:
            raw = connection._sqlite_conn
            mode = raw.execute("PRAGMA journal_mode").fetchone()[0]
            synchronous = raw.execute("PRAGMA synchronous").fetchone()[0]
        finally:
            pool.put_connection(connection)
        app.close()
    if mode != "wal" or synchronous != 2:
        raise RuntimeError(f"the anchor is not WAL + synchronous=FULL: {mode}, {synchronous}")
    return {"journal_mode": mode, "synchronous": "FULL"}


def _payment_fields(i: int) -> tuple[Decimal, str, str, str, str]:
    return (
        Decimal(f"{(i % 100_000) / 100 + 1:.2f}"),
        ("EUR", "USD", "GBP", "CHF")[i % 4],
        f"org-{i % 50:03d}",
        f"user-{i % 1_000:04d}",
        f"Invoice {i:08d} for consulting services",
    )


def _request_all(bus: CommandBus, count: int) -> list[ProcessPayment]:
    """Request ``count`` payments (untimed setup); return the commands that process them."""
    commands = []
    for i in range(count):
        amount, currency, org, user, description = _payment_fields(i)
        payment_id = str(uuid.uuid4())
        bus.handle(
            RequestPayment(
                payment_id=payment_id,
                amount=amount,
                currency=currency,
                organization_id=org,
                user_id=user,
                description=description,
            )
        )
        commands.append(ProcessPayment(payment_id=payment_id, transaction_id=f"tx-{i:010d}"))
    return commands


def _request_in_bulk(store: EventStore, count: int) -> list[ProcessPayment]:
    """Untimed setup for the durable figures: ``count`` requested payments, 500 per append.

    The events are the ones ``RequestPayment`` records; bulk appends keep the setup from
    paying one fsync per payment.
    """
    commands = []
    requests = []
    for i in range(count):
        amount, currency, org, user, description = _payment_fields(i)
        payment_id = str(uuid.uuid4())
        event = PaymentRequested(
            amount=amount,
            currency=currency,
            organization_id=org,
            user_id=user,
            description=description,
        )
        requests.append(
            AppendRequest(
                stream_id=payment_id,
                events=[event],
                expected_version=NO_STREAM,
                stream_type=STREAM_TYPE,
                metadata={"organization_id": org, "user_id": user},
            )
        )
        commands.append(ProcessPayment(payment_id=payment_id, transaction_id=f"tx-{i:010d}"))
    for start in range(0, count, SETUP_CHUNK):
        result = store.append_many(requests[start : start + SETUP_CHUNK])
        if not result.ok:
            raise RuntimeError(f"setup failed: {result.errors}")
    return commands


def _es_request_all(app: ESPaymentsApp, count: int) -> list[uuid.UUID]:
    """The anchor's setup: ``count`` new payments, saved 500 per transaction."""
    payments = [ESPayment(*_payment_fields(i)) for i in range(count)]
    for start in range(0, count, SETUP_CHUNK):
        app.save(*payments[start : start + SETUP_CHUNK])
    return [payment.id for payment in payments]


def _in_threads(work: list[Callable[[], None]]) -> float:
    """Run each callable in its own thread, all released at once; return the seconds taken."""
    ready = threading.Barrier(len(work) + 1)
    errors: list[BaseException] = []

    def wrap(fn: Callable[[], None]) -> None:
        ready.wait()
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(fn,)) for fn in work]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return elapsed


# -- fsync=always: one writer, then 16 ----------------------------------------------------


def _ours_commands(root: Path, count: int, fsync: str, threads: int) -> Sampler:
    def sample() -> float:
        with _scratch(root) as directory:
            store = open_store(directory, fsync=fsync, metadata_fields=OWNER_FIELDS)  # type: ignore[arg-type]
            try:
                commands = _request_in_bulk(store, count)
                bus = build_bus(store)
                shares = [commands[i::threads] for i in range(threads)]

                def work(share: list[ProcessPayment]) -> Callable[[], None]:
                    def process() -> None:
                        for command in share:
                            bus.handle(command)

                    return process

                elapsed = _in_threads([work(share) for share in shares])
            finally:
                store.close()
        return count / elapsed

    return sample


def _es_commands(root: Path, count: int, threads: int) -> Sampler:
    def sample() -> float:
        with _scratch(root) as directory:
            app = _es_app(directory)
            try:
                ids = _es_request_all(app, count)
                shares = [ids[i::threads] for i in range(threads)]

                def work(share: list[uuid.UUID]) -> Callable[[], None]:
                    def process() -> None:
                        for payment_id in share:
                            app.process_payment(payment_id, "tx")

                    return process

                elapsed = _in_threads([work(share) for share in shares])
            finally:
                app.close()
        return count / elapsed

    return sample


def one_writer(bench: Bench, root: Path, count: int) -> None:
    """One thread processes ``count`` requested payments, one command each, every one durable.

    Ours: ``CommandBus.handle(ProcessPayment)`` (load from the repository, decide, append) on a
    store opened with ``fsync=always``: the append returns once its frame is fsynced. Anchor:
    ``app.process_payment`` (``repository.get``, ``process``, ``save``): each save commits a
    SQLite transaction, synced to the WAL. Requesting the payments is untimed setup (done in
    bulk on both sides: 500 payments per append / per ``app.save``).

    A second figure times the disk alone next to the same anchor samples: ``count`` frame-sized
    writes, each followed by ``fdatasync``, no store. Its ratio is the best one a store that
    syncs once per command could reach on this disk, at zero CPU cost.
    """
    figure = bench.compare(
        "fsync=always, one writer: process a payment",
        unit="commands/s",
        ours=_ours_commands(root, count, "always", 1),
        anchor=_es_commands(root, count, 1),
        anchor_name=_anchor("one thread"),
        target=3.0,
        note="both sides sync the disk once per command",
    )
    assert figure.anchor is not None
    bench.record(
        "the disk's ceiling for one writer: write 300 bytes + fdatasync, no store",
        unit="commands/s",
        ours=[_disk_ceiling(root, count) for _ in range(bench.trials)],
        anchor=figure.anchor.samples,
        anchor_name=_anchor("one thread (the samples above)"),
        note="a store that syncs once per command, at zero CPU cost, reaches this ratio at best",
    )


def _disk_ceiling(root: Path, count: int) -> float:
    """``count`` frame-sized writes, each followed by fdatasync, on a preallocated file.

    What one durable append per command costs the disk alone, as our segments are written
    (zeros ahead of the frames, so a sync flushes data, not the file's size).
    """
    with _scratch(root) as directory:
        fd = os.open(directory / "ceiling", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            os.write(fd, bytes(count * 300 + 4096))
            os.fsync(fd)
            frame = bytes(range(256)) + bytes(44)
            started = time.perf_counter()
            for i in range(count):
                os.pwrite(fd, frame, i * 300)
                os.fdatasync(fd)
            elapsed = time.perf_counter() - started
        finally:
            os.close(fd)
    return count / elapsed


def threaded_writers(bench: Bench, root: Path, count: int) -> None:
    """``count`` payments processed by 16 threads at once, each command durable on return.

    Same commands as :func:`one_writer`, shared among 16 threads released together. Ours
    shares fsyncs among concurrent appends (group commit); the anchor's SQLite commits one
    writer transaction at a time, each synced.

    A second figure runs the same commands in the same threads with ``fsync=never`` (no wait
    for the disk at all), next to the same anchor samples: the ceiling that thread switching
    under the GIL leaves for any wait-for-durability design on this machine.
    """
    figure = bench.compare(
        f"fsync=always, {THREADS} writer threads: process a payment",
        unit="commands/s",
        ours=_ours_commands(root, count, "always", THREADS),
        anchor=_es_commands(root, count, THREADS),
        anchor_name=_anchor(f"{THREADS} threads"),
        target=10.0,
        note="group commit: concurrent appends share one fsync",
    )
    assert figure.anchor is not None
    never = _ours_commands(root, count, "never", THREADS)
    bench.record(
        f"{THREADS} writer threads with fsync=never: the same commands, no durability wait",
        unit="commands/s",
        ours=[never() for _ in range(bench.trials)],
        anchor=figure.anchor.samples,
        anchor_name=_anchor(f"{THREADS} threads (the samples above)"),
        note="what these threads reach with no fsync at all: a ceiling for the figure above",
    )


# -- fsync=interval next to the pure in-memory store ------------------------------------------


def _command_cycle(count: int, open_: Callable[[], EventStore]) -> Sampler:
    def sample() -> float:
        store = open_()
        try:
            bus = build_bus(store)
            commands = _request_all(bus, count)
            handle = bus.handle
            started = time.perf_counter()
            for command in commands:
                handle(command)
            elapsed = time.perf_counter() - started
        finally:
            close = getattr(store, "close", None)
            if close is not None:
                close()
        return count / elapsed

    return sample


def interval_vs_memory(bench: Bench, root: Path, count: int) -> None:
    """One thread processes ``count`` payments: journaled with ``fsync=interval`` vs no journal.

    Ours: ``open_store(fsync="interval")`` (every frame written to the OS before the append
    returns, fsync every 100 ms in the background). Anchor: ``InMemoryEventStore()`` with no
    journal. Same bus, handlers and data on both sides.
    """
    scratch: list[Path] = []

    def journaled() -> EventStore:
        directory = Path(tempfile.mkdtemp(dir=root))
        scratch.append(directory)
        return open_store(directory, fsync="interval", metadata_fields=OWNER_FIELDS)

    try:
        bench.compare(
            "fsync=interval: process a payment, next to the pure in-memory store",
            unit="commands/s",
            ours=_command_cycle(count, journaled),
            anchor=_command_cycle(count, InMemoryEventStore),
            anchor_name="eventram InMemoryEventStore without a journal",
            target=0.7,
            note="the target is a ratio: at least 70% of the in-memory throughput",
        )
    finally:
        for directory in scratch:
            shutil.rmtree(directory, ignore_errors=True)


# -- recovery ------------------------------------------------------------------------------


def _build_journal(directory: Path, events: int) -> None:
    """``events`` payment events, one append (one frame) each, as command cycles write them."""
    store = open_store(directory, fsync="never", metadata_fields=OWNER_FIELDS)
    try:
        append = store.append
        for i in range(events // 2):
            amount, currency, org, user, description = _payment_fields(i)
            owner = {"organization_id": org, "user_id": user}
            payment_id = f"payment-{i:09d}"
            correlation = str(uuid.uuid4())
            append(
                payment_id,
                [
                    PaymentRequested(
                        amount=amount,
                        currency=currency,
                        organization_id=org,
                        user_id=user,
                        description=description,
                    )
                ],
                0,
                stream_type=STREAM_TYPE,
                metadata=owner,
                correlation_id=correlation,
                causation_id=correlation,
            )
            append(
                payment_id,
                [PaymentProcessed(transaction_id=f"tx-{i:010d}")],
                1,
                stream_type=STREAM_TYPE,
                metadata=owner,
                correlation_id=correlation,
                causation_id=str(uuid.uuid4()),
            )
    finally:
        store.close()


def _es_bytes_per_event(root: Path, events: int) -> float:
    """SQLite database + WAL bytes per event for the same payments on the anchor."""
    with _scratch(root) as directory:
        app = _es_app(directory)
        for payment_id in _es_request_all(app, events // 2):
            app.process_payment(payment_id, "tx")
        app.close()
        return sum(p.stat().st_size for p in directory.iterdir()) / events


def recovery(bench: Bench, root: Path, events: int) -> None:
    """Open a store on a journal of ``events`` payment events: replay speed and journal size.

    The journal is written once (untimed), one append per event, like command cycles write it;
    each trial opens a store on it (lock, read, check CRCs and positions, decode, rebuild the
    log, streams and indexes) and closes it. The OS page cache is warm.
    """
    directory = root / "recovery"
    _build_journal(directory, events)
    samples = []
    for _ in range(bench.trials):
        started = time.perf_counter()
        store = open_store(directory, fsync="never", metadata_fields=OWNER_FIELDS)
        elapsed = time.perf_counter() - started
        assert store.last_position() == events
        store.close()
        del store
        gc.collect()  # free the last trial's store before the next one (untimed)
        samples.append(events / elapsed)
    bench.record(
        f"recovery: replay {events:,} events from the journal",
        unit="events/s",
        ours=samples,
        note="aim: >= 500,000 events/s; one frame per event; page cache warm",
    )
    summary = inspect(directory)
    anchor_events = min(events, bench.size(20_000, 2_000))
    bench.record(
        "journal bytes per event",
        unit="bytes/event",
        ours=[summary.bytes_per_event],
        anchor=[_es_bytes_per_event(root, anchor_events)],
        anchor_name=_anchor(f"database + WAL files, {anchor_events:,} events"),
        better="lower",
        note="payment events with envelope (ids, time, correlation, metadata)",
    )
    shutil.rmtree(directory, ignore_errors=True)


# -- restart with a read-model snapshot ------------------------------------------------------


class PaymentTotals:
    """A read model: per payment its status and amount, as a projection would keep it."""

    def __init__(self) -> None:
        self.payments: dict[str, tuple[str, str]] = {}

    def project(self, events: Iterable[RecordedEvent]) -> PaymentTotals:
        """Apply events in order (decoding each one, as a projection does)."""
        payments = self.payments
        for event in events:
            data = event.data
            if isinstance(data, PaymentRequested):
                payments[event.stream_id] = ("requested", str(data.amount))
            elif isinstance(data, PaymentProcessed):
                payments[event.stream_id] = ("processed", payments[event.stream_id][1])
        return self

    def dump(self) -> bytes:
        """The state as snapshot bytes."""
        return msgspec.msgpack.encode(self.payments)

    def restore(self, payload: bytes) -> None:
        """Replace the state with a snapshot's."""
        self.payments = msgspec.msgpack.decode(payload, type=dict[str, tuple[str, str]])


def restart_with_snapshot(bench: Bench, root: Path, events: int) -> None:
    """Restart = open the store + bring a read model up to date, with or without its snapshot.

    With: load the newest snapshot file (taken at 90% of the journal) and project only the
    last 10%. Without: project every event. Both open the same journal first.
    """
    directory = root / "restart"
    _build_journal(directory, events)
    files = SnapshotFiles(directory / "snapshots", "payment-totals")
    store = open_store(directory, fsync="never", metadata_fields=OWNER_FIELDS)
    cut = int(events * 0.9)
    files.save(cut, PaymentTotals().project(store.read_all(limit=cut)).dump())
    expected = PaymentTotals().project(store.read_all()).payments
    store.close()

    def with_snapshot() -> float:
        started = time.perf_counter()
        store = open_store(directory, fsync="never", metadata_fields=OWNER_FIELDS)
        restored = PaymentTotals()
        loaded = files.restore_into(restored.restore, max_position=store.last_position())
        assert loaded is not None
        restored.project(store.read_all(after_position=loaded.position))
        elapsed = time.perf_counter() - started
        assert restored.payments == expected
        store.close()
        return elapsed

    def without_snapshot() -> float:
        started = time.perf_counter()
        store = open_store(directory, fsync="never", metadata_fields=OWNER_FIELDS)
        rebuilt = PaymentTotals().project(store.read_all())
        elapsed = time.perf_counter() - started
        assert rebuilt.payments == expected
        store.close()
        return elapsed

    bench.compare(
        f"restart with a read-model snapshot ({events:,} events, snapshot at 90%)",
        unit="s",
        ours=with_snapshot,
        anchor=without_snapshot,
        anchor_name="the same restart projecting every event (no snapshot)",
        better="lower",
        note="both replay the whole journal into the store; the snapshot saves the projection",
    )

    store = open_store(
        directory, fsync="never", metadata_fields=OWNER_FIELDS
    )  # the store part is the same on both sides

    def model_from_snapshot() -> float:
        started = time.perf_counter()
        restored = PaymentTotals()
        loaded = files.restore_into(restored.restore, max_position=store.last_position())
        assert loaded is not None
        restored.project(store.read_all(after_position=loaded.position))
        elapsed = time.perf_counter() - started
        assert restored.payments == expected
        return elapsed

    def model_from_scratch() -> float:
        started = time.perf_counter()
        rebuilt = PaymentTotals().project(store.read_all())
        elapsed = time.perf_counter() - started
        assert rebuilt.payments == expected
        return elapsed

    try:
        bench.compare(
            "restart, the read model's part alone: snapshot + tail vs every event",
            unit="s",
            ours=model_from_snapshot,
            anchor=model_from_scratch,
            anchor_name="projecting every event of the journal",
            better="lower",
            note="the store is already open; load the snapshot file, project the last 10%",
        )
    finally:
        store.close()
    shutil.rmtree(directory, ignore_errors=True)
