"""Saga events through the consumer handler, with the kit's in-memory inbox: a redelivered
event has no second effect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ecomkit.consumer import PermanentError
from ecomkit.events import Envelope
from ecomkit.testing import InMemoryInbox

from order.domain import commands
from order.domain.model import OrderStatus
from order.entrypoints.consumers import command_for, saga_handler
from order.service_layer.handlers import Placed
from order.service_layer.messagebus import MessageBus
from order.service_layer.unit_of_work import UnitOfWork
from tests.fakes import FakeStore, FakeUnitOfWork

pytestmark = pytest.mark.anyio


def event(kind: str, **data: Any) -> Envelope:
    return Envelope(type=kind, source="test", data=data)


def joined_fake(store: FakeStore) -> Callable[[Any], UnitOfWork]:
    """Stands for PostgresUnitOfWork.joining: a unit of work in the inbox's transaction."""
    return lambda _inbox_uow: FakeUnitOfWork(store)


async def new_order(bus: MessageBus) -> int:
    command = commands.PlaceOrder(
        user_id=1, items=(commands.ItemRequest(10, 1),), authorization="Bearer t"
    )
    result: Placed = await bus.handle(command)
    return result.order.id or 0


async def test_redelivered_payment_has_no_second_effect(
    bus: MessageBus, store: FakeStore
) -> None:
    order_id = await new_order(bus)
    inbox, handler = InMemoryInbox(), saga_handler(bus, joined_fake(store))
    paid = event("PaymentCompleted", order_id=order_id, payment_id="pay-1", amount="19.99")
    assert await inbox.handle(paid, "order", handler)
    assert not await inbox.handle(paid, "order", handler)
    assert store.orders[order_id].status is OrderStatus.PAID
    assert store.published_types() == ["OrderCreated", "OrderPaid"]


async def test_every_saga_event_maps_to_its_command() -> None:
    assert command_for(event("InventoryReserved", order_id=1)) == commands.RecordReservation(1)
    assert command_for(
        event("InventoryReservationFailed", order_id="2", reason="out of stock")
    ) == commands.RecordReservationFailure(2, "out of stock")
    assert command_for(
        event("PaymentCompleted", order_id=3, payment_id=7)
    ) == commands.RecordPayment(3, "7")
    assert command_for(
        event("PaymentFailed", order_id=4, reason="card_declined")
    ) == commands.RecordPaymentFailure(4, "card_declined")
    assert command_for(event("SomethingElse", order_id=5)) is None


async def test_an_event_without_order_id_goes_to_the_dlq() -> None:
    with pytest.raises(PermanentError):
        command_for(event("PaymentCompleted", payment_id="x"))


async def test_declined_payment_cancels(bus: MessageBus, store: FakeStore) -> None:
    order_id = await new_order(bus)
    handler = saga_handler(bus, joined_fake(store))
    await handler(event("PaymentFailed", order_id=order_id, reason="card_declined"), None)
    assert store.orders[order_id].status is OrderStatus.CANCELLED
    assert store.published[-1].data["previous_status"] == "PENDING"
