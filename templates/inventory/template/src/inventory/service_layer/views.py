"""Read side: a product's stock, an order's reservations."""

from __future__ import annotations

from inventory.domain.errors import ProductNotStocked
from inventory.domain.model import Reservation, StockLevel
from inventory.service_layer.messagebus import MessageBus


async def stock_of(bus: MessageBus, product_id: int) -> StockLevel:
    async with bus.deps.uow() as uow:
        level = await uow.stock.get(product_id)
    if level is None:
        raise ProductNotStocked(product_id)
    return level


async def reservations_of(bus: MessageBus, order_id: int) -> list[Reservation]:
    async with bus.deps.uow() as uow:
        return await uow.reservations.for_order(order_id)
