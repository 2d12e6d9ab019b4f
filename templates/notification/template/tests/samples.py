"""One event of every type notification reads, built from its contract: the saga's are the
kit's samples of one order (here of the user the test's fakes know)."""

from __future__ import annotations

from datetime import UTC, datetime

from ecomkit.contracts import ReviewAdded
from ecomkit.testing import saga_samples as saga

from notification.domain.commands import UserEvent


def samples(user_id: int = 2, order_id: int = 5) -> list[UserEvent]:
    return [
        saga.order_created(order_id, user_id=user_id),
        saga.order_paid(order_id, user_id=user_id),
        saga.order_shipped(order_id, user_id=user_id),
        saga.order_cancelled(order_id, "saga timeout", user_id=user_id),
        saga.payment_completed(order_id, user_id=user_id),
        saga.payment_failed(order_id, "Your card was declined.", user_id=user_id),
        ReviewAdded(
            product_id=3,
            review_id="rev-1",
            user_id=user_id,
            rating=4,
            comment=None,
            created_at=datetime(2025, 1, 1, tzinfo=UTC),
        ),
    ]
