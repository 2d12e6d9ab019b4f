"""InventoryUpdated, read through its contract, evicts the cached product."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ecomkit.contracts import ContractError, InventoryUpdated
from ecomkit.events import Envelope
from ecomkit.service import reading, topics_of
from ecomkit.testing import InMemoryInbox, arriving

from product_catalog.domain import commands
from product_catalog.domain.model import Product
from product_catalog.entrypoints.consumers import CONSUMED, inventory_updated_handler
from product_catalog.service_layer import views
from product_catalog.service_layer.messagebus import MessageBus

pytestmark = pytest.mark.anyio

to_command = reading(CONSUMED, lambda event: event)


def inventory_updated(product_id: int) -> Envelope:
    """As inventory publishes it: snake_case fields, keyed and subject by the product id."""
    event = InventoryUpdated(
        product_id=product_id, available_stock=3, reserved_stock=1, sold_stock=0
    )
    return arriving(event, "inventory")


async def test_a_stock_change_evicts_the_cached_product(bus: MessageBus) -> None:
    widget = commands.CreateProduct(Product(sku="W-1", name="Widget", price=Decimal("1.00")))
    product = await bus.handle(widget)
    await views.product_by_id(bus, product.id)
    assert (await views.product_by_id(bus, product.id))[1] == "l1"  # cached
    inbox, handler = InMemoryInbox(), inventory_updated_handler(bus)
    assert await inbox.handle(inventory_updated(product.id), "product-catalog", handler)
    assert (await views.product_by_id(bus, product.id))[1] is None


async def test_the_product_comes_from_the_payload_not_the_subject() -> None:
    """inventory writes `product_id`; the envelope's subject is not needed to find it."""
    unkeyed = inventory_updated(7).model_copy(update={"subject": None})
    assert to_command(unkeyed) == InventoryUpdated(
        product_id=7, available_stock=3, reserved_stock=1, sold_stock=0
    )


async def test_malformed_goes_to_the_dlq_and_other_types_are_ignored() -> None:
    camel = Envelope(type="InventoryUpdated", source="test", subject="7",
                     data={"productId": 7, "availableStock": 3})
    with pytest.raises(ContractError):  # no product_id: the kit's consumer sends it to the DLQ
        to_command(camel)
    assert to_command(Envelope(type="StockAudited", source="test", data={})) is None
    assert topics_of(CONSUMED) == ["inventory-updated-events"]
