"""Order events through the consumer handler with the kit's in-memory inbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from ecomkit.consumer import PermanentError
from ecomkit.events import Envelope
from ecomkit.testing import InMemoryInbox

from inventory.domain import commands
from inventory.domain.model import StockLevel
from inventory.entrypoints.consumers import command_for, order_events_handler
from inventory.service_layer.messagebus import MessageBus
from inventory.service_layer.unit_of_work import UnitOfWork
from tests.fakes import FakeStore, FakeUnitOfWork

pytestmark = pytest.mark.anyio


def event(kind: str, **data: Any) -> Envelope:
    return Envelope(type=kind, source="test", data=data)


def joined_fake(store: FakeStore) -> Callable[[Any], UnitOfWork]:
    """Stands for MysqlUnitOfWork.joining: a unit of work in the inbox's transaction."""
    return lambda _inbox_uow: FakeUnitOfWork(store)


CREATED = event(
    "OrderCreated", order_id=5, user_id=1, total_amount="20.00", currency="USD",
    items=[{"product_id": 1, "quantity": 2, "price": "10.00"}],
)


async def test_saga_events_drive_the_stock(bus: MessageBus, store: FakeStore) -> None:
    await bus.handle(commands.SetStock(1, 3))
    inbox, handler = InMemoryInbox(), order_events_handler(bus, joined_fake(store))
    assert await inbox.handle(CREATED, "inventory", handler)
    assert not await inbox.handle(CREATED, "inventory", handler)  # redelivered
    assert store.stock[1] == StockLevel(1, available=1, reserved=2)
    await inbox.handle(event("OrderPaid", order_id=5), "inventory", handler)
    assert store.stock[1] == StockLevel(1, available=1, reserved=0, sold=2)


async def test_payment_failed_then_cancelled_releases_once(
    bus: MessageBus, store: FakeStore
) -> None:
    await bus.handle(commands.SetStock(1, 3))
    handler = order_events_handler(bus, joined_fake(store))
    await handler(CREATED, None)
    await handler(event("PaymentFailed", order_id=5, reason="card_declined"), None)
    await handler(event("OrderCancelled", order_id=5, reason="payment failed"), None)
    assert store.stock[1] == StockLevel(1, available=3)


async def test_mapping_and_bad_events() -> None:
    assert command_for(event("OrderPaid", order_id="9")) == commands.ConfirmStock(9)
    assert command_for(event("OrderCancelled", order_id=9, reason="x")) == commands.ReleaseStock(
        9, "x"
    )
    assert command_for(event("OrderShipped", order_id=9)) is None
    with pytest.raises(PermanentError):
        command_for(event("OrderCreated", order_id=9, items=[]))
    with pytest.raises(PermanentError):
        command_for(event("OrderPaid"))
