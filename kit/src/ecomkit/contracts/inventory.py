"""Events the inventory service publishes (key: the order id; the product id for
InventoryUpdated). Field names and types are those of its handlers today."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from ecomkit.contracts.base import Contract, Money
from ecomkit.contracts.orders import OrderScoped
from ecomkit.contracts.topics import Topic


class ReservedItem(BaseModel):
    """An OrderCreated line passed on (its price), or a merged line (no price)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    product_id: int
    quantity: int
    price: Money | None = None


class Shortage(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    product_id: int
    requested: int
    available: int


class InventoryReserved(OrderScoped):
    """Every item is held until `expires_at`; carries what payment needs to charge."""

    topic: ClassVar[Topic] = Topic.INVENTORY_RESERVED
    items: list[ReservedItem]
    total_amount: Money
    currency: str
    payment_method_id: str | None
    expires_at: datetime


class InventoryReservationFailed(OrderScoped):
    """Nothing was reserved; `items` lists only the products that were short."""

    topic: ClassVar[Topic] = Topic.INVENTORY_RESERVATION_FAILED
    reason: str
    items: list[Shortage]


class InventoryUpdated(Contract):
    """A product's stock levels after any change (search and the catalog cache follow)."""

    topic: ClassVar[Topic] = Topic.INVENTORY_UPDATED
    key_field: ClassVar[str] = "product_id"
    aggregate: ClassVar[str] = "product"

    product_id: int
    available_stock: int
    reserved_stock: int
    sold_stock: int
