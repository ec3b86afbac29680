"""Core write and read paths of eventram next to the eventsourcing library's POPO application.

Both sides run the same small Payment aggregate (``bench.payment`` and
``bench.anchors.eventsourcing_payment``) on the same generated data. Each figure's docstring
below says exactly what is timed on each side.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from importlib import metadata
from typing import TypeVar
from uuid import UUID

from bench.harness import Bench, Sampler
from bench.measure import CPU, Body, per_call, rate, retained_bytes
from bench.payment import (
    Payment,
    PaymentProcessed,
    PaymentRequested,
    ProcessPayment,
    RequestPayment,
    build_bus,
)
from eventram import (
    NO_STREAM,
    AppendRequest,
    EventQuery,
    InMemoryEventStore,
    Repository,
)
from eventram.envelope import new_event_int

try:
    from bench.anchors.eventsourcing_payment import ESPayment, ESPaymentsApp
except ImportError as exc:  # the ``bench`` extra is not installed
    raise ImportError(
        f"the eventsourcing anchor needs `pip install -e '.[bench]'` ({exc})"
    ) from exc

__all__ = ["run"]

POPO = {"PERSISTENCE_MODULE": "eventsourcing.popo"}
STREAM_TYPE = Payment.stream_type
PAGE = 1_000
BULK = 100
OWNER_FIELDS = ("organization_id", "user_id")
"""The metadata our stores index and share, as billing configures them."""


def _rate(count: int, prepare: Callable[[], Body]) -> Sampler:
    return rate(count, prepare, timer=CPU)


def _per_call(repeat: int, prepare: Callable[[], Body]) -> Sampler:
    return per_call(repeat, prepare, timer=CPU)


def _indexed(store: InMemoryEventStore) -> None:
    """Bring the store's lazy indexes up to date: part of what appends cost."""
    store.find(EventQuery(event_types=[PaymentRequested.event_type], limit=1))


def _anchor(detail: str) -> str:
    return f"eventsourcing {metadata.version('eventsourcing')} POPO, {detail}"


@dataclass(frozen=True)
class PaymentData:
    """The fields of one generated payment; every string is a fresh object, as from a request."""

    amount: Decimal
    currency: str
    organization_id: str
    user_id: str
    description: str
    transaction_id: str

    def requested(self) -> PaymentRequested:
        """Our ``PaymentRequested`` event for this payment."""
        return PaymentRequested(
            amount=self.amount,
            currency=self.currency,
            organization_id=self.organization_id,
            user_id=self.user_id,
            description=self.description,
        )

    def owner(self) -> dict[str, str]:
        """Envelope metadata, as our command handler passes it."""
        return {"organization_id": self.organization_id, "user_id": self.user_id}

    def es_payment(self) -> ESPayment:
        """A new eventsourcing payment (one pending ``Requested`` event)."""
        return ESPayment(
            self.amount, self.currency, self.organization_id, self.user_id, self.description
        )


_CURRENCIES = ("EUR", "USD", "GBP", "CHF")


def payments(count: int) -> Iterator[PaymentData]:
    """``count`` payments over 50 organizations and 1,000 users, with distinct amounts."""
    for i in range(count):
        yield PaymentData(
            amount=Decimal(f"{(i % 100_000) / 100 + 1:.2f}"),
            currency=_CURRENCIES[i % len(_CURRENCIES)],
            organization_id=f"org-{i % 50:03d}",
            user_id=f"user-{i % 1_000:04d}",
            description=f"Invoice {i:08d} for consulting services",
            transaction_id=f"tx-{i:010d}",
        )


def run(bench: Bench) -> None:
    """Run every core figure."""
    sizes = {
        "command_cycle_payments": bench.size(10_000, 1_000),
        "single_append_events": bench.size(50_000, 5_000),
        "bulk_append_events": bench.size(100_000, 10_000),
        "aggregate_events": 1_000,
        "read_all_events": bench.size(100_000, 10_000),
        "memory_events": bench.size(100_000, 10_000),
    }
    bench.context.update(sizes=sizes, bulk_batch=BULK, read_page=PAGE)
    command_cycle(bench, sizes["command_cycle_payments"])
    single_appends(bench, sizes["single_append_events"])
    bulk_appends(bench, sizes["bulk_append_events"])
    load_aggregate(bench, sizes["aggregate_events"])
    read_all(bench, sizes["read_all_events"])
    memory(bench, sizes["memory_events"])


