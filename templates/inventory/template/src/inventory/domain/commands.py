"""What callers (HTTP clients, order events, the expiry sweep) ask inventory to do.

OrderPaid needs no command: it is handled as it arrives (service_layer.handlers.HANDLERS)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ecomkit.contracts import ReservedItem
from ecomkit.declarations import Command


@dataclass(frozen=True)
class Charge:
    """Who pays what for an order: carried on in InventoryReserved, from which payment
    charges (event-carried state), and in InventoryReservationFailed."""

    user_id: int
    total_amount: Decimal
    currency: str
    payment_method_id: str | None = None


class ReserveStock(Command):
    """OrderCreated (or POST /api/inventory/reserve): all items or none."""

    order_id: int
    items: tuple[ReservedItem, ...]
    """The order's lines (product, quantity, price if known), passed on in InventoryReserved."""
    charge: Charge | None = None
    """Always there for OrderCreated. A reservation by HTTP without the order's user, total
    and currency holds the stock but is not part of the saga: it publishes no
    InventoryReserved/InventoryReservationFailed (their contracts need those fields)."""


class ReleaseStock(Command):
    """PaymentFailed, OrderCancelled, expiry or POST /api/inventory/release; idempotent."""

    order_id: int
    reason: str


class SetStock(Command):
    product_id: int
    available: int


class ExpireReservations(Command):
    limit: int = 100
