"""The saga's events from inventory and payment, as they arrive (the handlers take them
as they are): order 1's user, its one line of 19.99 USD."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ecomkit.contracts import (
    InventoryReservationFailed,
    InventoryReserved,
    PaymentCompleted,
    PaymentFailed,
    ReservedItem,
    Shortage,
)


def reserved(order_id: int) -> InventoryReserved:
    return InventoryReserved(
        order_id=order_id,
        user_id=1,
        items=[ReservedItem(product_id=10, quantity=1, price=Decimal("19.99"))],
        total_amount=Decimal("19.99"),
        currency="USD",
        payment_method_id="pm_card_visa",
        expires_at=datetime(2025, 1, 1, 12, 15, tzinfo=UTC),
    )


def out_of_stock(order_id: int, reason: str = "out of stock") -> InventoryReservationFailed:
    short = Shortage(product_id=10, requested=3, available=1)
    return InventoryReservationFailed(order_id=order_id, user_id=1, reason=reason, items=[short])


def completed(order_id: int, payment_id: str = "pay-1") -> PaymentCompleted:
    return PaymentCompleted(
        order_id=order_id,
        user_id=1,
        payment_id=payment_id,
        amount=Decimal("19.99"),
        currency="USD",
        provider="stripe",
        provider_ref="pi_1",
    )


def declined(order_id: int, reason: str | None = "card_declined") -> PaymentFailed:
    return PaymentFailed(
        order_id=order_id,
        user_id=1,
        payment_id="pay-2",
        amount=Decimal("19.99"),
        currency="USD",
        reason=reason,
        decline_code="generic_decline",
    )