# -- command cycle -------------------------------------------------------------------------


def _ours_cycle(count: int, cache_size: int) -> Callable[[], Body]:
    def prepare() -> Body:
        store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
        bus = build_bus(store, cache_size=cache_size)
        commands: list[ProcessPayment] = []
        for data in payments(count):
            payment_id = str(uuid.uuid4())
            bus.handle(
                RequestPayment(
                    payment_id=payment_id,
                    amount=data.amount,
                    currency=data.currency,
                    organization_id=data.organization_id,
                    user_id=data.user_id,
                    description=data.description,
                )
            )
            commands.append(
                ProcessPayment(payment_id=payment_id, transaction_id=data.transaction_id)
            )
        _indexed(store)  # the requests are setup: index them before the clock starts

        def body() -> None:
            handle = bus.handle
            for command in commands:
                handle(command)
            _indexed(store)

        return body

    return prepare


def _es_cycle(count: int, env: dict[str, str]) -> Callable[[], Body]:
    def prepare() -> Body:
        app = ESPaymentsApp({**POPO, **env})
        work: list[tuple[UUID, str]] = []
        for data in payments(count):
            payment_id = app.request_payment(
                data.amount, data.currency, data.organization_id, data.user_id, data.description
            )
            work.append((payment_id, data.transaction_id))

        def body() -> None:
            process = app.process_payment
            for payment_id, transaction_id in work:
                process(payment_id, transaction_id)

        return body

    return prepare


def command_cycle(bench: Bench, count: int) -> None:
    """Process ``count`` requested payments, one command each: bus/app -> load -> decide -> save.

    Ours: ``CommandBus.handle(ProcessPayment)`` through logging (level off), correlation and
    retry middleware, the handler loads the payment from the ``Repository``, processes it and
    saves it. Anchor: ``app.process_payment`` = ``repository.get`` + ``process`` + ``save``.
    """
    unit = "commands/s"
    es_default = _anchor("default repository (replays each aggregate)")
    bench.compare(
        "command cycle: process a payment",
        unit=unit,
        ours=_rate(count, _ours_cycle(count, cache_size=10_000)),
        anchor=_rate(count, _es_cycle(count, {})),
        anchor_name=es_default,
        target=4.0,
        note="ours with its default aggregate cache (checked out, fast-forwarded, never stale)",
    )
    bench.compare(
        "command cycle, no aggregate cache on either side",
        unit=unit,
        ours=_rate(count, _ours_cycle(count, cache_size=0)),
        anchor=_rate(count, _es_cycle(count, {})),
        anchor_name=es_default,
        target=4.0,
        note="both sides replay the payment's stream for every command",
    )
    bench.compare(
        "command cycle vs the anchor's fastest cache setting",
        unit=unit,
        ours=_rate(count, _ours_cycle(count, cache_size=10_000)),
        anchor=_rate(
            count,
            _es_cycle(
                count,
                {
                    "AGGREGATE_CACHE_MAXSIZE": str(count),
                    "AGGREGATE_CACHE_FASTFORWARD": "n",
                    "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
                },
            ),
        ),
        anchor_name=_anchor("aggregate cache, no fast-forward, no deep copy"),
        note="informative: that setting is safe only for a single application instance and "
        "commands that never fail half-way; ours keeps both guarantees",
    )


# -- appends -------------------------------------------------------------------------------


def _ours_single(count: int) -> Body:
    store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
    work = [(str(uuid.uuid4()), data.requested(), data.owner()) for data in payments(count)]

    def body() -> None:
        append = store.append
        for stream_id, event, owner in work:
            append(stream_id, [event], NO_STREAM, stream_type=STREAM_TYPE, metadata=owner)
        _indexed(store)

    return body


