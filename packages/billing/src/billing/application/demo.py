"""A realistic, reproducible demo data set, produced as commands in time order.

Payments arrive over a window of months for many organizations (of very different sizes) and
their users, in several currencies (each organization pays mostly in its home currency), and go
through every lifecycle: still pending, failed, completed, refunded in part, in several parts,
or in full. Follow-ups (processing seconds later, refunds days later) are kept in a heap so the
commands come out in time order; a :class:`SimulatedClock` given to the event store is moved to
each command's time before it is sent, so the log stays time-ordered and its timestamps spread
over the window. The same seed always gives the same data set.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

import msgspec

from billing.domain import (
    FailPayment,
    PaymentCommand,
    ProcessPayment,
    RefundPayment,
    RequestPayment,
    minor_units,
)
from eventram import Command, ValidationError

__all__ = [
    "DemoPlan",
    "DemoReport",
    "SimulatedClock",
    "demo_commands",
    "end_of_window",
    "run_demo",
]

_CURRENCIES: Final = (("EUR", 45), ("USD", 30), ("GBP", 10), ("JPY", 7), ("CHF", 5), ("KWD", 3))
_RATE: Final = {"EUR": 1.0, "USD": 1.1, "GBP": 0.85, "JPY": 160.0, "CHF": 0.95, "KWD": 0.33}
_PRODUCTS: Final = (
    ("Workflow executions", ("{n} runs", "{n} runs (burst)", "scheduled runs"), 40.0),
    ("Compute", ("{n} vCPU hours (eu-west)", "{n} vCPU hours (us-east)", "GPU node"), 120.0),
    ("Object storage", ("{n} GB-month", "archive tier", "egress {n} GB"), 25.0),
    ("Managed PostgreSQL", ("db.small", "db.large", "read replica"), 180.0),
    ("Team plan", ("monthly subscription", "annual subscription", "extra seats"), 300.0),
    ("Support", ("premium", "incident response", "onboarding"), 450.0),
    ("Hébergement", ("serveur dédié", "sauvegarde quotidienne", "nom de domaine"), 60.0),
    ("Données", ("export complet", "réplication", "chiffrement géré"), 90.0),
)
_ERRORS: Final = (
    "card_declined: insufficient funds",
    "card_declined: do not honor",
    "authentication_failed: 3-D Secure challenge not completed",
    "expired_card",
    "processor_timeout: no answer from the acquirer within 30 s",
    "fraud_suspected: blocked by risk rules",
)
_REASONS: Final = (
    "customer request",
    "service outage credit",
    "duplicate charge",
    "downgraded plan",
    "goodwill gesture",
)


class SimulatedClock:
    """A UTC clock that only moves when told to, and never backwards."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValidationError(
                "The simulated clock needs a timezone-aware start.", field="start"
            )
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance_to(self, when: datetime) -> None:
        """Move forward to ``when`` (a time in the past is ignored)."""
        if when > self.now:
            self.now = when


class DemoPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The shape of a demo data set: how many payments, tenants and users, over which window."""

    payments: int = 10_000
    organizations: int | None = None
    """None: one organization per 250 payments, at least 3 and at most 2,000."""
    max_users: int = 25
    """Users per organization are drawn between 1 and this."""
    end: datetime
    months: int = 6
    seed: int = 42

    def __post_init__(self) -> None:
        if type(self.payments) is not int or self.payments < 1:
            raise ValidationError(f"payments must be >= 1, got {self.payments!r}", field="payments")
        if self.organizations is not None and (
            type(self.organizations) is not int or self.organizations < 1
        ):
            raise ValidationError(
                f"organizations must be >= 1, got {self.organizations!r}", field="organizations"
            )
        if type(self.months) is not int or not 1 <= self.months <= 120:
            raise ValidationError(
                f"months must be between 1 and 120, got {self.months}", field="months"
            )
        if self.end.tzinfo is None:
            raise ValidationError("end must be timezone-aware", field="end")

    @property
    def start(self) -> datetime:
        """Where the window begins: ``months`` (of 30 days) before ``end``."""
        return self.end - timedelta(days=30 * self.months)

    @property
    def organization_count(self) -> int:
        """How many organizations the data set spreads over."""
        if self.organizations is not None:
            return self.organizations
        return max(3, min(2_000, self.payments // 250))


class _Tenant(msgspec.Struct):
    organization_id: str
    users: list[str]
    currency: str


def _tenants(plan: DemoPlan, rng: random.Random) -> tuple[list[_Tenant], list[float]]:
    codes = [c for c, _ in _CURRENCIES]
    shares = [w for _, w in _CURRENCIES]
    tenants: list[_Tenant] = []
    weights: list[float] = []
    for n in range(plan.organization_count):
        org = f"org-{n + 1:04d}"
        users = [f"{org}-user-{k + 1:02d}" for k in range(rng.randint(1, plan.max_users))]
        tenants.append(_Tenant(org, users, rng.choices(codes, shares)[0]))
        weights.append(1.0 / (n + 1) ** 0.8)  # a few large customers, a long tail of small ones
    return tenants, weights


def _money(rng: random.Random, base_eur: float, currency: str) -> Decimal:
    """A log-normal amount around ``base_eur``, in ``currency``, with its exact minor units."""
    value = base_eur * _RATE[currency] * math.exp(rng.gauss(0, 0.8))
    places = minor_units(currency)
    cents = max(1, round(value * 10**places))
    return Decimal(cents).scaleb(-places)


def _description(rng: random.Random) -> tuple[str, float]:
    product, details, base = rng.choice(_PRODUCTS)
    detail = rng.choice(details).format(n=rng.choice((50, 120, 400, 1_000, 2_500, 12_000)))
    return f"{product} — {detail}", base


def _part(rng: random.Random, amount: Decimal, currency: str) -> Decimal:
    """A share (10% to 60%) of ``amount``, at least one minor unit, strictly less than it."""
    places = minor_units(currency)
    cents = int(amount.scaleb(places))
    if cents < 2:
        return amount
    part = max(1, min(cents - 1, int(cents * rng.uniform(0.1, 0.6))))
    return Decimal(part).scaleb(-places)


def demo_commands(plan: DemoPlan) -> Iterator[tuple[datetime, PaymentCommand]]:
    """Every command of the data set with the time it happens, in time order.

    About 3% of payments are never processed, 9% fail, and of those completed 6% are refunded
    in part (a third of them later refunded for the rest) and 3% in full. Follow-ups that would
    fall after ``plan.end`` do not happen, so recent payments are still pending.
    """
    rng = random.Random(plan.seed)
    tenants, weights = _tenants(plan, rng)
    cumulative = list(itertools.accumulate(weights))
    span = (plan.end - plan.start).total_seconds()
    later: list[tuple[datetime, int, PaymentCommand]] = []
    scheduled = itertools.count()  # ties on time keep the order they were scheduled in
    for i in range(plan.payments):
        when = plan.start + timedelta(seconds=span * (i + rng.random()) / plan.payments)
        while later and later[0][0] <= when:
            due, _, command = heapq.heappop(later)
            yield due, command
        tenant = rng.choices(tenants, cum_weights=cumulative)[0]
        request = _request(rng, tenant, i)
        yield when, request
        for due, command in _follow_ups(rng, request, when):
            if due <= plan.end:
                heapq.heappush(later, (due, next(scheduled), command))
    while later:
        due, _, command = heapq.heappop(later)
        yield due, command


def _request(rng: random.Random, tenant: _Tenant, index: int) -> RequestPayment:
    """A new payment of one tenant: amount, currency, description and who asked."""
    currency = tenant.currency if rng.random() < 0.85 else rng.choice(_CURRENCIES)[0]
    description, base = _description(rng)
    amount = _money(rng, base, currency)
    payment_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    return RequestPayment(
        payment_id=payment_id,
        organization_id=tenant.organization_id,
        user_id=rng.choice(tenant.users),
        amount=amount,
        currency=currency,
        description=description,
        metadata={"source": "demo", "channel": rng.choice(("api", "web", "cli"))},
        correlation_id=f"checkout-{payment_id[:8]}-{index}",
    )


def _follow_ups(
    rng: random.Random, request: RequestPayment, when: datetime
) -> list[tuple[datetime, PaymentCommand]]:
    """What happens to a payment later: nothing, a failure, or processing and maybe refunds."""
    payment_id, org, amount, currency = (
        request.payment_id,
        request.organization_id,
        request.amount,
        request.currency,
    )
    correlation = request.correlation_id or ""
    fate = rng.random()
    settled = when + timedelta(seconds=rng.uniform(1, 120))
    if fate < 0.03:
        return []  # abandoned: stays pending
    if fate < 0.12:
        failure = FailPayment(
            payment_id=payment_id,
            error=rng.choice(_ERRORS),
            organization_id=org,
            correlation_id=correlation,
        )
        return [(settled, failure)]
    process = ProcessPayment(
        payment_id=payment_id,
        amount=amount,
        currency=currency,
        organization_id=org,
        correlation_id=correlation,
    )
    follow_ups: list[tuple[datetime, PaymentCommand]] = [(settled, process)]
    refund = rng.random()
    first = settled + timedelta(days=rng.uniform(1, 20))
    if refund < 0.06:
        part = _part(rng, amount, currency)
        follow_ups.append((first, _refund(payment_id, org, part, currency, rng, correlation)))
        if refund < 0.02 and part < amount:
            second = first + timedelta(days=rng.uniform(1, 10))
            rest = _refund(payment_id, org, amount - part, currency, rng, correlation)
            follow_ups.append((second, rest))
    elif refund < 0.09:
        follow_ups.append((first, _refund(payment_id, org, amount, currency, rng, correlation)))
    return follow_ups


def _refund(
    payment_id: str,
    organization_id: str,
    amount: Decimal,
    currency: str,
    rng: random.Random,
    correlation_id: str,
) -> RefundPayment:
    return RefundPayment(
        payment_id=payment_id,
        amount=amount,
        currency=currency,
        reason=rng.choice(_REASONS),
        organization_id=organization_id,
        correlation_id=correlation_id,
    )


class DemoReport(msgspec.Struct, frozen=True, kw_only=True):
    """What a demo run did: payments and commands sent, the time span covered, how long it took."""

    payments: int
    commands: int
    first: datetime | None
    last: datetime | None
    seconds: float

    @property
    def commands_per_second(self) -> float:
        """Throughput of the whole run (generation of the commands included)."""
        return self.commands / self.seconds if self.seconds > 0 else 0.0


def run_demo(
    plan: DemoPlan,
    dispatch: Callable[[Command], object],
    clock: SimulatedClock,
    *,
    progress: Callable[[int, int], None] | None = None,
    every: int = 1000,
) -> DemoReport:
    """Send every command of ``plan`` through ``dispatch`` at its time on ``clock``.

    ``progress(payments requested, payments planned)`` is called every ``every`` payments and
    at the end. A refused command raises: the data set is built to be accepted in full.
    """
    started = time.perf_counter()
    requested = commands = 0
    first: datetime | None = None
    when: datetime | None = None
    for when, command in demo_commands(plan):
        clock.advance_to(when)
        dispatch(command)
        commands += 1
        if first is None:
            first = when
        if isinstance(command, RequestPayment):
            requested += 1
            if progress is not None and requested % every == 0:
                progress(requested, plan.payments)
    if progress is not None:
        progress(requested, plan.payments)
    return DemoReport(
        payments=requested,
        commands=commands,
        first=first,
        last=when,
        seconds=time.perf_counter() - started,
    )


def end_of_window(now: datetime | None = None) -> datetime:
    """A demo window's default end: now, in UTC, to the second."""
    return (now or datetime.now(UTC)).replace(microsecond=0)
