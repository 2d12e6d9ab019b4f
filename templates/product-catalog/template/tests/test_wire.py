"""What the outbox publishes: each event's contract gives the topic, key and camelCase
payload the wire carried before the contracts (field names and values unchanged)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from ecomkit.events import Event

from product_catalog.domain import commands
from product_catalog.domain.model import Product, Review
from product_catalog.service_layer.messagebus import MessageBus
from tests.fakes import FakeStore

pytestmark = pytest.mark.anyio


def row(type_: str, topic: str, key: str, data: dict[str, Any]) -> Event:
    return Event(
        type=type_,
        topic=topic,
        key=key,
        subject=key,
        data=data,
        aggregate_type="product",
        schema_version=1,
    )


async def test_product_changed_on_the_wire(bus: MessageBus, store: FakeStore) -> None:
    product: Product = await bus.handle(
        commands.CreateProduct(Product(sku="W-1", name="Widget", price=Decimal("9.9")))
    )
    await bus.handle(
        commands.UpdateProduct(
            product.id or 0, commands.ProductChanges(category="tools", brand="Acme")
        )
    )
    created, updated = (event.to_event() for event in store.outbox)
    view = {
        "productId": product.id,
        "id": product.id,
        "sku": "W-1",
        "name": "Widget",
        "description": None,
        "category": None,
        "brand": None,
        "price": "9.90",
        "currency": "USD",
        "imageUrl": None,
        "active": True,
        "createdAt": "2025-01-01T00:00:00",
        "updatedAt": "2025-01-01T00:00:00",
    }
    key = str(product.id)
    assert created == row(
        "ProductChanged", "product-changed-events", key, {"change": "created", **view, "version": 1}
    )
    # Every stored change raises the version: search refuses an event older than its copy.
    assert updated == row(
        "ProductChanged",
        "product-changed-events",
        key,
        {**view, "change": "updated", "category": "tools", "brand": "Acme", "version": 2},
    )


async def test_review_added_on_the_wire(bus: MessageBus, store: FakeStore) -> None:
    product: Product = await bus.handle(
        commands.CreateProduct(Product(sku="W-1", name="Widget", price=Decimal("9.99")))
    )
    review: Review = await bus.handle(
        commands.AddReview(product.id or 0, 1, 1, False, 4, "good", "Bearer t")
    )
    assert store.outbox[-1].to_event() == row(
        "ReviewAdded",
        "review-added-events",
        str(product.id),
        {
            "reviewId": review.id,
            "productId": product.id,
            "userId": 1,
            "rating": 4,
            "comment": "good",
            "createdAt": "2025-01-01T00:00:00Z",
        },
    )