def _es_single(count: int) -> Body:
    app = ESPaymentsApp(POPO)
    work = [data.es_payment() for data in payments(count)]

    def body() -> None:
        save = app.save
        for payment in work:
            save(payment)

    return body


def single_appends(bench: Bench, count: int) -> None:
    """Append one event to each of ``count`` new streams, one call each (events built before).

    Ours: ``store.append(stream_id, [event], NO_STREAM, stream_type=..., metadata=owner)``.
    Anchor: ``app.save(payment)`` for new payments holding their one ``Requested`` event.
    """
    bench.compare(
        "append: one event to a new stream",
        unit="events/s",
        ours=_rate(count, lambda: _ours_single(count)),
        anchor=_rate(count, lambda: _es_single(count)),
        anchor_name=_anchor("app.save(aggregate) with one new event"),
        target=8.0,
    )


T = TypeVar("T")


def _chunks(items: list[T], size: int) -> list[list[T]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _ours_bulk(count: int) -> Body:
    store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
    requests = [
        AppendRequest(
            stream_id=str(uuid.uuid4()),
            events=[data.requested()],
            expected_version=NO_STREAM,
            stream_type=STREAM_TYPE,
            metadata=data.owner(),
        )
        for data in payments(count)
    ]
    batches = _chunks(requests, BULK)

    def body() -> None:
        append_many = store.append_many
        for batch in batches:
            append_many(batch)
        _indexed(store)

    return body


def _es_bulk(count: int) -> Body:
    app = ESPaymentsApp(POPO)
    batches = _chunks([data.es_payment() for data in payments(count)], BULK)

    def body() -> None:
        save = app.save
        for batch in batches:
            save(*batch)

    return body


class FloorEnvelope:
    """The pure-Python floor's envelope: a slotted object with the envelope's fields.

    Like ours it keeps the event id as its 128-bit integer and the time as microseconds since
    the epoch (ours gives them as ``UUID`` and ``datetime`` through properties, built on access).
    """

    __slots__ = (
        "causation_id",
        "correlation_id",
        "data",
        "event_id_int",
        "event_type",
        "metadata",
        "position",
        "recorded_at_us",
        "stream_id",
        "stream_type",
        "version",
    )

    def __init__(
        self,
        position: int,
        version: int,
        stream_id: str,
        stream_type: str,
        event_type: str,
        event_id_int: int,
        recorded_at_us: int,
        correlation_id: str | None,
        causation_id: str | None,
        metadata: dict[str, str],
        data: PaymentRequested,
    ) -> None:
        self.position = position
        self.version = version
        self.stream_id = stream_id
        self.stream_type = stream_type
        self.event_type = event_type
        self.event_id_int = event_id_int
        self.recorded_at_us = recorded_at_us
        self.correlation_id = correlation_id
        self.causation_id = causation_id
        self.metadata = metadata
        self.data = data


def _floor(count: int) -> Body:
    """Build an envelope per event; append it to a log and three dict indexes. Nothing else.

    It gets what ours gets (events without ids), makes each id with ``new_event_int``, the
    generator ours uses, and holds ids and times as ours does (integers: see ``FloorEnvelope``),
    reading the clock once per call as ours does; it does not encode payloads.
    """
    log: list[FloorEnvelope] = []
    streams: dict[str, list[FloorEnvelope]] = {}
    by_id: dict[int, FloorEnvelope] = {}
    by_type: dict[str, list[int]] = {}
    work = [(str(uuid.uuid4()), data.requested(), data.owner()) for data in payments(count)]
    batches = _chunks(work, BULK)

    def body() -> None:
        for batch in batches:
            now = time.time_ns() // 1000
            for stream_id, event, owner in batch:
                event_id = new_event_int()
                envelope = FloorEnvelope(
                    len(log) + 1,
                    1,
                    stream_id,
                    STREAM_TYPE,
                    event.event_type,
                    event_id,
                    now,
                    None,
                    None,
                    owner,
                    event,
                )
                log.append(envelope)
                streams.setdefault(stream_id, []).append(envelope)
                by_id[event_id] = envelope
                by_type.setdefault(envelope.event_type, []).append(envelope.position)

    return body


def bulk_appends(bench: Bench, count: int) -> None:
    """Append ``count`` events to new streams, ``BULK`` streams of one event per call.

    Ours: ``store.append_many([AppendRequest, ...])`` (event ids made by the store). Anchor:
    ``app.save(*payments)`` with 100 new payments. Floor: a Python loop that builds a slotted
    envelope (with an event id from ``new_event_int``, payload not encoded) and adds it to a
    list and three dicts (stream -> envelopes, id -> envelope, type -> positions).
    """
    bench.compare(
        "bulk append: 100 events per call",
        unit="events/s",
        ours=_rate(count, lambda: _ours_bulk(count)),
        anchor=_rate(count, lambda: _es_bulk(count)),
        anchor_name=_anchor("app.save(*aggregates) with 100 new events"),
        target=4.0,
    )
    bench.compare(
        "bulk append vs the pure-Python floor",
        unit="events/s",
        ours=_rate(count, lambda: _ours_bulk(count)),
        anchor=_rate(count, lambda: _floor(count)),
        anchor_name="floor: slotted envelope + list + 3 dict indexes",
        target=0.5,
        note="ours also encodes payloads, makes event ids, checks versions and keeps every "
        "index and the time log",
    )


# -- reads ---------------------------------------------------------------------------------


def _big_payment(events: int) -> PaymentData:
    data = next(payments(1))
    return PaymentData(
        amount=Decimal(events),
        currency=data.currency,
        organization_id=data.organization_id,
        user_id=data.user_id,
        description=data.description,
        transaction_id=data.transaction_id,
    )


def _ours_load(events: int) -> Body:
    store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
    writer = Repository(store, Payment)
    data = _big_payment(events)
    payment = Payment(str(uuid.uuid4()))
    payment.request(
        data.amount, data.currency, data.organization_id, data.user_id, data.description
    )
    payment.process(data.transaction_id)
    for _ in range(events - 2):
        payment.refund(Decimal("0.01"), "partial refund")
    writer.save(payment, metadata=data.owner())
    reader = Repository(store, Payment, cache_size=0)
    payment_id = payment.id

    def body() -> None:
        reader.load(payment_id)

    return body


def _es_load(events: int) -> Body:
    app = ESPaymentsApp(POPO)
    data = _big_payment(events)
    payment = data.es_payment()
    payment.process(data.transaction_id)
    for _ in range(events - 2):
        payment.refund(Decimal("0.01"), "partial refund")
    app.save(payment)
    payment_id = payment.id

    def body() -> None:
        app.repository.get(payment_id)

    return body


def load_aggregate(bench: Bench, events: int) -> None:
    """Load (replay) a payment with ``events`` events: request, process, then refunds.

    Ours: ``Repository.load`` with its cache off. Anchor: ``app.repository.get`` (default).
    """
    bench.compare(
        f"load a {events:,}-event aggregate",
        unit="ms per load",
        better="lower",
        ours=_per_call(bench.size(50, 10), lambda: _ours_load(events)),
        anchor=_per_call(bench.size(10, 3), lambda: _es_load(events)),
        anchor_name=_anchor("repository.get, no snapshot, no cache"),
        target=5.0,
    )


def _ours_log(count: int) -> Body:
    store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
    requests = [
        AppendRequest(
            stream_id=str(uuid.uuid4()),
            events=[data.requested(), PaymentProcessed(transaction_id=data.transaction_id)],
            expected_version=NO_STREAM,
            stream_type=STREAM_TYPE,
            metadata=data.owner(),
        )
        for data in payments(count // 2)
    ]
    for batch in _chunks(requests, BULK // 2):
        store.append_many(batch)

    def body() -> None:
        after = 0
        last: object = None
        while page := store.read_all(after, PAGE):
            for recorded in page:
                last = recorded.data
            after = page[-1].position
        assert last is not None

    return body


def _es_log(count: int) -> Body:
    app = ESPaymentsApp(POPO)
    for batch in _chunks(list(payments(count // 2)), BULK // 2):
        saved = []
        for data in batch:
            payment = data.es_payment()
            payment.process(data.transaction_id)
            saved.append(payment)
        app.save(*saved)

    def body() -> None:
        start = 1
        last: object = None
        select, decode = app.recorder.select_notifications, app.mapper.to_domain_event
        while page := select(start=start, limit=PAGE):
            for notification in page:
                last = decode(notification)
            start = page[-1].id + 1
        assert last is not None

    return body


def read_all(bench: Bench, count: int) -> None:
    """Read the whole log of ``count`` events in pages of ``PAGE`` and decode every event.

    Ours: ``store.read_all(after, PAGE)`` and ``.data`` of each envelope (payloads are kept
    encoded and decoded on access). Anchor: ``app.recorder.select_notifications(start, PAGE)``
    (the notification log without its 10-item section cap) and ``app.mapper.to_domain_event``.
    """
    bench.compare(
        "read the whole log, decoded",
        unit="events/s",
        ours=_rate(count, lambda: _ours_log(count)),
        anchor=_rate(count, lambda: _es_log(count)),
        anchor_name=_anchor("select_notifications + mapper.to_domain_event"),
        target=10.0,
    )


# -- memory --------------------------------------------------------------------------------


def _ours_memory(count: int, with_ids: bool) -> Callable[[], object]:
    def build() -> object:
        store = InMemoryEventStore(metadata_fields=OWNER_FIELDS)
        append = store.append
        # each command brings its own strings (a second generator makes fresh copies for the
        # second command); the bus's correlation id defaults to the command id, which is
        # also the causation id
        for data, again in zip(payments(count // 2), payments(count // 2), strict=True):
            payment_id = uuid.uuid4()
            command_id = str(uuid.uuid4()) if with_ids else None
            append(
                str(payment_id),
                [data.requested()],
                NO_STREAM,
                stream_type=STREAM_TYPE,
                metadata=data.owner(),
                correlation_id=command_id,
                causation_id=command_id,
            )
            command_id = str(uuid.uuid4()) if with_ids else None
            append(
                str(payment_id),
                [PaymentProcessed(transaction_id=again.transaction_id)],
                1,
                stream_type=STREAM_TYPE,
                metadata=again.owner(),
                correlation_id=command_id,
                causation_id=command_id,
            )
        _indexed(store)
        return store

    return build


def _es_memory(count: int) -> Callable[[], object]:
    def build() -> object:
        app = ESPaymentsApp(POPO)
        for data in payments(count // 2):
            payment = data.es_payment()
            payment.process(data.transaction_id)
            app.save(payment)
        return app

    return build


def memory(bench: Bench, count: int) -> None:
    """Bytes retained per stored event (tracemalloc), ``count`` events of ``count / 2`` payments.

    Everything the store keeps counts: envelopes, encoded payloads, ids, indexes.
    Each payment is requested then processed in two appends (two commands); the anchor saves
    the same two events (it keeps no correlation or causation ids).
    """
    anchor_name = _anchor("recorder after app.save")
    bench.compare(
        "memory per event, with correlation + causation ids",
        unit="bytes/event",
        better="lower",
        ours=retained_bytes(count, _ours_memory(count, with_ids=True)),
        anchor=retained_bytes(count, _es_memory(count)),
        anchor_name=anchor_name,
        target=1.0,
        note="ours stores and indexes a correlation and a causation id per event; "
        "the anchor stores neither",
        warmup=False,
    )
    bench.compare(
        "memory per event, without correlation/causation ids",
        unit="bytes/event",
        better="lower",
        ours=retained_bytes(count, _ours_memory(count, with_ids=False)),
        anchor=retained_bytes(count, _es_memory(count)),
        anchor_name=anchor_name,
        target=1.0,
        note="like for like: neither side stores correlation or causation ids",
        warmup=False,
    )
