"""What the outbox publishes: each event's contract gives the topic, key and payload the
wire carried before the contracts (field names and values unchanged), so readers built
on that payload keep working."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from ecomkit.contracts import ReservedItem
from ecomkit.events import Event

from inventory.domain import commands
from inventory.service_layer.messagebus import MessageBus
from tests.fakes import FakeStore

pytestmark = pytest.mark.anyio

CHARGE = commands.Charge(7, Decimal("30.00"), "USD", "pm_card_visa")


def line(product_id: int, quantity: int, price: str | None = "10.00") -> ReservedItem:
    return ReservedItem(
        product_id=product_id, quantity=quantity, price=Decimal(price) if price else None
    )


def outbox_rows(store: FakeStore) -> list[Event]:
    """What the kit's SQL unit of work writes for each recorded event."""
    return [event.to_event() for event in store.published]


def row(type_: str, topic: str, key: str, aggregate: str, data: dict[str, Any]) -> Event:
    return Event(type=type_, topic=topic, key=key, subject=key, data=data,
                 aggregate_type=aggregate, schema_version=1)


async def test_inventory_updated_on_the_wire(bus: MessageBus, store: FakeStore) -> None:
    await bus.handle(commands.SetStock(1, 5))
    assert outbox_rows(store) == [
        row("InventoryUpdated", "inventory-updated-events", "1", "product",
            {"product_id": 1, "available_stock": 5, "reserved_stock": 0, "sold_stock": 0}),
    ]


async def test_inventory_reserved_on_the_wire(bus: MessageBus, store: FakeStore) -> None:
    await bus.handle(commands.SetStock(1, 5))
    store.published.clear()
    await bus.handle(commands.ReserveStock(100, (line(1, 2), line(1, 1, "4.50")), CHARGE))
    assert outbox_rows(store)[-1] == row(
        "InventoryReserved", "inventory-reserved-events", "100", "order",
        {
            "order_id": 100,
            "user_id": 7,
            "items": [
                {"product_id": 1, "quantity": 2, "price": "10.00"},
                {"product_id": 1, "quantity": 1, "price": "4.50"},
            ],
            "total_amount": "30.00",
            "currency": "USD",
            "payment_method_id": "pm_card_visa",
            "expires_at": "2025-01-01T12:15:00Z",  # store.now + 900 s, UTC
        },
    )


async def test_reservation_failed_on_the_wire(bus: MessageBus, store: FakeStore) -> None:
    await bus.handle(commands.SetStock(1, 5))
    store.published.clear()
    await bus.handle(commands.ReserveStock(101, (line(1, 1), line(2, 3)), CHARGE))
    assert outbox_rows(store) == [
        row("InventoryReservationFailed", "inventory-reservation-failed-events", "101", "order",
            {"order_id": 101, "user_id": 7, "reason": "insufficient stock for product(s) 2",
             "items": [{"product_id": 2, "requested": 3, "available": 0}]}),
    ]


async def test_a_hold_without_the_orders_charge_publishes_no_saga_event(
    bus: MessageBus, store: FakeStore
) -> None:
    """POST /api/inventory/reserve without user, total and currency: the stock is held
    (InventoryUpdated) but no InventoryReserved/Failed, which payment could not read."""
    await bus.handle(commands.SetStock(1, 1))
    store.published.clear()
    await bus.handle(commands.ReserveStock(102, (line(1, 1, None),)))
    await bus.handle(commands.ReserveStock(103, (line(1, 1, None),)))  # out of stock
    assert store.published_types() == ["InventoryUpdated"]
    assert store.stock[1].reserved == 1 and store.cancelled[103]
