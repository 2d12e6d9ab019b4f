"""One event of every type notification reads, built from its contract, and how it arrives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ecomkit.contracts import (
    OrderCancelled,
    OrderCreated,
    OrderLineItem,
    OrderPaid,
    OrderShipped,
    PaymentCompleted,
    PaymentFailed,
    ReviewAdded,
)

from notification.domain.commands import UserEvent

WHEN = datetime(2025, 1, 1, tzinfo=UTC)


def samples(user_id: int = 2, order_id: int = 5) -> list[UserEvent]:
    amount = Decimal("5.00")
    order: dict[str, Any] = {"order_id": order_id, "user_id": user_id}
    payment: dict[str, Any] = {**order, "payment_id": "pay-1", "amount": amount, "currency": "EUR"}
    return [
        OrderCreated(
            **order,
            order_number="ORD-1",
            items=[OrderLineItem(product_id=3, quantity=1, price=amount)],
            total_amount=amount,
            currency="EUR",
            payment_method_id="pm_card_visa",
            email=None,
            created_at=WHEN,
        ),
        OrderPaid(**order, total_amount=amount, currency="EUR"),
        OrderShipped(**order),
        OrderCancelled(**order, reason="saga timeout", previous_status="PENDING"),
        PaymentCompleted(**payment, provider="fake", provider_ref="pi_1"),
        PaymentFailed(**payment, reason="Your card was declined.", decline_code="card_declined"),
        ReviewAdded(
            product_id=3,
            review_id="rev-1",
            user_id=user_id,
            rating=4,
            comment=None,
            created_at=WHEN,
        ),
    ]


