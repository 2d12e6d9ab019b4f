"""Read side: a product's stock, an order's reservations."""

from __future__ import annotations

from ecomkit.errors import found

from inventory.domain.errors import ProductNotStocked
from inventory.domain.model import Reservation, StockLevel
from inventory.service_layer.messagebus import MessageBus


async def stock_of(bus: MessageBus, product_id: int) -> StockLevel:
    async with bus.deps.uow() as uow:
        return found(await uow.stock.get(product_id), ProductNotStocked, product_id)


async def reservations_of(bus: MessageBus, order_id: int) -> list[Reservation]:
    async with bus.deps.uow() as uow:
        return await uow.reservations.for_order(order_id)
