"""The use cases on fakes: one charge per order, declines, cancellations and refunds."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from ecomkit.contracts import PaymentCompleted, PaymentFailed, RefundCompleted

from payment.bootstrap import bootstrap
from payment.domain import commands
from payment.domain.errors import (
    NotRefundable,
    OrderCancelled,
    PaymentNotFound,
    ProviderUnavailable,
)
from payment.domain.model import PaymentStatus
from payment.service_layer.messagebus import MessageBus
from payment.settings import Settings
from tests.fakes import FAKE_DECLINED, FAKE_OK, FakePaymentProvider, FakeStore, UowFactory

pytestmark = pytest.mark.anyio


@pytest.fixture
def bus(uow: UowFactory, provider: FakePaymentProvider) -> MessageBus:
    return bootstrap(Settings(), uow=uow, provider=provider)


def charge(order_id: int = 7, method: str | None = FAKE_OK) -> commands.ChargeOrder:
    return commands.ChargeOrder(order_id, 3, Decimal("19.99"), "usd", method)


async def test_a_good_card_completes_the_payment(
    bus: MessageBus, store: FakeStore, provider: FakePaymentProvider
) -> None:
    payment = await bus.handle(charge())
    assert payment.status is PaymentStatus.COMPLETED and payment.currency == "USD"
    assert [type(e) for e in store.events] == [PaymentCompleted]
    published = store.events[0].to_event()
    # The wire payload, field for field as before the typed contracts.
    assert published.data == {
        "order_id": 7,
        "user_id": 3,
        "payment_id": payment.payment_id,
        "amount": "19.99",
        "currency": "USD",
        "provider": "fake",
        "provider_ref": payment.provider_ref,
    }
    assert published.topic == "payment-completed-events" and published.key == "7"
    assert [t.type.value for t in store.payments[payment.id].transactions] == ["CHARGE"]
    assert provider.net_charges(7) == 1


async def test_a_decline_is_a_failed_payment_with_its_code(
    bus: MessageBus, store: FakeStore
) -> None:
    payment = await bus.handle(charge(method=FAKE_DECLINED))
    assert payment.status is PaymentStatus.FAILED and payment.decline_code == "card_declined"
    (event,) = store.events
    assert isinstance(event, PaymentFailed)
    assert event.to_event().data == {
        "order_id": 7,
        "user_id": 3,
        "payment_id": payment.payment_id,
        "amount": "19.99",
        "currency": "USD",
        "reason": "Your card was declined.",
        "decline_code": "card_declined",
    }


async def test_charging_twice_charges_once(
    bus: MessageBus, store: FakeStore, provider: FakePaymentProvider
) -> None:
    first = await bus.handle(charge())
    second = await bus.handle(charge())
    assert first.payment_id == second.payment_id
    assert len(store.payments) == 1 and len(store.events) == 1
    assert len(provider.charges) == 1 and provider.calls == 1


async def test_concurrent_charges_of_one_order_charge_once(
    bus: MessageBus, store: FakeStore, provider: FakePaymentProvider
) -> None:
    results = await asyncio.gather(*(bus.handle(charge()) for _ in range(5)))
    assert len({p.payment_id for p in results}) == 1
    assert len(provider.charges) == 1 and len(store.events) == 1


async def test_a_cancelled_order_is_not_charged(
    bus: MessageBus, store: FakeStore, provider: FakePaymentProvider
) -> None:
    assert await bus.handle(commands.RecordOrderCancelled(7, "user cancelled")) is None
    with pytest.raises(OrderCancelled):
        await bus.handle(charge())
    assert provider.calls == 0 and store.payments == {} and store.events == []


async def test_cancelling_a_charged_order_refunds_it_once(
    bus: MessageBus, store: FakeStore, provider: FakePaymentProvider
) -> None:
    payment = await bus.handle(charge())
    refunded = await bus.handle(commands.RecordOrderCancelled(7, "saga timeout"))
    again = await bus.handle(commands.RecordOrderCancelled(7, "saga timeout"))
    assert refunded.status is PaymentStatus.REFUNDED and again.status is PaymentStatus.REFUNDED
    assert [type(e) for e in store.events] == [PaymentCompleted, RefundCompleted]
    assert store.events[1].to_event().data == {
        "order_id": 7,
        "user_id": 3,
        "payment_id": payment.payment_id,
        "amount": "19.99",
        "currency": "USD",
        "provider_ref": "re_fake2",
    }
    assert provider.net_charges(7) == 0 and len(provider.refunds) == 1
    kinds = [t.type.value for t in store.payments[payment.id].transactions]
    assert kinds == ["CHARGE", "REFUND"]


async def test_cancelling_a_failed_payment_refunds_nothing(
    bus: MessageBus, store: FakeStore, provider: FakePaymentProvider
) -> None:
    await bus.handle(charge(method=FAKE_DECLINED))
    payment = await bus.handle(commands.RecordOrderCancelled(7, None))
    assert payment.status is PaymentStatus.FAILED and provider.refunds == []


async def test_charge_and_cancel_racing_leave_no_net_charge(
    bus: MessageBus, provider: FakePaymentProvider
) -> None:
    for order in range(100, 140):
        charging = bus.handle(charge(order))
        cancelling = bus.handle(commands.RecordOrderCancelled(order, None))
        first, second = (charging, cancelling) if order % 2 else (cancelling, charging)
        await asyncio.gather(first, second, return_exceptions=True)
        assert provider.net_charges(order) == 0


async def test_admin_refund(bus: MessageBus, store: FakeStore) -> None:
    payment = await bus.handle(charge())
    refunded = await bus.handle(commands.RefundPayment(payment.payment_id))
    twice = await bus.handle(commands.RefundPayment(payment.payment_id))
    assert refunded.status is PaymentStatus.REFUNDED and twice.status is PaymentStatus.REFUNDED
    assert [type(e).__name__ for e in store.events] == ["PaymentCompleted", "RefundCompleted"]
    with pytest.raises(PaymentNotFound):
        await bus.handle(commands.RefundPayment("nope"))


async def test_a_failed_payment_is_not_refundable(bus: MessageBus) -> None:
    payment = await bus.handle(charge(method=FAKE_DECLINED))
    with pytest.raises(NotRefundable):
        await bus.handle(commands.RefundPayment(payment.payment_id))


async def test_an_unavailable_provider_leaves_nothing_behind(
    store: FakeStore, uow: UowFactory
) -> None:
    bus = bootstrap(Settings(), uow=uow, provider=FakePaymentProvider(unavailable=True))
    with pytest.raises(ProviderUnavailable):
        await bus.handle(charge())
    assert (
        store.payments == {}
        and store.events == []
        and not any(lock.locked() for lock in store.locks.values())
    )
