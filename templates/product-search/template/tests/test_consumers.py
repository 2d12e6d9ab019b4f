"""Events -> index changes, through the consumer's handler and the bus."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from ecomkit.contracts import InventoryUpdated, ProductChanged, ReviewAdded
from ecomkit.events import Envelope

from product_search.bootstrap import bootstrap
from product_search.entrypoints.consumers import event_handler
from product_search.settings import Settings
from tests.fakes import FakeSearchIndex

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def changed(
    version: int | None, name: str, change: str = "updated", **brand: str | None
) -> Envelope:
    event = ProductChanged(
        product_id=7, change=change, id=7, sku="s-7", name=name, description=None,  # type: ignore[arg-type]
        category="Tools", price=Decimal("9.99"), currency="USD", image_url=None,
        active=change != "deleted", created_at=T0, updated_at=T0, version=version, **brand,
    )  # fmt: skip
    payload = event.payload()
    if not brand:  # as a catalog that does not know brands writes it
        payload.pop("brand", None)
    return envelope(event.event_type, payload)


def envelope(kind: str, data: dict[str, object], time: datetime = T0) -> Envelope:
    return Envelope(type=kind, source="test", data=data, time=time)


@pytest.mark.anyio
async def test_events_in_any_order_leave_the_newest() -> None:
    index = FakeSearchIndex()
    handle = event_handler(bootstrap(Settings(), index=index))
    for event in (changed(2, "new"), changed(1, "old"), changed(2, "new")):
        await handle(event, None)
    stock = [
        InventoryUpdated(product_id=7, available_stock=n, reserved_stock=0, sold_stock=0)
        for n in (0, 5)
    ]
    await handle(envelope("InventoryUpdated", stock[1].payload(), T0 + timedelta(1)), None)
    await handle(envelope("InventoryUpdated", stock[0].payload(), T0), None)  # late
    review = ReviewAdded(
        product_id=7, review_id="r1", user_id=1, rating=3, comment=None, created_at=T0
    )
    await handle(envelope("ReviewAdded", review.payload()), None)
    doc = index.docs[7]
    assert doc["name"] == "new" and doc["product_version"] == 2
    assert doc["in_stock"] is True and doc["available_stock"] == 5 and doc["rating"] == 3


@pytest.mark.anyio
async def test_an_event_without_a_brand_keeps_the_indexed_one() -> None:
    index = FakeSearchIndex()
    handle = event_handler(bootstrap(Settings(), index=index))
    await handle(changed(1, "x", "created", brand="Acme"), None)
    await handle(changed(2, "renamed"), None)  # from a catalog that does not know brands
    assert index.docs[7]["brand"] == "Acme" and index.docs[7]["name"] == "renamed"
    await handle(changed(3, "renamed", brand=None), None)  # the brand was taken away
    assert index.docs[7]["brand"] is None


@pytest.mark.anyio
async def test_a_deletion_makes_the_document_inactive() -> None:
    index = FakeSearchIndex()
    handle = event_handler(bootstrap(Settings(), index=index))
    await handle(changed(1, "x", "created"), None)
    await handle(changed(2, "x", "deleted"), None)
    assert index.docs[7]["active"] is False
