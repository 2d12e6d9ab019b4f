"""What the order service publishes, in the outbox's form: the wire payloads other services
read (field names, decimal strings, the key) stay those the contracts describe."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ecomkit.contracts import OrderCreated, Topic
from ecomkit.testing.saga_samples import payment_completed, payment_failed

from order.domain import commands
from order.service_layer.handlers import Placed
from order.service_layer.messagebus import MessageBus
from tests.fakes import FakeStore

pytestmark = pytest.mark.anyio


async def place(bus: MessageBus) -> int:
    command = commands.PlaceOrder(
        user_id=1,
        items=(commands.ItemRequest(10, 2), commands.ItemRequest(11, 1)),
        authorization="Bearer t",
        payment_method_id="pm_card_visa",
    )
    result: Placed = await bus.handle(command)
    return result.order.id or 0


async def test_every_published_event_keeps_its_wire_payload(
    bus: MessageBus, store: FakeStore
) -> None:
    paid, cancelled = await place(bus), await place(bus)
    await bus.handle(payment_completed(paid))
    await bus.handle(commands.ShipOrder(paid))
    await bus.handle(commands.CancelOrder(cancelled, "changed my mind", actor_id=1))
    created = {
        "order_id": paid,
        "order_number": store.orders[paid].order_number,
        "user_id": 1,
        "items": [
            {"product_id": 10, "quantity": 2, "price": "19.99"},
            {"product_id": 11, "quantity": 1, "price": "5.00"},
        ],
        "total_amount": "44.98",
        "currency": "USD",
        "payment_method_id": "pm_card_visa",
        "email": "ada@example.com",
        "created_at": "2025-01-01T12:00:00Z",
    }
    assert [(e.type, e.topic, e.key, e.subject) for e in store.published] == [
        ("OrderCreated", Topic.ORDER_CREATED, str(paid), str(paid)),
        ("OrderCreated", Topic.ORDER_CREATED, str(cancelled), str(cancelled)),
        ("OrderPaid", Topic.ORDER_PAID, str(paid), str(paid)),
        ("OrderShipped", Topic.ORDER_SHIPPED, str(paid), str(paid)),
        ("OrderCancelled", Topic.ORDER_CANCELLED, str(cancelled), str(cancelled)),
    ]
    payloads = [e.data for e in store.published]
    assert payloads[0] == created
    assert payloads[2:] == [
        {"order_id": paid, "user_id": 1, "total_amount": "44.98", "currency": "USD"},
        {"order_id": paid, "user_id": 1},
        {
            "order_id": cancelled,
            "user_id": 1,
            "reason": "changed my mind",
            "previous_status": "PENDING",
        },
    ]
    assert {e.aggregate_type for e in store.published} == {"order"}
    assert {e.schema_version for e in store.published} == {1}


async def test_the_history_keeps_the_published_payload(bus: MessageBus, store: FakeStore) -> None:
    order_id = await place(bus)
    await bus.handle(payment_failed(order_id))
    history = [(t, d) for i, t, d, _ in store.history if i == order_id]
    assert [t for t, _ in history] == [e.type for e in store.published]
    for (_, stored), published in zip(history, store.published, strict=True):
        assert stored.items() >= published.data.items()  # the payload, and what rebuilds need
    assert [t for t, _ in history] == ["OrderCreated", "OrderCancelled"]


async def test_a_published_order_reads_back_through_its_contract(
    bus: MessageBus, store: FakeStore
) -> None:
    """What inventory will read: the exact amounts, not floats."""
    await place(bus)
    event = store.published[0]
    read = OrderCreated.from_data(event.data, event.schema_version)
    assert read.total_amount == Decimal("44.98") and read.items[1].price == Decimal("5.00")
