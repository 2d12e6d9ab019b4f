"""Business metrics, counted from the events each service committed (docs/observability.md).

The contracts live in the kit, so the counting does too: every service with an outbox
listens to its own committed events (`ecomkit.db.outbox_committed`) and the counters of the
events it publishes move — OrderCreated in the order service, PaymentFailed in payment, and
so on. A rolled-back attempt commits no event and counts nothing. Counters start at 0 with
each process, which `rate()` and `increase()` absorb.

Labels are bounded: a reason is cut to its kind ("payment failed: card_declined" ->
"payment failed"); the detail is in the order's history, not in a label.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from prometheus_client import Counter

from ecomkit.events import Event

ORDERS_PLACED = Counter("ecom_orders_placed_total", "Orders placed", ["currency"])
ORDERS_PAID = Counter("ecom_orders_paid_total", "Orders paid", ["currency"])
REVENUE = Counter("ecom_order_revenue_total", "Amount of the orders paid", ["currency"])
ORDERS_CANCELLED = Counter("ecom_orders_cancelled_total", "Orders cancelled, by reason", ["reason"])
PAYMENTS_COMPLETED = Counter(
    "ecom_payments_completed_total", "Charges that succeeded", ["provider"]
)
PAYMENT_FAILURES = Counter(
    "ecom_payment_failures_total", "Charges declined, by decline code", ["decline_code"]
)
STOCK_OUTS = Counter(
    "ecom_stock_outs_total", "Order lines that could not be reserved for want of stock"
)
RESERVATIONS_FAILED = Counter(
    "ecom_reservations_failed_total", "Orders whose stock could not be reserved", ["reason"]
)


def reason_kind(reason: object) -> str:
    return str(reason or "").split(":", 1)[0].strip()[:40] or "unknown"


def _placed(data: dict[str, Any]) -> None:
    ORDERS_PLACED.labels(str(data.get("currency", ""))).inc()


def _paid(data: dict[str, Any]) -> None:
    currency = str(data.get("currency", ""))
    ORDERS_PAID.labels(currency).inc()
    REVENUE.labels(currency).inc(float(data.get("total_amount") or 0))


def _cancelled(data: dict[str, Any]) -> None:
    ORDERS_CANCELLED.labels(reason_kind(data.get("reason"))).inc()


def _charged(data: dict[str, Any]) -> None:
    PAYMENTS_COMPLETED.labels(str(data.get("provider") or "unknown")).inc()


def _declined(data: dict[str, Any]) -> None:
    PAYMENT_FAILURES.labels(reason_kind(data.get("decline_code") or data.get("reason"))).inc()


def _not_reserved(data: dict[str, Any]) -> None:
    RESERVATIONS_FAILED.labels(reason_kind(data.get("reason"))).inc()
    STOCK_OUTS.inc(len(data.get("items") or ()))


COUNTERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "OrderCreated": _placed,
    "OrderPaid": _paid,
    "OrderCancelled": _cancelled,
    "PaymentCompleted": _charged,
    "PaymentFailed": _declined,
    "InventoryReservationFailed": _not_reserved,
}


def count_committed(events: Sequence[Event]) -> None:
    for event in events:
        count = COUNTERS.get(event.type)
        if count is not None:
            count(event.data)
