"""Saga events through the consumer handler, with the kit's in-memory inbox: each event is
read through its contract, and a redelivered event has no second effect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ecomkit.contracts import ContractError, OrderShipped
from ecomkit.events import Envelope
from ecomkit.testing import InMemoryInbox, arriving
from ecomkit.testing.saga_samples import (
    inventory_reservation_failed,
    inventory_reserved,
    payment_completed,
    payment_failed,
)

from order.domain import commands
from order.domain.model import OrderStatus
from order.entrypoints.consumers import CONSUMED, saga_handler
from order.service_layer.handlers import HANDLERS, Placed
from order.service_layer.messagebus import MessageBus
from order.service_layer.unit_of_work import UnitOfWork
from tests.fakes import FakeStore, FakeUnitOfWork

pytestmark = pytest.mark.anyio


def joined_fake(store: FakeStore) -> Callable[[Any], UnitOfWork]:
    """Stands for PostgresUnitOfWork.joining: a unit of work in the inbox's transaction."""
    return lambda _inbox_uow: FakeUnitOfWork(store)


async def new_order(bus: MessageBus) -> int:
    command = commands.PlaceOrder(
        user_id=1, items=(commands.ItemRequest(10, 1),), authorization="Bearer t"
    )
    result: Placed = await bus.handle(command)
    return result.order.id or 0


async def test_redelivered_payment_has_no_second_effect(bus: MessageBus, store: FakeStore) -> None:
    order_id = await new_order(bus)
    inbox, handler = InMemoryInbox(), saga_handler(bus, joined_fake(store))
    paid = arriving(payment_completed(order_id))
    assert await inbox.handle(paid, "order", handler)
    assert not await inbox.handle(paid, "order", handler)
    assert store.orders[order_id].status is OrderStatus.PAID
    assert store.published_types() == ["OrderCreated", "OrderPaid"]


async def test_every_consumed_event_has_its_handler(bus: MessageBus, store: FakeStore) -> None:
    assert set(CONSUMED) <= set(HANDLERS)
    order_id = await new_order(bus)
    handler = saga_handler(bus, joined_fake(store))
    await handler(arriving(inventory_reservation_failed(order_id)), None)
    assert store.orders[order_id].cancel_reason == "reservation failed: out of stock"


async def test_the_consumed_events_are_read_through_their_contracts(
    bus: MessageBus, store: FakeStore
) -> None:
    order_id = await new_order(bus)
    handler = saga_handler(bus, joined_fake(store))
    await handler(arriving(inventory_reserved(order_id)), None)
    await handler(arriving(payment_completed(order_id)), None)
    assert store.orders[order_id].status is OrderStatus.PAID
    assert store.orders[order_id].payment_id == "pay-1"
    assert {c.event_type for c in CONSUMED} == {
        "InventoryReserved",
        "InventoryReservationFailed",
        "PaymentCompleted",
        "PaymentFailed",
    }


@pytest.mark.parametrize(
    "data",
    [
        {"payment_id": "x", "user_id": 1},  # no order_id
        {"order_id": "not a number", "user_id": 1, "payment_id": "x"},
        {"order_id": 1, "user_id": 1},  # no payment_id, amount, currency...
    ],
)
async def test_a_malformed_event_goes_to_the_dlq(
    bus: MessageBus, store: FakeStore, data: dict[str, Any]
) -> None:
    """A ContractError is the kit consumer's DLQ path: nothing is retried or changed."""
    order_id = await new_order(bus)
    handler = saga_handler(bus, joined_fake(store))
    with pytest.raises(ContractError):
        await handler(Envelope(type="PaymentCompleted", source="test", data=data), None)
    assert store.orders[order_id].status is OrderStatus.PENDING
    assert store.published_types() == ["OrderCreated"]


async def test_an_event_of_another_type_is_ignored(bus: MessageBus, store: FakeStore) -> None:
    order_id = await new_order(bus)
    handler = saga_handler(bus, joined_fake(store))
    await handler(Envelope(type="SomethingElse", source="test", data={"order_id": order_id}), None)
    await handler(arriving(OrderShipped(order_id=order_id, user_id=1)), None)
    assert store.published_types() == ["OrderCreated"]


async def test_declined_payment_cancels(bus: MessageBus, store: FakeStore) -> None:
    order_id = await new_order(bus)
    handler = saga_handler(bus, joined_fake(store))
    await handler(arriving(payment_failed(order_id)), None)
    assert store.orders[order_id].status is OrderStatus.CANCELLED
    assert store.orders[order_id].cancel_reason == "payment failed: card_declined"
    assert store.published[-1].data["previous_status"] == "PENDING"
