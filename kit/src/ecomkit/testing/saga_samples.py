"""One valid sample of each saga event a service's consumer tests feed it, all about the same
order: user 1 buys one of product 10 at 19.99 USD with the test card `pm_card_visa` (another
user where a test's fakes know another: `user_id=`).

Each service's tests asked for these events with their own copies of the same fields; the
samples keep them valid as the contracts change, and a test names only what it checks:

    command_for(inventory_reserved(9)) == ChargeOrder(9, 1, Decimal("19.99"), "USD", ...)
    await handler(arriving(payment_failed(order_id, reason=None)), None)
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from ecomkit.contracts import (
    InventoryReservationFailed,
    InventoryReserved,
    OrderCancelled,
    OrderCreated,
    OrderLineItem,
    OrderPaid,
    OrderShipped,
    PaymentCompleted,
    PaymentFailed,
    ReservedItem,
    Shortage,
)

USER_ID = 1
PRODUCT_ID = 10
PRICE = Decimal("19.99")
CURRENCY = "USD"
PAYMENT_METHOD = "pm_card_visa"
PLACED_AT = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
# When the reservation runs out: 15 minutes after the order was placed.
EXPIRES_AT = datetime(2025, 1, 1, 12, 15, tzinfo=UTC)


def order_created(order_id: int, *, user_id: int = USER_ID) -> OrderCreated:
    """The order as placed: what inventory reserves and notification confirms."""
    return OrderCreated(
        order_id=order_id,
        user_id=user_id,
        order_number=f"ORD-{order_id}",
        items=[OrderLineItem(product_id=PRODUCT_ID, quantity=1, price=PRICE)],
        total_amount=PRICE,
        currency=CURRENCY,
        payment_method_id=PAYMENT_METHOD,
        email=None,
        created_at=PLACED_AT,
    )


def order_paid(order_id: int, *, user_id: int = USER_ID) -> OrderPaid:
    return OrderPaid(order_id=order_id, user_id=user_id, total_amount=PRICE, currency=CURRENCY)


def order_shipped(order_id: int, *, user_id: int = USER_ID) -> OrderShipped:
    return OrderShipped(order_id=order_id, user_id=user_id)


def inventory_reserved(order_id: int) -> InventoryReserved:
    """The order's one line is held: what payment charges."""
    return InventoryReserved(
        order_id=order_id,
        user_id=USER_ID,
        items=[ReservedItem(product_id=PRODUCT_ID, quantity=1, price=PRICE)],
        total_amount=PRICE,
        currency=CURRENCY,
        payment_method_id=PAYMENT_METHOD,
        expires_at=EXPIRES_AT,
    )


def inventory_reservation_failed(
    order_id: int, reason: str = "out of stock"
) -> InventoryReservationFailed:
    """Three of product 10 asked for, one in stock."""
    short = Shortage(product_id=PRODUCT_ID, requested=3, available=1)
    return InventoryReservationFailed(
        order_id=order_id, user_id=USER_ID, reason=reason, items=[short]
    )


def payment_completed(
    order_id: int, payment_id: str = "pay-1", *, user_id: int = USER_ID
) -> PaymentCompleted:
    return PaymentCompleted(
        order_id=order_id,
        user_id=user_id,
        payment_id=payment_id,
        amount=PRICE,
        currency=CURRENCY,
        provider="stripe",
        provider_ref="pi_1",
    )


def payment_failed(
    order_id: int, reason: str | None = "card_declined", *, user_id: int = USER_ID
) -> PaymentFailed:
    """A decline (`reason` None: the provider gave none)."""
    return PaymentFailed(
        order_id=order_id,
        user_id=user_id,
        payment_id="pay-2",
        amount=PRICE,
        currency=CURRENCY,
        reason=reason,
        decline_code="generic_decline",
    )


def order_cancelled(
    order_id: int, reason: str = "user", previous_status: str = "PENDING", *, user_id: int = USER_ID
) -> OrderCancelled:
    return OrderCancelled(
        order_id=order_id, user_id=user_id, reason=reason, previous_status=previous_status
    )
