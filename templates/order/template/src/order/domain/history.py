"""An order rebuilt from its stored events (docs/event-sourcing.md): the repository loads
an order this way for every state change.

The events are the `order_events` rows: the wire payload of each state change
(`OrderCreated`, `OrderPaid`, `OrderCancelled`, `OrderShipped`), `InventoryReserved`, and
notes that change nothing. Each is applied through the order's own methods, so a stored
history can only move the order the way the state machine allows. The wire payloads lack
a few fields the order keeps (the saga deadline, the shipping address, the trace id, the
payment id): the stored data adds them (`stored_data`, schema version 2 of those two
events); a version 1 row reads them as None, and an order placed before event sourcing
carries them in the snapshot its migration took (V8__order_event_store.sql).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from order.domain.model import Order, OrderLine, OrderStatus, SagaState

Data = Mapping[str, Any]


def rebuild(
    order_id: int, events: Iterable[tuple[str, Data]], snapshot: Data | None = None
) -> Order | None:
    """The order after `events` (oldest first), from `snapshot` if given; None if the
    history never created it."""
    order = from_snapshot(snapshot) if snapshot is not None else None
    for event_type, data in events:
        if event_type == "OrderCreated":
            order = _created(order_id, data)
        elif order is not None:
            _apply(order, event_type, data)
    return order


# The schema version of each event as stored now (what is not listed is at version 1).
STORED_SCHEMA = {"OrderCreated": 2, "OrderPaid": 2}


def stored_data(order: Order, event_type: str, payload: Data) -> tuple[dict[str, Any], int]:
    """(data, schema version) to store for one of the order's events: its wire payload, and
    what rebuilding the order needs that the payload does not carry."""
    data = dict(payload)
    if event_type == "OrderCreated":
        data["saga_deadline"] = _text(order.saga_deadline)
        data["shipping_address"] = order.shipping_address
        data["trace_id"] = order.trace_id
    elif event_type == "OrderPaid":
        data["payment_id"] = order.payment_id
    return data, STORED_SCHEMA.get(event_type, 1)


def _created(order_id: int, data: Data) -> Order:
    return Order(
        id=order_id,
        user_id=int(data["user_id"]),
        order_number=str(data["order_number"]),
        items=[
            OrderLine(int(i["product_id"]), int(i["quantity"]), Decimal(str(i["price"])))
            for i in data["items"]
        ],
        currency=str(data["currency"]),
        total_amount=Decimal(str(data["total_amount"])),
        payment_method_id=data.get("payment_method_id"),
        shipping_address=data.get("shipping_address"),
        saga_deadline=_time(data.get("saga_deadline")),
        trace_id=data.get("trace_id"),
        created_at=_time(data.get("created_at")),
    )


def _apply(order: Order, event_type: str, data: Data) -> None:
    if event_type == "InventoryReserved":
        order.mark_reserved()
    elif event_type == "OrderPaid":
        order.pay(data.get("payment_id"))
    elif event_type == "OrderCancelled":
        order.cancel(str(data["reason"]))
    elif event_type == "OrderShipped":
        order.ship()
    # Anything else is a note (InventoryReservedIgnored, PaymentIgnored): no change.


def to_snapshot(order: Order) -> dict[str, Any]:
    """The order as a snapshot's JSON state (prices and times as text: exact, portable)."""
    return {
        "id": order.id,
        "user_id": order.user_id,
        "order_number": order.order_number,
        "items": [
            {"product_id": i.product_id, "quantity": i.quantity, "price": str(i.price)}
            for i in order.items
        ],
        "currency": order.currency,
        "total_amount": str(order.total_amount),
        "status": order.status.value,
        "saga_state": order.saga_state.value,
        "saga_deadline": _text(order.saga_deadline),
        "payment_method_id": order.payment_method_id,
        "shipping_address": order.shipping_address,
        "payment_id": order.payment_id,
        "cancel_reason": order.cancel_reason,
        "trace_id": order.trace_id,
        "created_at": _text(order.created_at),
    }


def from_snapshot(state: Data) -> Order:
    order = _created(int(state["id"]), state)
    order.status = OrderStatus(state["status"])
    order.saga_state = SagaState(state["saga_state"])
    order.payment_id = state.get("payment_id")
    order.cancel_reason = state.get("cancel_reason")
    return order


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _text(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
