"""Every Kafka topic of the platform, named once (plan 6.2).

The stack file declares the same names with their partition counts; a test keeps the two
in step. A topic may exist before anything publishes on it (`NOTIFICATION` is reserved by
the plan for notification requests).
"""

from __future__ import annotations

from enum import StrEnum


class Topic(StrEnum):
    REVIEW_ADDED = "review-added-events"
    PRODUCT_CHANGED = "product-changed-events"
    ORDER_CREATED = "order-created-events"
    ORDER_PAID = "order-paid-events"
    ORDER_SHIPPED = "order-shipped-events"
    ORDER_CANCELLED = "order-cancelled-events"
    INVENTORY_RESERVED = "inventory-reserved-events"
    INVENTORY_RESERVATION_FAILED = "inventory-reservation-failed-events"
    INVENTORY_UPDATED = "inventory-updated-events"
    PAYMENT_COMPLETED = "payment-completed-events"
    PAYMENT_FAILED = "payment-failed-events"
    REFUND_COMPLETED = "refund-completed-events"
    NOTIFICATION = "notification-events"
