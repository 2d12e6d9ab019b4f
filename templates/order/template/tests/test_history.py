"""Rebuilding an order from its stored events gives the order the handlers left, on every
saga path (the fakes keep the same history rows PostgreSQL's order_events does)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import timedelta

import pytest
from ecomkit.contracts import PaymentCompleted
from ecomkit.testing.saga_samples import (
    inventory_reservation_failed,
    inventory_reserved,
    payment_completed,
    payment_failed,
)

from order.domain import commands
from order.domain.history import from_snapshot, rebuild, to_snapshot
from order.domain.model import Order
from order.service_layer.handlers import Placed
from order.service_layer.messagebus import MessageBus
from tests.fakes import FakeStore

pytestmark = pytest.mark.anyio

# The read model's own bookkeeping, not the order's state.
BOOKKEEPING = {"updated_at", "version"}


async def place(bus: MessageBus) -> int:
    placed: Placed = await bus.handle(
        commands.PlaceOrder(
            user_id=1,
            items=(commands.ItemRequest(10, 2), commands.ItemRequest(11, 1)),
            authorization="Bearer t",
            payment_method_id="pm_card_visa",
            shipping_address="1 Main St",
        )
    )
    assert placed.order.id is not None
    return placed.order.id


def history(store: FakeStore, order_id: int) -> list[tuple[str, dict[str, object]]]:
    return [(t, d) for i, t, d, _ in store.history if i == order_id]


def comparable(order: Order) -> dict[str, object]:
    return {f.name: getattr(order, f.name) for f in fields(order) if f.name not in BOOKKEEPING}


Step = Callable[[int], object]


def pay(order_id: int) -> PaymentCompleted:
    return payment_completed(order_id, "pi_1")


def cancel(order_id: int) -> commands.CancelOrder:
    return commands.CancelOrder(order_id, "changed my mind")


reserve: Step = inventory_reserved
decline: Step = payment_failed
ship: Step = commands.ShipOrder

PATHS: dict[str, list[Step]] = {
    "placed": [],
    "reserved, waiting for the payment": [reserve],
    "paid": [reserve, pay],
    "paid, then shipped": [reserve, pay, ship],
    "payment failed": [reserve, decline],
    "out of stock": [inventory_reservation_failed],
    "cancelled by the user": [cancel],
    "late payment after a cancel": [cancel, pay, reserve],
}


@pytest.mark.parametrize("path", list(PATHS))
async def test_rebuilt_order_equals_the_stored_one(
    path: str, bus: MessageBus, store: FakeStore
) -> None:
    order_id = await place(bus)
    for step in PATHS[path]:
        await bus.handle(step(order_id))
    rebuilt = rebuild(order_id, history(store, order_id))
    assert rebuilt is not None
    assert comparable(rebuilt) == comparable(store.orders[order_id])


async def test_the_saga_timeout_rebuilds_too(bus: MessageBus, store: FakeStore) -> None:
    order_id = await place(bus)
    store.now += timedelta(seconds=61)
    await bus.handle(commands.CancelOverdueOrders())
    rebuilt = rebuild(order_id, history(store, order_id))
    assert rebuilt is not None and comparable(rebuilt) == comparable(store.orders[order_id])


async def test_a_snapshot_and_the_events_after_it_give_the_same_order(
    bus: MessageBus, store: FakeStore
) -> None:
    order_id = await place(bus)
    await bus.handle(inventory_reserved(order_id))
    snapshot = to_snapshot(store.orders[order_id])  # e.g. what the migration takes
    assert comparable(from_snapshot(snapshot)) == comparable(store.orders[order_id])
    await bus.handle(pay(order_id))
    later = history(store, order_id)[2:]
    rebuilt = rebuild(order_id, later, snapshot=snapshot)
    assert rebuilt is not None and comparable(rebuilt) == comparable(store.orders[order_id])
    assert rebuilt.saga_deadline == store.orders[order_id].saga_deadline  # kept by the snapshot


def test_no_history_no_order() -> None:
    assert rebuild(1, []) is None
    assert rebuild(1, [("InventoryReserved", {})]) is None
