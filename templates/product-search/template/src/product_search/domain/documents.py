"""Events -> index changes. Each change carries the version it was made at, so applying
changes in any order, or twice, leaves the document at the newest one (see
adapters/opensearch.py, which applies them only over an older version)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from ecomkit.contracts import InventoryUpdated, ProductChanged, ReviewAdded

Part = Literal["product", "stock", "review"]


@dataclass(frozen=True)
class IndexChange:
    """One part of a product's document (`part`), at `version` of that part."""

    product_id: int
    part: Part
    version: int
    fields: dict[str, Any]


def product_change(event: ProductChanged) -> IndexChange:
    """The catalog's view of the product; a deleted product stays as an inactive document
    (a tombstone), so a late 'updated' with an older version cannot bring it back."""
    fields = {
        "id": event.id,
        "sku": event.sku,
        "name": event.name,
        "description": event.description,
        "category": event.category,
        "price": float(event.price),
        "currency": event.currency,
        "image_url": event.image_url,
        "active": event.active and event.change != "deleted",
        "created_at": _iso(event.created_at),
        "updated_at": _iso(event.updated_at),
    }
    # An event from a catalog that does not know brands yet leaves the indexed one alone
    # (the script only overwrites the fields a change carries); a null brand clears it.
    if "brand" in event.model_fields_set:
        fields["brand"] = event.brand
    # An event from before versions existed counts as version 0: it only ever creates.
    return IndexChange(event.product_id, "product", event.version or 0, fields)


def stock_change(event: InventoryUpdated, event_time: datetime) -> IndexChange:
    """InventoryUpdated has no version of its own: its event time (microseconds) orders it."""
    version = int(event_time.timestamp() * 1_000_000)
    fields = {"in_stock": event.available_stock > 0, "available_stock": event.available_stock}
    return IndexChange(event.product_id, "stock", version, fields)


def review_change(event: ReviewAdded) -> IndexChange:
    """A review adds its rating under its own id: a repeated event rewrites the same entry."""
    return IndexChange(event.product_id, "review", 0, {event.review_id: event.rating})


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
