"""What callers (HTTP clients, the deadline sweep) ask for. The saga's events from other
services need no command of their own: each is handled as it arrives, read through its
contract (service_layer.handlers.HANDLERS)."""

from __future__ import annotations

from dataclasses import dataclass

from ecomkit.declarations import Command


@dataclass(frozen=True)
class ItemRequest:
    product_id: int
    quantity: int


class PlaceOrder(Command):
    user_id: int
    items: tuple[ItemRequest, ...]
    authorization: str
    """The caller's bearer header, forwarded to user-auth and product-catalog."""
    payment_method_id: str | None = None
    shipping_address: str | None = None
    idempotency_key: str | None = None
    trace_id: str | None = None
    """The request's trace id, recorded with the order (`ecomctl trace ORDER_ID`)."""


class CancelOrder(Command):
    order_id: int
    reason: str
    actor_id: int | None = None
    """Who asks (None: the system itself); only the owner or an ADMIN may cancel."""
    actor_is_admin: bool = False


class ShipOrder(Command):
    order_id: int


class CancelOverdueOrders(Command):
    """The deadline sweep: cancel PENDING orders whose saga deadline passed."""

    limit: int = 100
