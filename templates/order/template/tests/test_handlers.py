"""The service layer on fakes: placing orders, idempotency, the saga's events, the sweep."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from ecomkit.errors import UpstreamUnavailable
from ecomkit.testing.saga_samples import (
    inventory_reservation_failed,
    inventory_reserved,
    payment_completed,
    payment_failed,
)

from order.domain import commands
from order.domain.errors import (
    IdempotencyKeyReused,
    InvalidTransition,
    MixedCurrencies,
    OrderNotFound,
    UnknownProduct,
    UnknownUser,
)
from order.domain.model import Order, OrderStatus, SagaState
from order.service_layer.handlers import SAGA_TIMEOUT_REASON, Placed
from order.service_layer.messagebus import MessageBus
from tests.fakes import FakeProductCatalog, FakeStore, FakeUserDirectory

pytestmark = pytest.mark.anyio


def place(user_id: int = 1, key: str | None = None, **items: int) -> commands.PlaceOrder:
    wanted = items or {"p10": 2, "p11": 1}
    return commands.PlaceOrder(
        user_id=user_id,
        items=tuple(commands.ItemRequest(int(k[1:]), q) for k, q in wanted.items()),
        authorization="Bearer t",
        payment_method_id="pm_card_visa",
        idempotency_key=key,
    )


async def placed(bus: MessageBus, **kwargs: object) -> Order:
    result: Placed = await bus.handle(place(**kwargs))  # type: ignore[arg-type]
    return result.order


async def test_place_order_prices_from_the_catalog(bus: MessageBus, store: FakeStore) -> None:
    order = await placed(bus)
    assert order.status is OrderStatus.PENDING and order.total_amount == Decimal("44.98")
    assert order.saga_deadline == store.now + timedelta(seconds=60)
    assert store.published_types() == ["OrderCreated"]
    data = store.published[0].data
    assert store.published[0].key == str(order.id)
    assert data["total_amount"] == "44.98" and data["currency"] == "USD"
    assert data["items"] == [
        {"product_id": 10, "quantity": 2, "price": "19.99"},
        {"product_id": 11, "quantity": 1, "price": "5.00"},
    ]
    assert data["email"] == "ada@example.com" and data["payment_method_id"] == "pm_card_visa"
    [(stored_type, stored)] = [(t, d) for _, t, d, _ in store.history]
    assert stored_type == "OrderCreated" and stored.items() >= data.items()  # payload and more
    assert stored["saga_deadline"] == order.saga_deadline.isoformat()


async def test_same_product_twice_becomes_one_line(bus: MessageBus) -> None:
    command = commands.PlaceOrder(
        user_id=1,
        items=(commands.ItemRequest(10, 1), commands.ItemRequest(10, 2)),
        authorization="Bearer t",
    )
    result: Placed = await bus.handle(command)
    assert [(i.product_id, i.quantity) for i in result.order.items] == [(10, 3)]


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (place(user_id=99), UnknownUser),
        (place(user_id=99, p404=1), UnknownUser),  # both asked at once: the user first
        (place(p404=1), UnknownProduct),
        (place(p13=1), UnknownProduct),  # withdrawn
        (place(p10=1, p12=1), MixedCurrencies),
    ],
)
async def test_refused_orders_leave_nothing(
    bus: MessageBus, store: FakeStore, command: commands.PlaceOrder, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await bus.handle(command)
    assert not store.orders and not store.published


async def test_upstream_down_is_reported(
    bus: MessageBus, users: FakeUserDirectory, catalog: FakeProductCatalog
) -> None:
    users.down = True
    with pytest.raises(UpstreamUnavailable):
        await bus.handle(place())
    users.down, catalog.down = False, True
    with pytest.raises(UpstreamUnavailable):
        await bus.handle(place())


async def test_idempotency_key_returns_the_first_result(
    bus: MessageBus, store: FakeStore, catalog: FakeProductCatalog
) -> None:
    first: Placed = await bus.handle(place(key="k1"))
    calls = catalog.calls
    again: Placed = await bus.handle(place(key="k1"))
    assert again.replayed and not first.replayed
    assert again.order.id == first.order.id and len(store.orders) == 1
    assert catalog.calls == calls  # a replay asks nobody
    other_user: Placed = await bus.handle(place(user_id=2, key="k1"))
    assert other_user.order.id != first.order.id  # keys are per user
    with pytest.raises(IdempotencyKeyReused):
        await bus.handle(place(key="k1", p11=5))
    assert store.published_types() == ["OrderCreated", "OrderCreated"]


async def test_cancel_by_owner_then_again(bus: MessageBus, store: FakeStore) -> None:
    order = await placed(bus)
    assert order.id is not None
    with pytest.raises(OrderNotFound):  # not yours
        await bus.handle(commands.CancelOrder(order.id, "mine now", actor_id=2))
    cancelled = await bus.handle(commands.CancelOrder(order.id, "changed my mind", actor_id=1))
    assert cancelled.status is OrderStatus.CANCELLED
    assert store.published_types() == ["OrderCreated", "OrderCancelled"]
    assert store.published[-1].data == {
        "order_id": order.id,
        "user_id": 1,
        "reason": "changed my mind",
        "previous_status": "PENDING",
    }
    with pytest.raises(InvalidTransition):
        await bus.handle(commands.CancelOrder(order.id, "again", actor_id=1))


async def test_admin_cancels_any_order(bus: MessageBus) -> None:
    order = await placed(bus)
    result = await bus.handle(
        commands.CancelOrder(order.id or 0, "fraud", actor_id=7, actor_is_admin=True)
    )
    assert result.status is OrderStatus.CANCELLED


async def test_happy_saga_then_ship(bus: MessageBus, store: FakeStore) -> None:
    order = await placed(bus)
    oid = order.id or 0
    await bus.handle(inventory_reserved(oid))
    assert store.orders[oid].saga_state is SagaState.RESERVED
    await bus.handle(payment_completed(oid, "pay-1"))
    await bus.handle(payment_completed(oid, "pay-1"))  # a repeat changes nothing
    assert store.orders[oid].status is OrderStatus.PAID
    with pytest.raises(InvalidTransition):
        await bus.handle(commands.CancelOrder(oid, "too late", actor_id=1))
    await bus.handle(commands.ShipOrder(oid))
    assert store.orders[oid].status is OrderStatus.SHIPPED
    assert store.published_types() == ["OrderCreated", "OrderPaid", "OrderShipped"]
    assert store.published[1].data == {
        "order_id": oid,
        "user_id": 1,
        "total_amount": "44.98",
        "currency": "USD",
    }
    history = [t for i, t, _, _ in store.history if i == oid]
    assert history == ["OrderCreated", "InventoryReserved", "OrderPaid", "OrderShipped"]


async def test_ship_needs_paid(bus: MessageBus) -> None:
    order = await placed(bus)
    with pytest.raises(InvalidTransition):
        await bus.handle(commands.ShipOrder(order.id or 0))


async def test_reservation_failure_cancels_with_reason(bus: MessageBus, store: FakeStore) -> None:
    order = await placed(bus)
    await bus.handle(inventory_reservation_failed(order.id or 0, "insufficient stock"))
    found = store.orders[order.id or 0]
    assert found.status is OrderStatus.CANCELLED
    assert found.cancel_reason == "reservation failed: insufficient stock"
    assert store.published_types() == ["OrderCreated", "OrderCancelled"]


async def test_payment_failure_cancels_once(bus: MessageBus, store: FakeStore) -> None:
    order = await placed(bus)
    await bus.handle(payment_failed(order.id or 0, "card_declined"))
    await bus.handle(payment_failed(order.id or 0, "card_declined"))
    assert store.orders[order.id or 0].cancel_reason == "payment failed: card_declined"
    assert store.published_types() == ["OrderCreated", "OrderCancelled"]


async def test_a_payment_failure_without_a_reason_says_unknown(
    bus: MessageBus, store: FakeStore
) -> None:
    order = await placed(bus)
    await bus.handle(payment_failed(order.id or 0, reason=None))
    assert store.orders[order.id or 0].cancel_reason == "payment failed: unknown"


async def test_payment_after_cancel_is_ignored(bus: MessageBus, store: FakeStore) -> None:
    order = await placed(bus)
    await bus.handle(commands.CancelOrder(order.id or 0, "user", actor_id=1))
    await bus.handle(inventory_reserved(order.id or 0))
    await bus.handle(payment_completed(order.id or 0, "pay-9"))
    assert store.orders[order.id or 0].status is OrderStatus.CANCELLED
    assert store.published_types() == ["OrderCreated", "OrderCancelled"]
    notes = [t for _, t, _, _ in store.history]
    assert notes[-2:] == ["InventoryReservedIgnored", "PaymentIgnored"]


async def test_events_for_unknown_orders_are_ignored(bus: MessageBus, store: FakeStore) -> None:
    await bus.handle(inventory_reserved(404))
    await bus.handle(payment_completed(404, "p"))
    await bus.handle(payment_failed(404, "x"))
    assert not store.published


async def test_sweep_cancels_only_overdue_pending_orders(bus: MessageBus, store: FakeStore) -> None:
    stuck = await placed(bus)
    paid = await placed(bus)
    await bus.handle(payment_completed(paid.id or 0, "pay"))
    assert await bus.handle(commands.CancelOverdueOrders()) == 0
    store.now += timedelta(seconds=61)
    fresh = await placed(bus)
    assert await bus.handle(commands.CancelOverdueOrders()) == 1
    assert store.orders[stuck.id or 0].status is OrderStatus.CANCELLED
    assert store.orders[stuck.id or 0].cancel_reason == SAGA_TIMEOUT_REASON
    assert store.orders[paid.id or 0].status is OrderStatus.PAID
    assert store.orders[fresh.id or 0].status is OrderStatus.PENDING
    assert store.published[-1].data["reason"] == SAGA_TIMEOUT_REASON
    assert await bus.handle(commands.CancelOverdueOrders()) == 0
