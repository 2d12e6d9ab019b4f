"""Read side: the cached product view, lists, reviews, ratings, stock."""

from __future__ import annotations

from typing import Any

from ecomkit.errors import found

from product_catalog.domain.errors import ProductNotFound
from product_catalog.domain.model import Product, Rating, Review
from product_catalog.service_layer.handlers import product_view
from product_catalog.service_layer.messagebus import MessageBus
from product_catalog.service_layer.ports import CacheLevel


async def product_by_id(bus: MessageBus, product_id: int) -> tuple[dict[str, Any], CacheLevel]:
    """Through the two-level cache; the level tells the caller where it came from."""
    cached, level = await bus.deps.cache.get(product_id)
    if cached is not None:
        return cached, level
    async with bus.deps.read_uow() as uow:  # one statement
        product = found(await uow.products.get(product_id), ProductNotFound, product_id)
    view = product_view(product)
    await bus.deps.cache.set(product_id, view)
    return view, None


async def products_page(
    bus: MessageBus, *, page: int, size: int, name: str | None
) -> tuple[list[Product], int]:
    async with bus.deps.uow() as uow:
        return await uow.products.list(offset=page * size, limit=size, name=name)


async def reviews_of(bus: MessageBus, product_id: int, *, page: int, size: int) -> list[Review]:
    await product_by_id(bus, product_id)
    return await bus.deps.review_store.for_product(product_id, offset=page * size, limit=size)


async def rating_of(bus: MessageBus, product_id: int) -> Rating:
    await product_by_id(bus, product_id)
    return Rating.of(product_id, await bus.deps.review_store.ratings(product_id))


async def product_with_stock(bus: MessageBus, product_id: int) -> dict[str, Any]:
    view, _ = await product_by_id(bus, product_id)
    stock = await bus.deps.stock.available(product_id)
    status = "unavailable" if stock is None else ("in_stock" if stock > 0 else "out_of_stock")
    return {**view, "stock": stock, "stockStatus": status}
