"""What callers ask the payment service to do (imperative)."""

from __future__ import annotations

from decimal import Decimal

from ecomkit.declarations import Command


class ChargeOrder(Command):
    """Charge an order once; a second request for the same order returns the first payment."""

    order_id: int
    user_id: int
    amount: Decimal
    currency: str
    payment_method_id: str | None


class RecordOrderCancelled(Command):
    """The order is cancelled: never charge it, and refund a charge it already has."""

    order_id: int
    reason: str | None = None


class RefundPayment(Command):
    payment_id: str
