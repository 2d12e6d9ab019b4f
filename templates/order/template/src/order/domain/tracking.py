"""Live tracking: the saga steps a follower of an order sees, read from its stored events.

order_events holds every state change of an order and a few notes (a reservation or a
payment that came too late); a follower sees the steps only. Its position is the stored
event's id, so a client that reconnects with the last one it saw misses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

STEPS = {
    "OrderCreated": "created",
    "InventoryReserved": "reserved",
    "OrderPaid": "paid",
    "OrderCancelled": "cancelled",
    "OrderShipped": "shipped",
}
# After these an order changes no more: the stream ends.
FINAL_STEPS = frozenset({"cancelled", "shipped"})


@dataclass(frozen=True)
class StoredEvent:
    position: int
    event_type: str
    data: dict[str, Any]
    created_at: datetime | None


def step_message(event: StoredEvent, order_id: int) -> dict[str, Any] | None:
    """The frame a follower receives for a stored event; None for a note."""
    step = STEPS.get(event.event_type)
    if step is None:
        return None
    message: dict[str, Any] = {
        "orderId": order_id,
        "event": event.position,
        "step": step,
        "type": event.event_type,
        "at": event.created_at.isoformat() if event.created_at else None,
    }
    if step == "cancelled":
        message["reason"] = event.data.get("reason")
    return message


def is_final(message: dict[str, Any]) -> bool:
    return message.get("step") in FINAL_STEPS
