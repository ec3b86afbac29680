"""Random sequences of payment commands never break the money invariants.

A hypothesis state machine sends requests, processings, failures and refunds (valid or not:
wrong amounts, wrong currencies, too many decimals, unknown payments, refunds above what
remains) through the real command bus. A small model predicts each outcome independently of the
domain code; after every step the stored events must show:

- what was refunded never exceeds what was processed, which is the requested amount or nothing;
- the status agrees with the amounts (pending, completed, partially_refunded, refunded, failed);
- every amount carries exactly its currency's minor units and never mixes currencies;
- the per-currency sum over the log equals the sum over the payments;
- a refused command stored nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from billing.bootstrap import Settings, command_bus
from billing.domain import (
    CURRENCIES,
    AmountMismatchError,
    CurrencyMismatchError,
    FailPayment,
    InvalidTransitionError,
    NonPositiveAmountError,
    Payment,
    PaymentAlreadyExistsError,
    PaymentFailed,
    PaymentProcessed,
    PaymentRefunded,
    PaymentRequested,
    ProcessPayment,
    RefundExceedsRemainingError,
    RefundPayment,
    RequestPayment,
    TooManyDecimalPlacesError,
)
from eventram import Command, EventramError, InMemoryEventStore, NotFoundError, Repository

IDS = ["p-0", "p-1", "p-2"]
TESTED_CURRENCIES = ["EUR", "JPY", "KWD", "CLF"]  # 2, 0, 3 and 4 minor units

ids = st.sampled_from(IDS)
currencies = st.sampled_from(TESTED_CURRENCIES)
# None (the payment's own currency, or the requested amount) three times in four
other_currency = st.one_of(st.none(), st.none(), st.none(), currencies)
minor_amounts = st.integers(min_value=-2, max_value=10**7)
extra_digits = st.sampled_from([0, 0, 0, 7])  # a digit below the minor unit, now and then
refund_sizes = st.one_of(
    st.just(("rest", 0)),
    st.tuples(st.just("percent"), st.integers(min_value=0, max_value=120)),
    st.tuples(st.just("minor"), minor_amounts),
)
"""What is left to refund, a percentage of it, or a number of minor units."""


@dataclass
class Expected:
    """The model's view of one payment, in minor units."""

    currency: str
    amount: int
    status: str = "pending"
    refunded: int = 0

    @property
    def processed(self) -> int:
        return self.amount if self.status in {"completed", "partially_refunded", "refunded"} else 0


def decimal_of(minor: int, units: int, extra: int = 0) -> Decimal:
    return Decimal(minor).scaleb(-units) + Decimal(extra).scaleb(-(units + 1))


def fits(amount: Decimal, units: int) -> bool:
    return amount == amount.quantize(Decimal(1).scaleb(-units))


def minor_of(amount: Decimal, currency: str) -> int:
    units = CURRENCIES[currency]
    assert amount.as_tuple().exponent == -units, f"{amount} is not scaled to {currency}"
    return int(amount.scaleb(units))


class PaymentMoneyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.store = InMemoryEventStore()
        self.bus = command_bus(Repository(self.store, Payment), Settings())
        self.model: dict[str, Expected] = {}

    def send(self, build: Callable[[], Command], expected: type[EventramError] | None) -> None:
        """Build a command and send it: a command refuses bad fields when built, the payment
        refuses what breaks its rules when handled; either way nothing is stored."""
        before = self.store.last_position()
        command: Command | str = "building the command"
        error: EventramError | None = None
        try:
            command = build()
            self.bus.handle(command)
        except EventramError as exc:
            error = exc
        if error is None:
            assert expected is None, f"{command} succeeded, the model expected {expected}"
            assert self.store.last_position() == before + 1
        else:
            assert type(error) is expected, f"{command} raised {error!r}, expected {expected}"
            assert self.store.last_position() == before, "a refused command stored events"

    # -- commands ---------------------------------------------------------------------------

    @initialize(
        currencies=st.lists(currencies, min_size=2, max_size=2),
        minors=st.lists(st.integers(min_value=1, max_value=10**7), min_size=2, max_size=2),
    )
    def two_processed_payments(self, currencies: list[str], minors: list[int]) -> None:
        """Start with two completed payments, so that refunds get their chance."""
        for payment_id, currency, minor in zip(IDS, currencies, minors, strict=False):
            self.request(payment_id, currency, minor, 0)
            self.process(payment_id, None, None)

    @rule(payment_id=ids, currency=currencies, minor=minor_amounts, extra=extra_digits)
    def request(self, payment_id: str, currency: str, minor: int, extra: int) -> None:
        expected: type[EventramError] | None = None
        if extra:
            expected = TooManyDecimalPlacesError
        elif payment_id in self.model:
            expected = PaymentAlreadyExistsError
        elif minor <= 0:
            expected = NonPositiveAmountError
        self.send(
            lambda: RequestPayment(
                payment_id=payment_id,
                organization_id="org-1",
                user_id="user-1",
                amount=decimal_of(minor, CURRENCIES[currency], extra),
                currency=currency,
            ),
            expected,
        )
        if expected is None:
            self.model[payment_id] = Expected(currency, minor)

    @rule(
        payment_id=ids,
        currency=other_currency,
        minor=st.one_of(st.none(), st.none(), st.none(), minor_amounts),
    )
    def process(self, payment_id: str, currency: str | None, minor: int | None) -> None:
        payment = self.model.get(payment_id)
        own = payment.currency if payment is not None else "EUR"
        given_currency = currency or own
        if minor is None:
            minor = payment.amount if payment is not None else 1
        amount = decimal_of(minor, CURRENCIES[own])
        expected: type[EventramError] | None = None
        if not fits(amount, CURRENCIES[given_currency]):
            expected = TooManyDecimalPlacesError
        elif payment is None:
            expected = NotFoundError
        elif payment.status != "pending":
            expected = InvalidTransitionError
        elif minor <= 0:
            expected = NonPositiveAmountError
        elif given_currency != payment.currency:
            expected = CurrencyMismatchError
        elif minor != payment.amount:
            expected = AmountMismatchError
        self.send(
            lambda: ProcessPayment(payment_id=payment_id, amount=amount, currency=given_currency),
            expected,
        )
        if expected is None and payment is not None:
            payment.status = "completed"

    @rule(payment_id=ids)
    def fail(self, payment_id: str) -> None:
        payment = self.model.get(payment_id)
        expected: type[EventramError] | None = None
        if payment is None:
            expected = NotFoundError
        elif payment.status != "pending":
            expected = InvalidTransitionError
        self.send(lambda: FailPayment(payment_id=payment_id, error="card declined"), expected)
        if expected is None and payment is not None:
            payment.status = "failed"

    @rule(payment_id=ids, currency=other_currency, size=refund_sizes)
    def refund(self, payment_id: str, currency: str | None, size: tuple[str, int]) -> None:
        payment = self.model.get(payment_id)
        own = payment.currency if payment is not None else "EUR"
        given_currency = currency or own
        remaining = payment.processed - payment.refunded if payment is not None else 0
        kind, number = size
        if kind == "rest":
            minor = remaining
        elif kind == "percent":
            minor = remaining * number // 100
        else:
            minor = number
        amount = decimal_of(minor, CURRENCIES[own])
        expected: type[EventramError] | None = None
        if not fits(amount, CURRENCIES[given_currency]):
            expected = TooManyDecimalPlacesError
        elif payment is None:
            expected = NotFoundError
        elif payment.status not in {"completed", "partially_refunded"}:
            expected = InvalidTransitionError
        elif minor <= 0:
            expected = NonPositiveAmountError
        elif given_currency != payment.currency:
            expected = CurrencyMismatchError
        elif minor > remaining:
            expected = RefundExceedsRemainingError
        self.send(
            lambda: RefundPayment(
                payment_id=payment_id, amount=amount, currency=given_currency, reason="refund"
            ),
            expected,
        )
        if expected is None and payment is not None:
            payment.refunded += minor
            full = payment.refunded == payment.amount
            payment.status = "refunded" if full else "partially_refunded"

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def refunds_never_exceed_what_was_processed_and_status_follows_the_amounts(self) -> None:
        replayed: Repository[Payment] = Repository(self.store, Payment, cache_size=0)
        assert set(self.store.stream_ids()) == set(self.model)
        for payment_id, model in self.model.items():
            events = [e.data for e in self.store.read_stream(payment_id)]
            first = events[0]
            assert isinstance(first, PaymentRequested)
            currency = first.currency
            processed = refunded = 0
            failed = False
            for event in events[1:]:
                if isinstance(event, PaymentProcessed | PaymentRefunded):
                    assert event.currency == currency
                    minor = minor_of(event.amount, currency)
                    assert minor > 0
                    if isinstance(event, PaymentProcessed):
                        assert minor == minor_of(first.amount, currency)
                        processed += minor
                    else:
                        refunded += minor
                else:
                    assert isinstance(event, PaymentFailed)
                    failed = True
            assert 0 <= refunded <= processed <= minor_of(first.amount, currency)
            if failed:
                assert processed == 0
                status = "failed"
            elif processed == 0:
                status = "pending"
            elif refunded == 0:
                status = "completed"
            elif refunded < processed:
                status = "partially_refunded"
            else:
                status = "refunded"
            payment = replayed.load(payment_id)
            assert payment.status == status == model.status
            assert payment.refunded.minor == refunded == model.refunded
            assert payment.remaining.minor == processed - refunded

    @invariant()
    def per_currency_sums_over_the_log_equal_the_sums_over_payments(self) -> None:
        over_log: defaultdict[str, int] = defaultdict(int)
        for recorded in self.store.read_all():
            event = recorded.data
            if isinstance(event, PaymentProcessed):
                over_log[event.currency] += minor_of(event.amount, event.currency)
            elif isinstance(event, PaymentRefunded):
                over_log[event.currency] -= minor_of(event.amount, event.currency)
        over_payments: defaultdict[str, int] = defaultdict(int)
        for model in self.model.values():
            over_payments[model.currency] += model.processed - model.refunded
        assert {c: v for c, v in over_log.items() if v} == {
            c: v for c, v in over_payments.items() if v
        }


PaymentMoneyMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestPaymentMoneyInvariants = PaymentMoneyMachine.TestCase
