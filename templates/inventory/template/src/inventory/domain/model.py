"""Stock levels and reservations; plain Python, no framework imports.

Conservation (DESIGN 5): a product's units are available, reserved or sold, and only an
administrator's stock change alters their sum (`stocked`). Every move below keeps it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from inventory.domain.errors import InvalidStockLevel, StockRuleBroken


class ReservationStatus(StrEnum):
    RESERVED = "RESERVED"
    CONFIRMED = "CONFIRMED"  # sold: the order was paid
    RELEASED = "RELEASED"  # back to available: cancelled, payment failed or expired


Counter = Literal["available", "reserved", "sold"]


@dataclass
class StockLevel:
    product_id: int
    available: int = 0
    reserved: int = 0
    sold: int = 0

    @property
    def stocked(self) -> int:
        return self.available + self.reserved + self.sold

    def reserve(self, quantity: int) -> None:
        self._move(quantity, "available", "reserved")

    def release(self, quantity: int) -> None:
        self._move(quantity, "reserved", "available")

    def confirm(self, quantity: int) -> None:
        self._move(quantity, "reserved", "sold")

    def sell_available(self, quantity: int) -> bool:
        """Sell straight from available (a payment that outlived its reservation)."""
        if quantity > self.available:
            return False
        self._move(quantity, "available", "sold")
        return True

    def _move(self, quantity: int, source: Counter, target: Counter) -> None:
        """The one way units change counters: what leaves one enters another, so `stocked`
        stays the same. Moving more than the source holds is a bug (or a concurrent change)."""
        held: int = getattr(self, source)
        if quantity > held:
            raise StockRuleBroken(f"product {self.product_id}: {source} {held} < {quantity}")
        setattr(self, source, held - quantity)
        setattr(self, target, getattr(self, target) + quantity)

    def set_available(self, quantity: int) -> None:
        if quantity < 0:
            raise InvalidStockLevel("available stock cannot be negative")
        self.available = quantity


@dataclass
class Reservation:
    order_id: int
    product_id: int
    quantity: int
    expires_at: datetime
    status: ReservationStatus = ReservationStatus.RESERVED

    @property
    def reservation_id(self) -> str:
        """One reservation per (order, product): a unique key, so a duplicate cannot hold
        stock twice even if two deliveries race."""
        return f"{self.order_id}:{self.product_id}"


@dataclass(frozen=True)
class Shortage:
    product_id: int
    requested: int
    available: int


def merge_items(items: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Quantities per product, in product order: locks are always taken in this order,
    so two reservations never wait on each other in a cycle (no deadlock by design)."""
    merged: dict[int, int] = {}
    for product_id, quantity in items:
        merged[product_id] = merged.get(product_id, 0) + quantity
    return dict(sorted(merged.items()))


def shortages(wanted: dict[int, int], levels: dict[int, StockLevel]) -> list[Shortage]:
    """Every item that cannot be served, with what is available (0 for unknown products)."""
    found = []
    for product_id, quantity in wanted.items():
        level = levels.get(product_id)
        available = level.available if level else 0
        if quantity > available:
            found.append(Shortage(product_id, quantity, available))
    return found
