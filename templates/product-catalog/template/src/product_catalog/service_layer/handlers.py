"""One handler per command (verb_noun)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from ecomkit.contracts import Contract, InventoryUpdated, ProductChanged, ReviewAdded
from ecomkit.declarations import Command
from ecomkit.errors import found
from ecomkit.records import record_values
from ecomkit.schemas import CamelModel

from product_catalog.adapters.mongo import ReviewStore
from product_catalog.domain import commands
from product_catalog.domain.errors import NotYourReview, ProductNotFound, UnknownUser
from product_catalog.domain.model import Product, Review
from product_catalog.service_layer.ports import ProductCache, StockLookup, UserDirectory
from product_catalog.service_layer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

CENT = Decimal("0.01")


@dataclass
class Dependencies:
    """Everything a handler needs; bootstrap() builds the real one, tests the fakes."""

    uow: Callable[[], UnitOfWork]
    cache: ProductCache
    review_store: ReviewStore
    users: UserDirectory
    stock: StockLookup
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC).replace(tzinfo=None))
    # Reads of one statement on autocommit connections (ecomkit.db.create_read_engine):
    # no ROLLBACK after them. None: they go through `uow`.
    reads: Callable[[], UnitOfWork] | None = None

    def read_uow(self) -> UnitOfWork:
        return (self.reads or self.uow)()


class ProductView(CamelModel):
    """The product as clients get it (the API's answer) and as the cache keeps it."""

    id: int
    sku: str
    name: str
    description: str | None
    category: str | None
    brand: str | None = None  # absent from views cached before brands existed
    price: str
    currency: str
    image_url: str | None
    active: bool
    created_at: str | None
    updated_at: str | None


def product_view(product: Product) -> dict[str, Any]:
    """A stored product's view, in the JSON form the cache keeps."""
    view = ProductView.copying(
        product,
        price=f"{product.price:.2f}",
        created_at=_iso(product.created_at),
        updated_at=_iso(product.updated_at),
    )
    return view.model_dump(by_alias=True)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _changed(product: Product, change: Literal["created", "updated", "deleted"]) -> ProductChanged:
    """The product after `change` (a stored product: it has an id)."""
    if product.id is None:
        raise ValueError(f"product {product.sku} changed before it was stored")
    return ProductChanged(
        **record_values(product, price=product.price.quantize(CENT)),
        product_id=product.id,
        change=change,
    )


async def create_product(cmd: commands.CreateProduct, deps: Dependencies) -> Product:
    product = replace(cmd.product)  # the command stays as it was sent
    async with deps.uow() as uow:
        await uow.products.add(product)
        uow.add_event(_changed(product, "created"))
        await uow.commit()
    return product


async def update_product(cmd: commands.UpdateProduct, deps: Dependencies) -> Product:
    changes = cmd.changes.model_dump(exclude_none=True)
    async with deps.uow() as uow:
        product = await _existing(uow, cmd.product_id)
        product = replace(product, **changes)
        await uow.products.save(product)
        uow.add_event(_changed(product, "updated"))
        await uow.commit()
    # After the commit: a reader in between refills the cache from the new row at worst.
    await deps.cache.invalidate(cmd.product_id)
    return (await _reload(deps, cmd.product_id)) or product


async def delete_product(cmd: commands.DeleteProduct, deps: Dependencies) -> None:
    """A soft delete: orders and reviews keep pointing at a product that existed."""
    async with deps.uow() as uow:
        product = await _existing(uow, cmd.product_id)
        product.active = False
        await uow.products.save(product)
        uow.add_event(_changed(product, "deleted"))
        await uow.commit()
    await deps.cache.invalidate(cmd.product_id)


async def add_review(cmd: commands.AddReview, deps: Dependencies) -> Review:
    """Record the review and its ReviewAdded event in ONE MySQL transaction, then write
    the Mongo document keyed by the review id (see docs: no dual write is left unrepaired:
    store_pending_reviews copies what a crash left out of Mongo)."""
    if cmd.user_id != cmd.author_id and not cmd.author_is_admin:
        raise NotYourReview()
    async with deps.uow() as uow:
        await _existing(uow, cmd.product_id)
    if not await deps.users.exists(cmd.user_id, authorization=cmd.authorization):
        raise UnknownUser(cmd.user_id)
    review = Review(
        id=str(uuid.uuid4()),
        product_id=cmd.product_id,
        user_id=cmd.user_id,
        rating=cmd.rating,
        comment=cmd.comment,
        created_at=deps.clock(),
    )
    async with deps.uow() as uow:
        await uow.reviews.add(review)
        uow.add_event(review_added(review))
        await uow.commit()
    await _store(deps, review)
    return review


async def store_pending_reviews(cmd: commands.StorePendingReviews, deps: Dependencies) -> int:
    async with deps.uow() as uow:
        pending = await uow.reviews.unstored(older_than_s=cmd.older_than_s)
    for review in pending:
        await _store(deps, review)
    return len(pending)


async def evict_product(event: InventoryUpdated, deps: Dependencies) -> None:
    """Stock changed elsewhere: the cached view is stale."""
    await deps.cache.invalidate(event.product_id)


def review_added(review: Review) -> ReviewAdded:
    return ReviewAdded(
        **record_values(
            review,
            columns={"id": "review_id"},
            created_at=review.created_at.replace(tzinfo=UTC),  # naive UTC in the database
        )
    )


async def _store(deps: Dependencies, review: Review) -> None:
    await deps.review_store.upsert(review)
    async with deps.uow() as uow:
        await uow.reviews.mark_stored(review.id)
        await uow.commit()


async def _existing(uow: UnitOfWork, product_id: int) -> Product:
    return found(await uow.products.get(product_id), ProductNotFound, product_id)


async def _reload(deps: Dependencies, product_id: int) -> Product | None:
    async with deps.uow() as uow:
        return await uow.products.get(product_id)


HANDLERS: dict[type[Command | Contract], Callable[..., Any]] = {
    commands.CreateProduct: create_product,
    commands.UpdateProduct: update_product,
    commands.DeleteProduct: delete_product,
    commands.AddReview: add_review,
    commands.StorePendingReviews: store_pending_reviews,
    InventoryUpdated: evict_product,
}
