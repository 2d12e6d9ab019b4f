"""Read side: one order, a user's orders, an order's history (with access rules)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from order.domain.errors import NotAllowed, OrderNotFound
from order.domain.model import Order
from order.service_layer.messagebus import MessageBus


async def order_for(bus: MessageBus, order_id: int, *, viewer_id: int, privileged: bool) -> Order:
    """Owners see their orders, ADMIN/SERVICE every order; others get "not found"."""
    async with bus.deps.uow() as uow:
        order = await uow.orders.get(order_id)
    if order is None or (order.user_id != viewer_id and not privileged):
        raise OrderNotFound(order_id)
    return order


async def orders_of(
    bus: MessageBus, user_id: int, *, viewer_id: int, privileged: bool, page: int, size: int
) -> list[Order]:
    if user_id != viewer_id and not privileged:
        raise NotAllowed("you may only list your own orders")
    async with bus.deps.uow() as uow:
        return await uow.orders.for_user(user_id, offset=page * size, limit=size)


async def history_of(
    bus: MessageBus, order_id: int, *, viewer_id: int, privileged: bool
) -> list[tuple[str, dict[str, Any], datetime]]:
    await order_for(bus, order_id, viewer_id=viewer_id, privileged=privileged)
    async with bus.deps.uow() as uow:
        return await uow.orders.events_of(order_id)
