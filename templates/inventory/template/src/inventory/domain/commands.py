"""What callers (HTTP clients, order events, the expiry sweep) ask inventory to do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Command:
    pass


@dataclass(frozen=True)
class ReserveStock(Command):
    """OrderCreated (or POST /api/inventory/reserve): all items or none."""

    order_id: int
    items: tuple[tuple[int, int], ...]
    """(product_id, quantity) pairs."""
    order: dict[str, Any] = field(default_factory=dict)
    """What the order told us (user_id, items with prices, total_amount, currency,
    payment_method_id): carried on in InventoryReserved for payment (event-carried state)."""


@dataclass(frozen=True)
class ReleaseStock(Command):
    """PaymentFailed, OrderCancelled, expiry or POST /api/inventory/release; idempotent."""

    order_id: int
    reason: str


@dataclass(frozen=True)
class ConfirmStock(Command):
    """OrderPaid: the reserved units are sold."""

    order_id: int


@dataclass(frozen=True)
class SetStock(Command):
    product_id: int
    available: int


@dataclass(frozen=True)
class ExpireReservations(Command):
    limit: int = 100
