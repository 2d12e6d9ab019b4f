"""Catalog rules on fakes: events through the outbox, cache invalidation, reviews."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ecomkit.contracts import InventoryUpdated, ProductChanged, ReviewAdded
from ecomkit.errors import UpstreamUnavailable

from product_catalog.domain import commands
from product_catalog.domain.errors import (
    NotYourReview,
    ProductNotFound,
    SkuTaken,
    UnknownUser,
)
from product_catalog.domain.model import Product
from product_catalog.service_layer import views
from product_catalog.service_layer.handlers import Dependencies
from product_catalog.service_layer.messagebus import MessageBus
from tests.fakes import FakeReviewStore, FakeStockLookup, FakeStore, FakeUserDirectory

pytestmark = pytest.mark.anyio

WIDGET = commands.CreateProduct(Product(sku="W-1", name="Widget", price=Decimal("9.99")))


def review(product_id: int, rating: int = 5, user_id: int = 1) -> commands.AddReview:
    return commands.AddReview(product_id, user_id, user_id, False, rating, "ok", "Bearer t")


async def test_create_publishes_product_changed(bus: MessageBus, store: FakeStore) -> None:
    product: Product = await bus.handle(WIDGET)
    assert store.products[product.id or 0].name == "Widget"
    event = store.outbox[-1]
    assert isinstance(event, ProductChanged) and event.change == "created"
    with pytest.raises(SkuTaken):
        await bus.handle(WIDGET)


async def test_get_caches_and_update_invalidates(bus: MessageBus) -> None:
    product = await bus.handle(WIDGET)
    assert (await views.product_by_id(bus, product.id))[1] is None
    view, level = await views.product_by_id(bus, product.id)
    assert level == "l1" and view["name"] == "Widget"
    await bus.handle(commands.UpdateProduct(product.id, commands.ProductChanges(name="Gadget")))
    view, level = await views.product_by_id(bus, product.id)
    assert level is None and view["name"] == "Gadget" and view["sku"] == "W-1"


async def test_delete_hides_and_evicts(bus: MessageBus) -> None:
    product = await bus.handle(WIDGET)
    await views.product_by_id(bus, product.id)
    await bus.handle(commands.DeleteProduct(product.id))
    with pytest.raises(ProductNotFound):
        await views.product_by_id(bus, product.id)
    with pytest.raises(ProductNotFound):
        await bus.handle(commands.DeleteProduct(product.id))


async def test_inventory_update_evicts(bus: MessageBus) -> None:
    product = await bus.handle(WIDGET)
    await views.product_by_id(bus, product.id)
    stock = InventoryUpdated(
        product_id=product.id, available_stock=0, reserved_stock=0, sold_stock=1
    )
    await bus.handle(stock)
    assert (await views.product_by_id(bus, product.id))[1] is None


async def test_review_is_recorded_published_and_rated(bus: MessageBus, store: FakeStore) -> None:
    product = await bus.handle(WIDGET)
    await bus.handle(review(product.id, 5))
    await bus.handle(review(product.id, 2, user_id=2))
    added = [e for e in store.outbox if isinstance(e, ReviewAdded)]
    assert [e.rating for e in added] == [5, 2] and added[0].key == str(product.id)
    rating = await views.rating_of(bus, product.id)
    assert (rating.average, rating.count) == (3.5, 2)
    assert all(stored for _, _, stored in store.ledger.values())


async def test_review_rules(bus: MessageBus, deps: Dependencies) -> None:
    product = await bus.handle(WIDGET)
    with pytest.raises(ProductNotFound):
        await bus.handle(review(999))
    with pytest.raises(UnknownUser):
        await bus.handle(review(product.id, user_id=42))
    with pytest.raises(NotYourReview):
        await bus.handle(commands.AddReview(product.id, 2, 1, False, 5, None, "Bearer t"))
    admin = commands.AddReview(product.id, 2, 1, True, 5, None, "Bearer t")
    assert (await bus.handle(admin)).user_id == 2
    assert isinstance(deps.users, FakeUserDirectory)
    deps.users.down = True
    with pytest.raises(UpstreamUnavailable):
        await bus.handle(review(product.id))


async def test_review_lost_on_the_way_to_mongo_is_copied_later(
    bus: MessageBus, deps: Dependencies, store: FakeStore
) -> None:
    product = await bus.handle(WIDGET)
    assert isinstance(deps.review_store, FakeReviewStore)
    deps.review_store.fail_next = True
    with pytest.raises(ConnectionError):
        await bus.handle(review(product.id, 4))
    assert isinstance(store.outbox[-1], ReviewAdded)  # the event is safe in the outbox
    assert (await views.rating_of(bus, product.id)).count == 0
    assert await bus.handle(commands.StorePendingReviews(older_than_s=0)) == 1
    assert (await views.rating_of(bus, product.id)).count == 1
    assert await bus.handle(commands.StorePendingReviews(older_than_s=0)) == 0


async def test_with_stock(bus: MessageBus, deps: Dependencies) -> None:
    product = await bus.handle(WIDGET)
    assert isinstance(deps.stock, FakeStockLookup)
    deps.stock.levels[product.id] = 7
    view = await views.product_with_stock(bus, product.id)
    assert (view["stock"], view["stockStatus"]) == (7, "in_stock")
    deps.stock.running = False
    view = await views.product_with_stock(bus, product.id)
    assert (view["stock"], view["stockStatus"]) == (None, "unavailable")


async def test_list_pages_and_search(bus: MessageBus) -> None:
    for i in range(3):
        await bus.handle(
            commands.CreateProduct(Product(sku=f"S-{i}", name=f"Item {i}", price=Decimal(1)))
        )
    found, total = await views.products_page(bus, page=1, size=2, name=None)
    assert total == 3 and [p.sku for p in found] == ["S-2"]
    found, total = await views.products_page(bus, page=0, size=10, name="item 1")
    assert total == 1
