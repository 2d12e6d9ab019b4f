"""In-memory stand-ins for PostgreSQL and Stripe; contracts.py keeps them honest."""

from __future__ import annotations

import asyncio
import copy
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from ecomkit.contracts import Contract

from payment.adapters.repositories import PaymentRepository
from payment.domain.errors import ProviderUnavailable
from payment.domain.model import Payment
from payment.service_layer.ports import ChargeRequest, ChargeResult, RefundResult
from payment.service_layer.unit_of_work import UnitOfWork

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class FakeStore:
    """The "database": committed state shared by every unit of work."""

    payments: dict[int, Payment] = field(default_factory=dict)
    cancelled: dict[int, str | None] = field(default_factory=dict)
    events: list[Contract] = field(default_factory=list)
    locks: dict[int, asyncio.Lock] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))


class FakePaymentRepository(PaymentRepository):
    def __init__(self, store: FakeStore, work: FakeUnitOfWork) -> None:
        self.store = store
        self.work = work
        self.payments = copy.deepcopy(store.payments)
        self.cancelled = dict(store.cancelled)

    async def lock_order(self, order_id: int) -> None:
        lock = self.store.locks.setdefault(order_id, asyncio.Lock())
        await lock.acquire()
        self.work.held.append(lock)
        # What others committed while we waited is visible now, as in READ COMMITTED.
        self.payments = copy.deepcopy(self.store.payments)
        self.cancelled = dict(self.store.cancelled)

    async def get(self, payment_id: str) -> Payment | None:
        found = [p for p in self.payments.values() if p.payment_id == payment_id]
        return copy.deepcopy(found[0]) if found else None

    async def get_by_order(self, order_id: int) -> Payment | None:
        found = [p for p in self.payments.values() if p.order_id == order_id]
        return copy.deepcopy(found[0]) if found else None

    async def add(self, payment: Payment) -> Payment:
        if any(p.order_id == payment.order_id for p in self.store.payments.values()):
            raise AssertionError(f"unique violation: order {payment.order_id} has a payment")
        payment.id = next(self.store.ids)
        payment.created_at = payment.updated_at = NOW
        self._number_transactions(payment)
        self.payments[payment.id] = copy.deepcopy(payment)
        return payment

    async def save(self, payment: Payment) -> None:
        assert payment.id is not None
        self._number_transactions(payment)
        self.payments[payment.id] = copy.deepcopy(payment)

    async def is_cancelled(self, order_id: int) -> bool:
        return order_id in self.cancelled

    async def record_cancelled(self, order_id: int, reason: str | None) -> bool:
        if order_id in self.cancelled:
            return False
        self.cancelled[order_id] = reason
        return True

    def _number_transactions(self, payment: Payment) -> None:
        for tx in payment.transactions:
            if tx.id is None:
                tx.id = next(self.store.ids)


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, store: FakeStore) -> None:
        self.store = store
        self.pending: list[Contract] = []
        self.held: list[asyncio.Lock] = []
        self.committed = False

    async def __aenter__(self) -> FakeUnitOfWork:
        self.payments = FakePaymentRepository(self.store, self)
        self.pending = []
        return self

    def add_event(self, event: Contract) -> None:
        self.pending.append(event)

    async def commit(self) -> None:
        repo = self.payments
        assert isinstance(repo, FakePaymentRepository)
        self.store.payments = copy.deepcopy(repo.payments)
        self.store.cancelled = dict(repo.cancelled)
        self.store.events += self.pending
        self.pending = []
        self.committed = True
        self._release()

    async def rollback(self) -> None:
        self.pending = []
        self._release()

    def _release(self) -> None:
        while self.held:
            self.held.pop().release()


UowFactory = Callable[[], FakeUnitOfWork]  # what Dependencies.uow / bootstrap(uow=) take


ResultT = TypeVar("ResultT", ChargeResult, RefundResult)

# Payment methods the fake knows, named like Stripe's test payment methods.
FAKE_OK = "pm_card_visa"
FAKE_DECLINED = "pm_card_chargeDeclined"


@dataclass
class Charge:
    request: ChargeRequest
    ref: str
    refunded: bool = False


class FakePaymentProvider:
    """Charges in memory; honours idempotency keys as Stripe does."""

    name = "fake"

    def __init__(self, *, unavailable: bool = False) -> None:
        self.unavailable = unavailable
        self.charges: list[Charge] = []
        self.refunds: list[str] = []
        self.calls = 0
        self._by_key: dict[str, ChargeResult | RefundResult] = {}
        self._ids = itertools.count(1)

    async def charge(self, request: ChargeRequest) -> ChargeResult:
        return self._once(request.idempotency_key, ChargeResult, lambda: self._charge(request))

    def _once(
        self, idempotency_key: str, kind: type[ResultT], call: Callable[[], ResultT]
    ) -> ResultT:
        """A call to the provider as Stripe answers it: refused while it is unreachable, and
        the first answer to an idempotency key again for every later call with that key."""
        self.calls += 1
        if self.unavailable:
            raise ProviderUnavailable("fake provider: connection refused")
        if idempotency_key not in self._by_key:
            self._by_key[idempotency_key] = call()  # a refusal (raised) is not remembered
        earlier = self._by_key[idempotency_key]
        assert isinstance(earlier, kind)
        return earlier

    def _charge(self, request: ChargeRequest) -> ChargeResult:
        method = request.payment_method_id
        if not method:
            return ChargeResult(False, None, "missing_payment_method", "no payment method given")
        ref = f"pi_fake{next(self._ids)}"
        if method == FAKE_DECLINED:
            return ChargeResult(False, ref, "card_declined", "Your card was declined.")
        if method != FAKE_OK and not method.startswith("pm_ok_"):
            return ChargeResult(False, None, "invalid_request", "No such payment method")
        self.charges.append(Charge(request, ref))
        return ChargeResult(True, ref)

    async def refund(
        self, provider_ref: str, amount: Decimal, idempotency_key: str
    ) -> RefundResult:
        return self._once(idempotency_key, RefundResult, lambda: self._refund(provider_ref))

    def _refund(self, provider_ref: str) -> RefundResult:
        charge = next((c for c in self.charges if c.ref == provider_ref), None)
        if charge is None or charge.refunded:
            raise ProviderUnavailable(f"fake provider: cannot refund {provider_ref}")
        charge.refunded = True
        self.refunds.append(provider_ref)
        return RefundResult(f"re_fake{next(self._ids)}")

    def net_charges(self, order_id: int) -> int:
        return sum(1 for c in self.charges if c.request.order_id == order_id and not c.refunded)
