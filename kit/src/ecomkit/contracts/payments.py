"""Events the payment service publishes (key: the order id). Field names and types are
those of its handlers today (`_outcome_event`, `_refund`)."""

from __future__ import annotations

from typing import ClassVar

from ecomkit.contracts.base import Money
from ecomkit.contracts.orders import OrderScoped
from ecomkit.contracts.topics import Topic


class _PaymentEvent(OrderScoped):
    payment_id: str
    amount: Money
    currency: str


class PaymentCompleted(_PaymentEvent):
    topic: ClassVar[Topic] = Topic.PAYMENT_COMPLETED

    provider: str
    provider_ref: str | None


class PaymentFailed(_PaymentEvent):
    """A decline (not an outage): the order is cancelled and the stock released."""

    topic: ClassVar[Topic] = Topic.PAYMENT_FAILED

    reason: str | None
    decline_code: str | None


class RefundCompleted(_PaymentEvent):
    topic: ClassVar[Topic] = Topic.REFUND_COMPLETED

    provider_ref: str
