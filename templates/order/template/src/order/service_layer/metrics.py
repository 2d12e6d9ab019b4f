"""The order service's own metric (the counted ones are the kit's: ecomkit.business_metrics).

`ecom_order_time_to_paid_seconds`: observed when the payment is recorded, inside the
consumed event's transaction (a rollback there, rare, lets the redelivery observe it again).
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Histogram

TIME_TO_PAID = Histogram(
    "ecom_order_time_to_paid_seconds",
    "From the order's creation to its payment being recorded",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)


def time_to_paid(created_at: datetime | None, paid_at: datetime) -> None:
    if created_at is not None:
        TIME_TO_PAID.observe(max(0.0, (paid_at - created_at).total_seconds()))
