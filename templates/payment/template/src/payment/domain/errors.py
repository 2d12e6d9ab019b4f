"""Domain errors; the HTTP layer maps them to problem responses."""

from __future__ import annotations


class DomainError(Exception):
    pass


class PaymentNotFound(DomainError):
    def __init__(self, payment_id: str) -> None:
        super().__init__(f"payment {payment_id} not found")


class OrderCancelled(DomainError):
    def __init__(self, order_id: int) -> None:
        super().__init__(f"order {order_id} is cancelled; it is not charged")


class NotRefundable(DomainError):
    def __init__(self, payment_id: str, status: str) -> None:
        super().__init__(f"payment {payment_id} is {status}; only a COMPLETED one is refunded")


class ProviderUnavailable(DomainError):
    """A transient provider failure (connection refused, timeout, 5xx, rate limit): the
    consumer retries the event and finally dead-letters it; HTTP callers get a 503."""
