"""Order and payment events through the consumer handler with the kit's in-memory inbox;
each event is built from its contract, as the publishing service builds it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from ecomkit.consumer import PermanentError
from ecomkit.contracts import (
    ContractError,
    OrderCancelled,
    OrderCreated,
    OrderLineItem,
    OrderPaid,
    OrderShipped,
    PaymentFailed,
    ReservedItem,
)
from ecomkit.events import Envelope
from ecomkit.service import reading, topics_of
from ecomkit.testing import InMemoryInbox, arriving

from inventory.domain import commands
from inventory.domain.model import StockLevel
from inventory.entrypoints.consumers import CONSUMED, command_for, order_events_handler
from inventory.service_layer.messagebus import MessageBus
from inventory.service_layer.unit_of_work import UnitOfWork
from tests.fakes import FakeStore, FakeUnitOfWork

pytestmark = pytest.mark.anyio

to_command = reading(CONSUMED, command_for)


def joined_fake(store: FakeStore) -> Callable[[Any], UnitOfWork]:
    """Stands for MysqlUnitOfWork.joining: a unit of work in the inbox's transaction."""
    return lambda _inbox_uow: FakeUnitOfWork(store)


def order_created(order_id: int = 5, *items: OrderLineItem) -> OrderCreated:
    return OrderCreated(
        order_id=order_id, user_id=1, order_number=f"ORD-{order_id}",
        items=list(items or [OrderLineItem(product_id=1, quantity=2, price=Decimal("10.00"))]),
        total_amount=Decimal("20.00"), currency="USD", payment_method_id="pm_card_visa",
        email="buyer@example.com", created_at=datetime(2025, 1, 1, 12, tzinfo=UTC),
    )


CREATED = arriving(order_created())
PAID_EVENT = OrderPaid(order_id=5, user_id=1, total_amount=Decimal("20.00"), currency="USD")
PAID = arriving(PAID_EVENT)


def payment_failed(order_id: int) -> PaymentFailed:
    return PaymentFailed(
        order_id=order_id, user_id=1, payment_id="pay-1", amount=Decimal("20.00"),
        currency="USD", reason="card_declined", decline_code="generic_decline",
    )


def cancelled(order_id: int, reason: str = "payment failed") -> OrderCancelled:
    return OrderCancelled(order_id=order_id, user_id=1, reason=reason, previous_status="PENDING")


async def test_saga_events_drive_the_stock(bus: MessageBus, store: FakeStore) -> None:
    await bus.handle(commands.SetStock(1, 3))
    inbox, handler = InMemoryInbox(), order_events_handler(bus, joined_fake(store))
    assert await inbox.handle(CREATED, "inventory", handler)
    assert not await inbox.handle(CREATED, "inventory", handler)  # redelivered
    assert store.stock[1] == StockLevel(1, available=1, reserved=2)
    assert store.published_types()[-1] == "InventoryReserved"
    await inbox.handle(PAID, "inventory", handler)
    assert store.stock[1] == StockLevel(1, available=1, reserved=0, sold=2)


async def test_payment_failed_then_cancelled_releases_once(
    bus: MessageBus, store: FakeStore
) -> None:
    await bus.handle(commands.SetStock(1, 3))
    handler = order_events_handler(bus, joined_fake(store))
    await handler(CREATED, None)
    await handler(arriving(payment_failed(5)), None)
    await handler(arriving(cancelled(5)), None)
    assert store.stock[1] == StockLevel(1, available=3)


async def test_mapping() -> None:
    line = OrderLineItem(product_id=3, quantity=1, price=Decimal("2.50"))
    assert to_command(arriving(order_created(9, line))) == commands.ReserveStock(
        9,
        (ReservedItem(product_id=3, quantity=1, price=Decimal("2.50")),),
        commands.Charge(1, Decimal("20.00"), "USD", "pm_card_visa"),
    )
    assert to_command(PAID) == PAID_EVENT
    assert to_command(arriving(payment_failed(9))) == commands.ReleaseStock(
        9, "payment failed: card_declined"
    )
    assert to_command(arriving(cancelled(9, "x"))) == commands.ReleaseStock(9, "x")
    assert to_command(arriving(cancelled(9, ""))) == commands.ReleaseStock(9, "order cancelled")
    assert to_command(arriving(OrderShipped(order_id=9, user_id=1))) is None  # not consumed


async def test_malformed_events_go_to_the_dlq() -> None:
    """ContractError and PermanentError are what the kit's consumer sends to the DLQ at once."""
    with pytest.raises(ContractError):  # no order_id
        to_command(Envelope(type="OrderPaid", source="test", data={"user_id": 1}))
    no_items = CREATED.data | {"items": [{"product_id": 1, "price": "1.00"}]}
    with pytest.raises(ContractError):  # a line without a quantity
        to_command(Envelope(type="OrderCreated", source="test", data=no_items))
    with pytest.raises(PermanentError):  # fits the contract, but nothing to reserve
        to_command(arriving(order_created(9).model_copy(update={"items": []})))
    zero = OrderLineItem(product_id=1, quantity=0, price=Decimal("1.00"))
    with pytest.raises(PermanentError):
        to_command(arriving(order_created(9, zero)))


async def test_consumed_topics_come_from_the_contracts() -> None:
    assert topics_of(CONSUMED) == [
        "order-created-events", "order-paid-events", "payment-failed-events",
        "order-cancelled-events",
    ]
