"""The saga consumer's handler: events to commands, redelivery, malformed events."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from ecomkit.consumer import PermanentError
from ecomkit.events import Envelope

from payment.bootstrap import bootstrap
from payment.entrypoints.consumers import charge_command, saga_handler
from payment.service_layer.unit_of_work import UnitOfWork
from payment.settings import Settings
from tests.fakes import FAKE_OK, FakePaymentProvider, FakeStore, FakeUnitOfWork

pytestmark = pytest.mark.anyio


class MemoryInbox:
    """The kit inbox's behaviour: an event id is handled once per consumer."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    async def handle(self, envelope: Envelope, handler: Any) -> bool:
        if str(envelope.id) in self.seen:
            return False
        await handler(envelope, None)
        self.seen.add(str(envelope.id))
        return True


def reserved(order_id: int = 9, **extra: Any) -> Envelope:
    data = {
        "order_id": order_id,
        "user_id": 4,
        "items": [{"product_id": 1, "quantity": 2, "price": "5.00"}],
        "total_amount": "10.00",
        "currency": "EUR",
        "payment_method_id": FAKE_OK,
        "expires_at": "2030-01-01T00:00:00Z",
        **extra,
    }
    return Envelope(type="InventoryReserved", source="inventory", subject=str(order_id), data=data)


def cancelled(order_id: int = 9) -> Envelope:
    data = {"order_id": order_id, "user_id": 4, "reason": "user", "previous_status": "PENDING"}
    return Envelope(type="OrderCancelled", source="order", subject=str(order_id), data=data)


@pytest.fixture
def world() -> tuple[FakeStore, FakePaymentProvider, Any]:
    store, provider = FakeStore(), FakePaymentProvider()
    bus = bootstrap(Settings(), uow=lambda: FakeUnitOfWork(store), provider=provider)

    def join(_kit_uow: Any) -> UnitOfWork:
        return FakeUnitOfWork(store)

    return store, provider, saga_handler(bus, join)


def test_the_charge_command_reads_the_contract_fields() -> None:
    command = charge_command(reserved())
    assert (command.order_id, command.user_id, command.amount) == (9, 4, Decimal("10.00"))
    assert command.currency == "EUR" and command.payment_method_id == FAKE_OK
    camel = Envelope(
        type="InventoryReserved",
        source="inventory",
        data={"orderId": 11, "userId": 4, "totalAmount": "1.50", "paymentMethodId": "pm_x"},
    )
    assert charge_command(camel).order_id == 11 and charge_command(camel).currency == "USD"


def test_a_malformed_event_is_permanent() -> None:
    with pytest.raises(PermanentError):
        charge_command(reserved(total_amount="lots"))


async def test_the_same_event_twice_charges_once(world: Any) -> None:
    store, provider, handler = world
    inbox, event = MemoryInbox(), reserved()
    assert await inbox.handle(event, handler)
    assert not await inbox.handle(event, handler)
    # A re-published copy (new event id, same order) has no second effect either.
    assert await inbox.handle(reserved(), handler)
    assert len(provider.charges) == 1 and len(store.events) == 1


async def test_cancelled_before_reserved_is_never_charged(world: Any) -> None:
    store, provider, handler = world
    await handler(cancelled(), None)
    await handler(reserved(), None)  # no error: the event is handled, nothing charged
    assert provider.calls == 0 and store.events == []


async def test_cancelled_after_payment_is_refunded(world: Any) -> None:
    store, provider, handler = world
    await handler(reserved(), None)
    await handler(cancelled(), None)
    assert [type(e).__name__ for e in store.events] == ["PaymentCompleted", "RefundCompleted"]
    assert provider.net_charges(9) == 0


async def test_other_events_are_ignored(world: Any) -> None:
    store, provider, handler = world
    await handler(Envelope(type="Something", source="x", data={}), None)
    assert store.events == [] and provider.calls == 0
